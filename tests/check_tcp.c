/*
 * tcp.c: segments made here, cut, reordered, repeated and overlapped by
 * a seeded generator; the two streams that come out must be the bytes
 * sent, with the holes reported where bytes never came.
 */
#include "autoconfig.h"

#include "check_common.h"
#include "tcp.h"

#define S	INT64_C(1000000000)

struct side {
	char		 buf[8192];	/* delivered; a hole as '#' bytes */
	size_t		 n;
};

struct rec {
	struct side	 dir[2];
	int		 opens, closes;
	enum tcp_end	 why;
	struct tcp_flow	 flow;		/* as opened */
};

static void
on_open(void *arg, struct tcp_flow *f, int64_t ts)
{
	struct rec *r = arg;

	(void)ts;
	r->opens++;
	r->flow = *f;
}

static void
on_data(void *arg, struct tcp_flow *f, int dir, const uint8_t *d, size_t len,
    int64_t ts)
{
	struct side *s = &((struct rec *)arg)->dir[dir];

	(void)f;
	(void)ts;
	ck_assert_uint_le(s->n + len, sizeof(s->buf));
	memcpy(s->buf + s->n, d, len);
	s->n += len;
}

static void
on_gap(void *arg, struct tcp_flow *f, int dir, uint64_t len, int64_t ts)
{
	struct side *s = &((struct rec *)arg)->dir[dir];

	(void)f;
	(void)ts;
	ck_assert_uint_le(s->n + len, sizeof(s->buf));
	memset(s->buf + s->n, '#', len);
	s->n += len;
}

static void
on_close(void *arg, struct tcp_flow *f, enum tcp_end why, int64_t ts)
{
	struct rec *r = arg;

	(void)f;
	(void)ts;
	r->closes++;
	r->why = why;
}

static const struct tcp_cb cbs = { on_open, on_data, on_gap, on_close };

/* A segment of the client (dir 0: 10.0.0.1:40000) or the server. */
static struct pkt
seg(int from_server, uint32_t seq, uint8_t flags, const char *data,
    size_t len)
{
	struct pkt p;

	memset(&p, 0, sizeof(p));
	addr_parse("10.0.0.1", 8, from_server ? &p.dst : &p.src);
	addr_parse("10.0.0.2", 8, from_server ? &p.src : &p.dst);
	p.sport = from_server ? 3110 : 40000;
	p.dport = from_server ? 40000 : 3110;
	p.seq = seq;
	p.ack = 1;
	p.flags = flags;
	p.payload = (const uint8_t *)data;
	p.len = p.wire_len = len;
	return p;
}

static void
tx(struct tcp_table *t, int from_server, uint32_t seq, uint8_t flags,
    const char *data, size_t len, int64_t ts)
{
	struct pkt p = seg(from_server, seq, flags, data, len);

	tcp_segment(t, &p, ts);
}

static const char req[] = "POST /internal/kratos/reload HTTP/1.1\r\n"
    "Host: sidecar:3110\r\nContent-Length: 0\r\n\r\n";
static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";

START_TEST(handshake_in_order)
{
	struct rec		 r;
	struct tcp_table	*t = tcp_new(NULL, &cbs, &r);
	struct tcp_stats	 st;
	uint32_t		 c = 1000, s = 5000;

	memset(&r, 0, sizeof(r));
	tx(t, 0, c, PKT_SYN, NULL, 0, S);
	tx(t, 1, s, PKT_SYN | PKT_ACK, NULL, 0, S);
	tx(t, 0, c + 1, PKT_ACK, NULL, 0, S);
	tx(t, 0, c + 1, PKT_ACK | PKT_PSH, req, 30, S);
	tx(t, 0, c + 31, PKT_ACK | PKT_PSH, req + 30, strlen(req) - 30, S);
	tx(t, 1, s + 1, PKT_ACK | PKT_PSH, resp, strlen(resp), S);
	tx(t, 0, c + 1 + (uint32_t)strlen(req), PKT_FIN | PKT_ACK, NULL, 0,
	    S);
	ck_assert_int_eq(r.closes, 0);
	tx(t, 1, s + 1 + (uint32_t)strlen(resp), PKT_FIN | PKT_ACK, NULL, 0,
	    2 * S);
	ck_assert_int_eq(r.opens, 1);
	ck_assert(r.flow.saw_syn);
	ck_assert_uint_eq(r.flow.cport, 40000);
	ck_assert_int_eq(r.closes, 1);
	ck_assert_int_eq(r.why, TCP_END_FIN);
	ck_assert_uint_eq(r.dir[0].n, strlen(req));
	ck_assert(memcmp(r.dir[0].buf, req, strlen(req)) == 0);
	ck_assert_uint_eq(r.dir[1].n, strlen(resp));
	ck_assert(memcmp(r.dir[1].buf, resp, strlen(resp)) == 0);
	tcp_stats(t, &st);
	ck_assert_uint_eq(st.active, 0);
	ck_assert_uint_eq(st.gaps, 0);
	tcp_free(t);
}
END_TEST

