/*
 * source_pcap.c: capture files as replay inputs.  One exchange written
 * in every encoding the reader knows (pcap in both byte orders, in
 * microseconds and nanoseconds, gzip, pcapng through libpcap) must come
 * out as the same event; a cut or damaged file keeps what was read and
 * says where it broke; a request with no answer is an event when that is
 * known.
 */
#include "autoconfig.h"

#include <zlib.h>

#include "config.h"
#include "check_common.h"
#include "source_pcap.h"

#define S	INT64_C(1000000000)

/* A growing byte buffer. */
struct buf {
	uint8_t	*p;
	size_t	 n;
};

static void
put(struct buf *b, const void *d, size_t n)
{
	b->p = realloc(b->p, b->n + n);
	ck_assert_ptr_nonnull(b->p);
	memcpy(b->p + b->n, d, n);
	b->n += n;
}

static void
put32(struct buf *b, uint32_t v, int big)
{
	uint8_t x[4];

	if (big) {
		x[0] = v >> 24; x[1] = v >> 16; x[2] = v >> 8; x[3] = v;
	} else {
		x[0] = v; x[1] = v >> 8; x[2] = v >> 16; x[3] = v >> 24;
	}
	put(b, x, 4);
}

static void
put16le(struct buf *b, uint16_t v)
{
	uint8_t x[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	put(b, x, 2);
}

/* Ethernet, IPv4, TCP (ACK|PSH) from a:ap to b:bp with payload. */
static size_t
frame(uint8_t *f, const uint8_t a[4], uint16_t ap, const uint8_t b[4],
    uint16_t bp, uint32_t seq, uint32_t ack, const char *payload)
{
	size_t	len = strlen(payload), ip = 20 + 20 + len;

	memset(f, 0, 54);
	f[12] = 0x08;			/* IPv4 */
	f[14] = 0x45;
	f[16] = (uint8_t)(ip >> 8);
	f[17] = (uint8_t)ip;
	f[22] = 64;
	f[23] = 6;			/* TCP */
	memcpy(f + 26, a, 4);
	memcpy(f + 30, b, 4);
	f[34] = (uint8_t)(ap >> 8); f[35] = (uint8_t)ap;
	f[36] = (uint8_t)(bp >> 8); f[37] = (uint8_t)bp;
	f[38] = seq >> 24; f[39] = seq >> 16; f[40] = seq >> 8; f[41] = seq;
	f[42] = ack >> 24; f[43] = ack >> 16; f[44] = ack >> 8; f[45] = ack;
	f[46] = 0x50;			/* 20 bytes of header */
	f[47] = 0x18;			/* ACK, PSH */
	f[48] = 0xff;
	memcpy(f + 54, payload, len);
	return 54 + len;
}

#define REQ	"POST /internal/kratos/reload HTTP/1.1\r\nHost: s\r\n" \
		"Content-Length: 0\r\n\r\n"
#define RESP	"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n"

static const uint8_t CLIENT[4] = { 10, 89, 1, 77 }, SERVER[4] = { 10, 0, 0, 2 };

/* The exchange's two packets, at t0 and t0 + 2.5 ms (+ 123 ns). */
static int
packets(uint8_t f[2][256], size_t len[2], int64_t ts[2], int with_answer)
{
	len[0] = frame(f[0], CLIENT, 40000, SERVER, 3110, 1000, 5000, REQ);
	len[1] = frame(f[1], SERVER, 3110, CLIENT, 40000, 5000,
	    1000 + (uint32_t)strlen(REQ), RESP);
	ts[0] = INT64_C(1795000000) * S + 250000123;
	ts[1] = ts[0] + 2500000;
	return with_answer ? 2 : 1;
}

/* Classic pcap; nsec: nanosecond stamps; big: big-endian. */
static struct buf
classic(int nsec, int big, int with_answer)
{
	struct buf	b = { NULL, 0 };
	uint8_t		f[2][256];
	size_t		len[2];
	int64_t		ts[2];
	int		i, n = packets(f, len, ts, with_answer);

	put32(&b, nsec ? 0xa1b23c4d : 0xa1b2c3d4, big);
	put32(&b, big ? 0x00020004 : 0x00040002, big);	/* 2.4 */
	put32(&b, 0, big);
	put32(&b, 0, big);
	put32(&b, 65535, big);
	put32(&b, 1, big);				/* Ethernet */
	for (i = 0; i < n; i++) {
		put32(&b, (uint32_t)(ts[i] / S), big);
		put32(&b, (uint32_t)(ts[i] % S / (nsec ? 1 : 1000)), big);
		put32(&b, (uint32_t)len[i], big);
		put32(&b, (uint32_t)len[i], big);
		put(&b, f[i], len[i]);
	}
	return b;
}

/* pcapng: a section, an interface (nanosecond stamps), two packets. */
static struct buf
pcapng(void)
{
	struct buf	b = { NULL, 0 };
	uint8_t		f[2][256], pad[4] = { 0 };
	size_t		len[2], padded;
	int64_t		ts[2];
	uint64_t	t;
	int		i;

	packets(f, len, ts, 1);
	put32(&b, 0x0a0d0d0a, 0);
	put32(&b, 28, 0);
	put32(&b, 0x1a2b3c4d, 0);
	put16le(&b, 1);
	put16le(&b, 0);
	put32(&b, 0xffffffff, 0);		/* section length unknown */
	put32(&b, 0xffffffff, 0);
	put32(&b, 28, 0);
	/* IDB with if_tsresol = 9 */
	put32(&b, 1, 0);
	put32(&b, 32, 0);
	put16le(&b, 1);
	put16le(&b, 0);
	put32(&b, 65535, 0);
	put16le(&b, 9);
	put16le(&b, 1);
	put(&b, "\x09\0\0\0", 4);
	put16le(&b, 0);
	put16le(&b, 0);
	put32(&b, 32, 0);
	for (i = 0; i < 2; i++) {
		padded = (len[i] + 3) & ~(size_t)3;
		put32(&b, 6, 0);
		put32(&b, (uint32_t)(32 + padded), 0);
		put32(&b, 0, 0);
		t = (uint64_t)ts[i];
		put32(&b, (uint32_t)(t >> 32), 0);
		put32(&b, (uint32_t)t, 0);
		put32(&b, (uint32_t)len[i], 0);
		put32(&b, (uint32_t)len[i], 0);
		put(&b, f[i], len[i]);
		put(&b, pad, padded - len[i]);
		put32(&b, (uint32_t)(32 + padded), 0);
	}
	return b;
}

static char *
gzip_file(const struct buf *b)
{
	char	*path = ks_tempfile(".pcap.gz", "", 0);
	gzFile	 gz = gzopen(path, "wb");

	ck_assert_ptr_nonnull(gz);
	ck_assert_int_eq(gzwrite(gz, b->p, (unsigned int)b->n), (int)b->n);
	gzclose(gz);
	return path;
}

static struct config *
cfg_with(const char *extra)
{
	char text[1024];

	snprintf(text, sizeof(text), "endpoints:\n  - {name: r, method: POST,"
	    " path: /internal/kratos/reload, key_header: X-Reload-Api-Key}\n"
	    "%s", extra);
	return ks_config_text(text);
}

/* Every event of the file, which must not fail. */
static int
read_all(const char *path, struct config *c, struct event *ev, int max,
    int *failed)
{
	char		 err[512];
	struct pcsrc	*s = pcsrc_open(path, 3, c, err, sizeof(err));
	int		 n = 0;

	ck_assert_msg(s != NULL, "%s", err);
	while (n < max && pcsrc_next(s, &ev[n]))
		n++;
	*failed = pcsrc_failed(s);
	pcsrc_close(s);
	return n;
}

static void
want_exchange(const struct event *ev, int64_t ts)
{
	char a[64];

	ck_assert_int_eq(ev->ts, ts);
	ck_assert_uint_eq(ev->input, 3);
	ck_assert_str_eq(ev->method, "POST");
	ck_assert_str_eq(ev->path, "/internal/kratos/reload");
	ck_assert_int_eq(ev->status, 401);
	ck_assert_uint_eq(ev->src_port, 40000);
	addr_format(&ev->src, a, sizeof(a));
	ck_assert_str_eq(a, "10.89.1.77");
}

START_TEST(every_encoding_the_same_event)
{
	struct config	*c = cfg_with("");
	struct event	 ev[4];
	struct buf	 b;
	char		*path;
	int		 nsec, big, failed, gz;
	int64_t		 t0 = INT64_C(1795000000) * S + 250000123;

	for (gz = 0; gz < 2; gz++)
		for (nsec = 0; nsec < 2; nsec++)
			for (big = 0; big < 2; big++) {
				b = classic(nsec, big, 1);
				path = gz ? gzip_file(&b) :
				    ks_tempfile(".pcap", b.p, b.n);
				ck_assert(pcsrc_is_capture(path));
				ck_assert_int_eq(read_all(path, c, ev, 4,
				    &failed), 1);
				ck_assert_int_eq(failed, 0);
				/* microseconds lose the 123 ns */
				want_exchange(&ev[0], nsec ? t0 : t0 - 123);
				unlink(path);
				free(path);
				free(b.p);
			}
	b = pcapng();
	path = ks_tempfile(".pcapng", b.p, b.n);
	ck_assert(pcsrc_is_capture(path));
	ck_assert_int_eq(read_all(path, c, ev, 4, &failed), 1);
	ck_assert_int_eq(failed, 0);
	want_exchange(&ev[0], t0);
	unlink(path);
	free(path);
	free(b.p);
	config_free(c);
}
END_TEST

/* Cut anywhere in the second packet: the first is kept, the file fails. */
START_TEST(cut_or_damaged)
{
	struct config	*c = cfg_with("");
	struct event	 ev[4];
	struct buf	 b = classic(0, 0, 1);
	uint8_t		 f[2][256];
	size_t		 len[2], second, cut;
	int64_t		 ts[2];
	char		*path;
	int		 failed, n;

	packets(f, len, ts, 1);
	second = 24 + 16 + len[0];	/* where the response's record starts */
	ck_assert_uint_eq(b.n, second + 16 + len[1]);
	/* the request's record, then a second record cut at every byte */
	for (cut = second; cut < b.n; cut++) {
		path = ks_tempfile(".pcap", b.p, cut);
		n = read_all(path, c, ev, 4, &failed);
		ck_assert_msg(failed == (cut != second), "cut at %zu", cut);
		/* the request was read: told as unanswered at the end */
		ck_assert_int_eq(n, 1);
		ck_assert_int_eq(ev[0].status, 0);
		unlink(path);
		free(path);
	}
	/* a record that claims more than any capture keeps */
	b.p[24 + 8] = 0xff;
	b.p[24 + 9] = 0xff;
	b.p[24 + 10] = 0xff;
	path = ks_tempfile(".pcap", b.p, b.n);
	ck_assert_int_eq(read_all(path, c, ev, 4, &failed), 0);
	ck_assert_int_eq(failed, 1);
	unlink(path);
	free(path);
	free(b.p);
	config_free(c);
}
END_TEST

/*
 * No answer: the event is at the timeout (the first capture source's
 * response_timeout), or at the capture's end if that comes first.
 */
START_TEST(unanswered_at_its_timeout)
{
	struct config	*c = cfg_with("sources:\n  - {type: pcap, interface: "
			    "lo, response_timeout: 2s}\n");
	struct event	 ev[4];
	struct buf	 b = classic(1, 0, 0), late;
	uint8_t		 f[256];
	size_t		 len;
	char		*path;
	int		 failed;
	int64_t		 t0 = INT64_C(1795000000) * S + 250000123;

	/* the request alone: its event at the end of the capture */
	path = ks_tempfile(".pcap", b.p, b.n);
	ck_assert_int_eq(read_all(path, c, ev, 4, &failed), 1);
	ck_assert_int_eq(ev[0].status, 0);
	ck_assert_int_eq(ev[0].ts, t0);
	unlink(path);
	free(path);
	/* then other traffic 5 s later: its event at the 2 s timeout */
	late = b;
	len = frame(f, SERVER, 80, CLIENT, 50000, 1, 1, "x");
	put32(&late, (uint32_t)(t0 / S + 5), 0);
	put32(&late, 0, 0);
	put32(&late, (uint32_t)len, 0);
	put32(&late, (uint32_t)len, 0);
	put(&late, f, len);
	path = ks_tempfile(".pcap", late.p, late.n);
	ck_assert_int_eq(read_all(path, c, ev, 4, &failed), 1);
	ck_assert_int_eq(failed, 0);
	ck_assert_int_eq(ev[0].status, 0);
	ck_assert_int_eq(ev[0].ts, t0 + 2 * S);
	unlink(path);
	free(path);
	free(late.p);
	config_free(c);
}
END_TEST

static Suite *
source_pcap_suite(void)
{
	Suite	*s = suite_create("source_pcap");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, every_encoding_the_same_event);
	tcase_add_test(tc, cut_or_damaged);
	tcase_add_test(tc, unanswered_at_its_timeout);
	suite_add_tcase(s, tc);
	return s;
}

KS_CHECK_MAIN(source_pcap_suite)
