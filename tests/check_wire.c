/*
 * wire.c: packets to HTTP exchanges.  Conversations built here, frame by
 * frame (Ethernet, IPv4, TCP); and, when ../shared/corpus is there, real
 * captures whose requests and responses were counted with tcpdump -A.
 * The key values are test strings, not keys.
 */
#include "autoconfig.h"

#include <pcap/pcap.h>
#include <sys/stat.h>

#include "check_common.h"
#include "source_pcap.h"
#include "wire.h"

#define S	INT64_C(1000000000)
#define MAXX	32

struct got {
	struct wire_exchange	x[MAXX];
	int			n;
};

static void
on_x(void *arg, const struct wire_exchange *x)
{
	struct got *g = arg;

	ck_assert_int_lt(g->n, MAXX);
	g->x[g->n++] = *x;
}

/* An Ethernet/IPv4/TCP frame between 10.89.1.10:40000 and 10.89.0.5:3110. */
static size_t
frame(uint8_t *b, int from_server, uint32_t seq, uint8_t flags,
    const char *data)
{
	size_t	len = data ? strlen(data) : 0, n = 0;
	uint8_t	c[4] = { 10, 89, 1, 10 }, s[4] = { 10, 89, 0, 5 };
	uint16_t tot = (uint16_t)(20 + 20 + len);

	memset(b, 0, 54);
	b[12] = 0x08;			/* IPv4 */
	n = 14;
	b[n] = 0x45;
	b[n + 2] = (uint8_t)(tot >> 8);
	b[n + 3] = (uint8_t)tot;
	b[n + 8] = 64;
	b[n + 9] = 6;
	memcpy(b + n + 12, from_server ? s : c, 4);
	memcpy(b + n + 16, from_server ? c : s, 4);
	n += 20;
	b[n] = (uint8_t)((from_server ? 3110 : 40000) >> 8);
	b[n + 1] = (uint8_t)(from_server ? 3110 : 40000);
	b[n + 2] = (uint8_t)((from_server ? 40000 : 3110) >> 8);
	b[n + 3] = (uint8_t)(from_server ? 40000 : 3110);
	b[n + 4] = (uint8_t)(seq >> 24);
	b[n + 5] = (uint8_t)(seq >> 16);
	b[n + 6] = (uint8_t)(seq >> 8);
	b[n + 7] = (uint8_t)seq;
	b[n + 12] = 5 << 4;
	b[n + 13] = flags;
	n += 20;
	if (len > 0)		/* memcpy from NULL would be undefined */
		memcpy(b + n, data, len);
	return n + len;
}

struct conv {
	struct wire	*w;
	uint32_t	 seq[2];
	int64_t		 ts;
};

static void
pkt_to(struct conv *c, int from_server, uint8_t flags, const char *data)
{
	uint8_t b[2048];
	size_t	n = frame(b, from_server, c->seq[from_server], flags, data);

	wire_packet(c->w, PKT_LINK_ETHERNET, b, n, c->ts);
	c->seq[from_server] += (uint32_t)(data ? strlen(data) : 0) +
	    ((flags & (PKT_SYN | PKT_FIN)) ? 1 : 0);
}

static struct wire_opts
opts(void)
{
	struct wire_opts o;

	memset(&o, 0, sizeof(o));
	o.http.key_headers[0] = "X-Reload-Api-Key";
	o.http.nkey_headers = 1;
	return o;
}

static void
handshake(struct conv *c)
{
	pkt_to(c, 0, PKT_SYN, NULL);
	pkt_to(c, 1, PKT_SYN | PKT_ACK, NULL);
	pkt_to(c, 0, PKT_ACK, NULL);
}