/*
 * A message cut in pieces of 1 to 16 bytes, sent in a shuffled order,
 * some twice, some overlapping their neighbours, the sequence numbers
 * wrapping past 2^32: the stream is the message.  Seeded, many rounds.
 */
START_TEST(shuffled_repeated_overlapping)
{
	char		 msg[3000];
	uint32_t	 x = 4242, isn;
	int		 round;
	size_t		 i;

	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (char)('a' + i % 26);
	for (round = 0; round < 200; round++) {
		struct { uint32_t off, len; } cut[1200];
		struct rec		 r;
		struct tcp_table	*t;
		struct tcp_stats	 st;
		size_t			 n = 0, off = 0, k, j;

		memset(&r, 0, sizeof(r));
		t = tcp_new(NULL, &cbs, &r);
		x = x * 1664525 + 1013904223;
		isn = round % 2 ? 0xffffff00u + (x >> 28) : x;
		tx(t, 0, isn, PKT_SYN, NULL, 0, S);
		while (off < sizeof(msg)) {
			x = x * 1664525 + 1013904223;
			cut[n].off = (uint32_t)off;
			cut[n].len = 1 + (x >> 16) % 16;
			if (off + cut[n].len > sizeof(msg))
				cut[n].len = (uint32_t)(sizeof(msg) - off);
			off += cut[n].len;
			/* now and then, one that overlaps the next */
			if ((x >> 8) % 5 == 0 && off < sizeof(msg))
				cut[n].len += 1 + (uint32_t)((x >> 4) % 8 <
				    sizeof(msg) - off ? (x >> 4) % 8 : 0);
			n++;
		}
		/* shuffle, then repeat some */
		for (k = n - 1; k > 0; k--) {
			x = x * 1664525 + 1013904223;
			j = (x >> 8) % (k + 1);
			cut[n] = cut[k];
			cut[k] = cut[j];
			cut[j] = cut[n];
		}
		for (k = 0; k < n; k++) {
			tx(t, 0, isn + 1 + cut[k].off, PKT_ACK, msg +
			    cut[k].off, cut[k].len, S);
			if ((x >> (k % 20)) % 7 == 0)
				tx(t, 0, isn + 1 + cut[k].off, PKT_ACK, msg +
				    cut[k].off, cut[k].len, S);
		}
		tcp_stats(t, &st);
		ck_assert_uint_eq(st.gaps, 0);
		ck_assert_uint_eq(st.waiting, 0);
		ck_assert_uint_gt(st.out_of_order, 0);
		ck_assert_uint_eq(r.dir[0].n, sizeof(msg));
		ck_assert(memcmp(r.dir[0].buf, msg, sizeof(msg)) == 0);
		tcp_free(t);
	}
}
END_TEST

START_TEST(picked_up_mid_stream)
{
	struct rec		 r;
	struct tcp_table	*t = tcp_new(NULL, &cbs, &r);
	struct tcp_stats	 st;

	memset(&r, 0, sizeof(r));
	/* a pure ACK does not start a flow; data does */
	tx(t, 1, 777, PKT_ACK, NULL, 0, S);
	tcp_stats(t, &st);
	ck_assert_uint_eq(st.flows, 0);
	tx(t, 1, 777, PKT_ACK | PKT_PSH, resp, strlen(resp), S);
	tx(t, 0, 123456, PKT_ACK | PKT_PSH, req, strlen(req), S);
	ck_assert_int_eq(r.opens, 1);
	ck_assert(!r.flow.saw_syn);
	/* the side sending to the lower port is the client */
	ck_assert_uint_eq(r.flow.cport, 40000);
	ck_assert_uint_eq(r.flow.sport, 3110);
	ck_assert_uint_eq(r.dir[0].n, strlen(req));
	ck_assert_uint_eq(r.dir[1].n, strlen(resp));
	tcp_free(t);
}
END_TEST