START_TEST(pipelined_pairs)
{
	struct wire_opts	 o = opts();
	struct got		 g;
	struct conv		 c = { NULL, { 1000, 9000 }, S };
	struct wire_stats	 st;
	char			 addr[ADDR_STRLEN];

	memset(&g, 0, sizeof(g));
	c.w = wire_new(&o, on_x, &g);
	handshake(&c);
	pkt_to(&c, 0, PKT_ACK | PKT_PSH,
	    "POST /internal/kratos/reload HTTP/1.1\r\n"
	    "X-Reload-Api-Key: test-only-not-a-secret\r\n"
	    "User-Agent: axios/1.13.2\r\n"
	    "Content-Length: 0\r\n\r\n"
	    "HEAD /health HTTP/1.1\r\n\r\n"
	    "POST /internal/kratos/reload HTTP/1.1\r\n"
	    "Content-Length: 2\r\n\r\n{}");
	c.ts = 2 * S;
	pkt_to(&c, 1, PKT_ACK | PKT_PSH, "HTTP/1.1 401 Unauthorized\r\n"
	    "Content-Length: 4\r\n\r\nno!\n"
	    "HTTP/1.1 200 OK\r\nContent-Length: 999\r\n\r\n"	/* HEAD */
	    "HTTP/1.1 100 Continue\r\n\r\n"
	    "HTTP/1.1 200 ");
	pkt_to(&c, 1, PKT_ACK | PKT_PSH, "OK\r\nContent-Length: 2\r\n\r\n{}");
	pkt_to(&c, 0, PKT_ACK | PKT_FIN, NULL);
	pkt_to(&c, 1, PKT_ACK | PKT_FIN, NULL);
	ck_assert_int_eq(g.n, 3);
	ck_assert_str_eq(g.x[0].method, "POST");
	ck_assert_str_eq(g.x[0].path, "/internal/kratos/reload");
	ck_assert_int_eq(g.x[0].status, 401);
	ck_assert_str_eq(g.x[0].fingerprint, "sha256:df24e0c5317b7fdb");
	ck_assert_str_eq(g.x[0].user_agent, "axios/1.13.2");
	ck_assert_str_eq(g.x[1].user_agent, "");
	ck_assert_int_eq(g.x[0].ts, S);
	ck_assert_int_eq(g.x[0].answered, 2 * S);
	addr_format(&g.x[0].client, addr, sizeof(addr));
	ck_assert_str_eq(addr, "10.89.1.10");
	ck_assert_uint_eq(g.x[0].sport, 3110);
	ck_assert_str_eq(g.x[1].method, "HEAD");
	ck_assert_int_eq(g.x[1].status, 200);
	ck_assert_int_eq(g.x[2].status, 200);	/* after its 100 */
	ck_assert_str_eq(g.x[2].fingerprint, "");
	wire_stats(c.w, &st);
	ck_assert_uint_eq(st.exchanges, 3);
	ck_assert_uint_eq(st.unanswered, 0);
	ck_assert_uint_eq(st.tcp_st.active, 0);		/* FIN, FIN */
	wire_free(c.w);
}
END_TEST

/* No answer: status 0, at the timeout or at the end; a late answer is
 * not taken for the next request's. */
START_TEST(unanswered)
{
	struct wire_opts	 o = opts();
	struct got		 g;
	struct conv		 c = { NULL, { 1, 1 }, 10 * S };
	struct wire_stats	 st;

	o.response_timeout = 5 * S;
	memset(&g, 0, sizeof(g));
	c.w = wire_new(&o, on_x, &g);
	handshake(&c);
	pkt_to(&c, 0, PKT_ACK | PKT_PSH, "POST /a HTTP/1.1\r\n\r\n");
	wire_tick(c.w, 14 * S);
	ck_assert_int_eq(g.n, 0);
	wire_tick(c.w, 16 * S);
	ck_assert_int_eq(g.n, 1);
	ck_assert_int_eq(g.x[0].status, 0);
	/* its outcome was known at the timeout, not at the tick */
	ck_assert_int_eq(g.x[0].told, g.x[0].ts + 5 * S);
	ck_assert_int_eq(pcsrc_event_time(&g.x[0]), g.x[0].ts + 5 * S);
	c.ts = 17 * S;
	pkt_to(&c, 0, PKT_ACK | PKT_PSH, "POST /b HTTP/1.1\r\n\r\n");
	pkt_to(&c, 1, PKT_ACK | PKT_PSH, "HTTP/1.1 502 Late\r\n"
	    "Content-Length: 0\r\n\r\n");
	ck_assert_int_eq(g.n, 1);		/* /a's, told already */
	pkt_to(&c, 1, PKT_ACK | PKT_PSH, "HTTP/1.1 200 OK\r\n"
	    "Content-Length: 0\r\n\r\n");
	ck_assert_int_eq(g.n, 2);
	ck_assert_str_eq(g.x[1].path, "/b");
	ck_assert_int_eq(g.x[1].status, 200);
	ck_assert_int_eq(g.x[1].told, g.x[1].answered);
	/* an answered exchange is an event at its request's time */
	ck_assert_int_eq(pcsrc_event_time(&g.x[1]), g.x[1].ts);
	/* a last request, and the capture ends */
	pkt_to(&c, 0, PKT_ACK | PKT_PSH, "POST /c HTTP/1.1\r\n\r\n");
	wire_flush(c.w, 20 * S);
	ck_assert_int_eq(g.n, 3);
	ck_assert_str_eq(g.x[2].path, "/c");
	ck_assert_int_eq(g.x[2].status, 0);
	ck_assert_int_eq(g.x[2].told, 20 * S);	/* the end of the capture */
	ck_assert_int_eq(pcsrc_event_time(&g.x[2]), 20 * S);
	wire_stats(c.w, &st);
	ck_assert_uint_eq(st.unanswered, 2);
	wire_free(c.w);
}
END_TEST