/* A hole that never fills: skipped at the cap, or at the flow's end. */
START_TEST(holes)
{
	struct tcp_opts		 o = { 0, 40, 0, 0 };
	struct rec		 r;
	struct tcp_table	*t;
	struct tcp_stats	 st;

	memset(&r, 0, sizeof(r));
	t = tcp_new(&o, &cbs, &r);
	tx(t, 0, 99, PKT_SYN, NULL, 0, S);
	tx(t, 0, 100, PKT_ACK, "0123456789", 10, S);
	/* 10..19 lost; 20..59 wait (40 bytes: at the cap), 60..69 more */
	tx(t, 0, 120, PKT_ACK, "abcdefghijklmnopqrst", 20, S);
	tx(t, 0, 140, PKT_ACK, "ABCDEFGHIJKLMNOPQRST", 20, S);
	ck_assert_uint_eq(r.dir[0].n, 10);
	tx(t, 0, 160, PKT_ACK, "uvwxyz!?..", 10, S);
	tcp_stats(t, &st);
	ck_assert_uint_eq(st.gaps, 1);
	ck_assert_uint_eq(st.cut_bytes, 10);
	ck_assert_uint_eq(r.dir[0].n, 70);
	ck_assert(memcmp(r.dir[0].buf, "0123456789##########abcdefghijklmnop"
	    "qrstABCDEFGHIJKLMNOPQRSTuvwxyz!?..", 70) == 0);
	/* a hole at the end: flushed past it */
	tx(t, 0, 180, PKT_ACK, "tail", 4, S);
	ck_assert_uint_eq(r.dir[0].n, 70);
	tcp_flush(t, 2 * S);
	ck_assert_int_eq(r.why, TCP_END_FLUSH);
	ck_assert_uint_eq(r.dir[0].n, 84);
	ck_assert(memcmp(r.dir[0].buf + 70, "##########tail", 14) == 0);
	tcp_stats(t, &st);
	ck_assert_uint_eq(st.gaps, 2);
	ck_assert_uint_eq(st.waiting, 0);
	tcp_free(t);
}
END_TEST

START_TEST(rst_idle_and_caps)
{
	struct tcp_opts		 o = { 2, 0, 30, 10 * S };
	struct rec		 r;
	struct tcp_table	*t;
	struct tcp_stats	 st;
	struct pkt		 p;

	memset(&r, 0, sizeof(r));
	t = tcp_new(&o, &cbs, &r);
	tx(t, 0, 1, PKT_ACK, "x", 1, S);
	tx(t, 0, 2, PKT_RST, NULL, 0, S);
	ck_assert_int_eq(r.why, TCP_END_RST);
	/* idle */
	tx(t, 0, 10, PKT_ACK, "y", 1, S);
	tcp_expire(t, 5 * S);
	ck_assert_int_eq(r.closes, 1);
	tcp_expire(t, 12 * S);
	ck_assert_int_eq(r.closes, 2);
	ck_assert_int_eq(r.why, TCP_END_IDLE);
	/* three flows, two allowed: the oldest goes */
	p = seg(0, 1, PKT_ACK, "a", 1);
	p.sport = 40001;
	tcp_segment(t, &p, 20 * S);
	p.sport = 40002;
	tcp_segment(t, &p, 21 * S);
	p.sport = 40003;
	tcp_segment(t, &p, 22 * S);
	tcp_stats(t, &st);
	ck_assert_uint_eq(st.active, 2);
	ck_assert_uint_eq(st.evicted_flows, 1);
	ck_assert_int_eq(r.why, TCP_END_EVICTED);
	/* bytes waiting in all flows over 30: the oldest holding some goes */
	p.sport = 40003;
	p.seq = 100;
	p.payload = (const uint8_t *)"0123456789012345678901234567890";
	p.len = p.wire_len = 31;
	tcp_segment(t, &p, 23 * S);
	tcp_stats(t, &st);
	ck_assert_uint_le(st.waiting, 30);
	ck_assert_uint_eq(st.evicted_flows, 2);
	ck_assert_uint_eq(st.active, 1);	/* 40002, holding nothing */
	tcp_free(t);
}
END_TEST

static Suite *
tcp_suite(void)
{
	Suite	*s = suite_create("tcp");
	TCase	*tc = tcase_create("reassembly");

	tcase_add_test(tc, handshake_in_order);
	tcase_add_test(tc, shuffled_repeated_overlapping);
	tcase_add_test(tc, picked_up_mid_stream);
	tcase_add_test(tc, holes);
	tcase_add_test(tc, rst_idle_and_caps);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(tcp_suite());
	int	 failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