/* A capture that starts mid-connection, and packets that are not ours. */
START_TEST(mid_stream_and_noise)
{
	struct wire_opts	 o = opts();
	struct got		 g;
	struct conv		 c = { NULL, { 5000, 7000 }, S };
	struct wire_stats	 st;
	uint8_t			 junk[10] = { 0 };

	memset(&g, 0, sizeof(g));
	c.w = wire_new(&o, on_x, &g);
	pkt_to(&c, 0, PKT_ACK | PKT_PSH, "GET /v HTTP/1.1\r\n\r\n");
	pkt_to(&c, 1, PKT_ACK | PKT_PSH, "HTTP/1.1 204 No Content\r\n\r\n");
	wire_packet(c.w, PKT_LINK_ETHERNET, junk, sizeof(junk), S);
	wire_packet(c.w, 999, junk, sizeof(junk), S);
	wire_flush(c.w, 2 * S);
	ck_assert_int_eq(g.n, 1);
	ck_assert_int_eq(g.x[0].status, 204);
	ck_assert_uint_eq(g.x[0].cport, 40000);
	wire_stats(c.w, &st);
	ck_assert_uint_eq(st.malformed, 1);
	ck_assert_ptr_nonnull(st.last_error);
	ck_assert_uint_eq(st.unsupported_link, 1);
	wire_free(c.w);
}
END_TEST

static char corpus[4096];

/* Real captures: the exchanges, against tcpdump -A's count. */
START_TEST(corpus_exchanges)
{
	static const struct {
		const char	*file;
		int		 n;
		int		 status;	/* of the first */
	} cases[] = {
		{ "zeek/http/get.pcap", 1, 200 },
		{ "zeek/http/get_nosyn.pcap", 1, 200 },
		{ "zeek/http/get-without-fins.pcap", 1, 200 },
		{ "zeek/http/pipelined-requests.pcap", 5, 200 },
		{ "zeek/http/100-continue.pcap", 1, 200 },
	};
	char	path[8192], err[PCAP_ERRBUF_SIZE];
	size_t	i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct wire_opts	 o = opts();
		struct pcap_pkthdr	*h;
		const u_char		*d;
		struct wire		*w;
		struct got		 g;
		pcap_t			*p;
		int64_t			 ts = 0;

		snprintf(path, sizeof(path), "%s/pcap/%s", corpus,
		    cases[i].file);
		ck_assert_msg((p = pcap_open_offline(path, err)) != NULL, "%s",
		    err);
		memset(&g, 0, sizeof(g));
		w = wire_new(&o, on_x, &g);
		while (pcap_next_ex(p, &h, &d) == 1) {
			ts = (int64_t)h->ts.tv_sec * S + h->ts.tv_usec * 1000;
			wire_packet(w, pcap_datalink(p), d, h->caplen, ts);
		}
		wire_flush(w, ts);
		wire_free(w);
		pcap_close(p);
		ck_assert_msg(g.n == cases[i].n && g.x[0].status ==
		    cases[i].status, "%s: %d exchanges, the first %d; want %d,"
		    " %d", cases[i].file, g.n, g.n ? g.x[0].status : -1,
		    cases[i].n, cases[i].status);
	}
}
END_TEST

static Suite *
wire_suite(int with_corpus)
{
	Suite	*s = suite_create("wire");
	TCase	*tc = tcase_create("exchanges");

	tcase_add_test(tc, pipelined_pairs);
	tcase_add_test(tc, unanswered);
	tcase_add_test(tc, mid_stream_and_noise);
	if (with_corpus)
		tcase_add_test(tc, corpus_exchanges);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(wire_suite(ks_corpus(corpus, sizeof(corpus))));
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
