/*
 * http.c: message heads out of byte streams.  Every stream is fed whole,
 * a byte at a time, and split at every position, and must give the same
 * messages.  The key values here are test strings, not keys; their
 * fingerprints are what `printf %s VALUE | sha256sum | cut -c1-16` gives.
 */
#include "autoconfig.h"

#include "check_common.h"
#include "http.h"

#define MAXMSG	16

struct got {
	struct http_msg	m[MAXMSG];
	int		n;
};

static void
on_msg(void *arg, const struct http_msg *m)
{
	struct got *g = arg;

	ck_assert_int_lt(g->n, MAXMSG);
	g->m[g->n++] = *m;
}

static struct http_opts
opts(void)
{
	struct http_opts o;

	memset(&o, 0, sizeof(o));
	o.key_headers[0] = "X-Reload-Api-Key";
	o.nkey_headers = 1;
	return o;
}

/* Feeds s in pieces of at most step bytes (0: a split at split only). */
static int
feed(int request, const struct http_opts *o, const char *s, size_t step,
    size_t split, struct got *g, uint64_t *errors)
{
	struct http_parser	*p = http_parser_new(request, o, on_msg, g);
	size_t			 n = strlen(s), i;
	int			 rc = 0;

	memset(g, 0, sizeof(*g));
	if (step == 0) {
		rc |= http_parser_feed(p, (const uint8_t *)s, split);
		rc |= http_parser_feed(p, (const uint8_t *)s + split,
		    n - split);
	} else
		for (i = 0; i < n; i += step)
			rc |= http_parser_feed(p, (const uint8_t *)s + i,
			    n - i < step ? n - i : step);
	http_parser_eof(p);
	if (errors != NULL)
		*errors = http_parser_errors(p);
	http_parser_free(p);
	return rc;
}

/* The same messages however the stream is cut. */
static void
every_split(int request, const char *s, struct got *want)
{
	struct http_opts	o = opts();
	struct got		g;
	size_t			n = strlen(s), k;
	int			i;

	feed(request, &o, s, n, 0, want, NULL);
	for (k = 0; k <= n; k++) {
		feed(request, &o, s, k == 0 ? 1 : 0, k, &g, NULL);
		ck_assert_int_eq(g.n, want->n);
		for (i = 0; i < g.n; i++) {
			ck_assert_str_eq(g.m[i].method, want->m[i].method);
			ck_assert_str_eq(g.m[i].path, want->m[i].path);
			ck_assert_int_eq(g.m[i].status, want->m[i].status);
			ck_assert_str_eq(g.m[i].fingerprint,
			    want->m[i].fingerprint);
			ck_assert_uint_eq(g.m[i].offset, want->m[i].offset);
		}
	}
}

START_TEST(request_with_key)
{
	struct got g;

	every_split(1,
	    "POST /internal/kratos/reload HTTP/1.1\r\n"
	    "Host: sidecar:3110\r\n"
	    "user-agent:  axios/1.13.2 \r\n"
	    "x-reload-api-key:   test-only-not-a-secret  \r\n"
	    "Content-Length: 0\r\n"
	    "\r\n", &g);
	ck_assert_int_eq(g.n, 1);
	ck_assert(g.m[0].request);
	ck_assert_str_eq(g.m[0].method, "POST");
	ck_assert_str_eq(g.m[0].path, "/internal/kratos/reload");
	ck_assert_int_eq(g.m[0].version, 11);
	ck_assert_str_eq(g.m[0].fingerprint, "sha256:df24e0c5317b7fdb");
	ck_assert_uint_eq(g.m[0].nkeys, 1);
	ck_assert(!g.m[0].bearer);
	ck_assert_uint_eq(g.m[0].nheaders, 4);
	ck_assert_str_eq(g.m[0].user_agent, "axios/1.13.2");
}
END_TEST

START_TEST(bearer_and_repeated_keys)
{
	struct got g;

	every_split(1,
	    "GET /a HTTP/1.1\r\n"
	    "Authorization: Digest username=\"t\"\r\n"	/* not a bearer */
	    "\r\n"
	    "GET /b HTTP/1.1\r\n"
	    "authorization: bearer   bearer-test-token\r\n"
	    "X-Reload-Api-Key: second-test-value\r\n"
	    "\r\n", &g);
	ck_assert_int_eq(g.n, 2);
	ck_assert_str_eq(g.m[0].fingerprint, "");
	ck_assert_uint_eq(g.m[0].nkeys, 0);
	/* the first presented is kept; both are counted */
	ck_assert_str_eq(g.m[1].fingerprint, "sha256:4e4e0d7c12eaeb34");
	ck_assert(g.m[1].bearer);
	ck_assert_uint_eq(g.m[1].nkeys, 2);
}
END_TEST

START_TEST(pipelined_with_bodies)
{
	struct got g;

	every_split(1,
	    "POST /one HTTP/1.1\r\nContent-Length: 26\r\n\r\n"
	    "GET /fake HTTP/1.1\r\n\r\nxxxx"		/* a body, not a request */
	    "POST /two HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
	    "5;ext=1\r\nhello\r\n"
	    "1A\r\nGET /fake2 HTTP/1.1\r\n\r\nxx\r\n"
	    "0\r\nTrailer: x\r\n\r\n"
	    "\r\n"					/* tolerated */
	    "get /three?x=1 HTTP/1.0\r\n\r\n", &g);
	ck_assert_int_eq(g.n, 3);
	ck_assert_str_eq(g.m[0].path, "/one");
	ck_assert_str_eq(g.m[1].path, "/two");
	ck_assert_str_eq(g.m[2].method, "get");		/* as sent */
	ck_assert_str_eq(g.m[2].path, "/three?x=1");
	ck_assert_int_eq(g.m[2].version, 10);
	ck_assert_uint_eq(g.m[0].offset, 0);
}
END_TEST

START_TEST(responses)
{
	struct http_opts	 o = opts();
	struct http_parser	*p;
	struct got		 g;
	const char		*s;

	every_split(0,
	    "HTTP/1.1 100 Continue\r\n\r\n"
	    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nHTTP/"
	    "HTTP/1.1 204 No Content\r\nContent-Length: 99\r\n\r\n"
	    "HTTP/1.1 401 Unauthorized\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "3\r\nno!\r\n0\r\n\r\n"
	    "HTTP/1.0 500 Oops\r\n\r\nuntil the end HTTP/1.1 200 OK\r\n", &g);
	ck_assert_int_eq(g.n, 5);
	ck_assert_int_eq(g.m[0].status, 100);
	ck_assert_int_eq(g.m[1].status, 200);
	ck_assert_int_eq(g.m[2].status, 204);
	ck_assert_int_eq(g.m[3].status, 401);
	ck_assert_int_eq(g.m[4].status, 500);
	/* the answer to a HEAD has no body, whatever its headers say */
	s = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"
	    "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
	memset(&g, 0, sizeof(g));
	p = http_parser_new(0, &o, on_msg, &g);
	http_parser_expect_head(p, 1);
	http_parser_expect_head(p, 0);
	ck_assert_int_eq(http_parser_feed(p, (const uint8_t *)s, strlen(s)),
	    0);
	http_parser_free(p);
	ck_assert_int_eq(g.n, 2);
	ck_assert_int_eq(g.m[1].status, 404);
	/* 101: what follows is not HTTP, and not an error */
	s = "HTTP/1.1 101 Switching Protocols\r\n\r\n\x81\x05hello";
	ck_assert_int_eq(feed(0, &o, s, strlen(s), 0, &g, NULL), 0);
	ck_assert_int_eq(g.n, 1);
}
END_TEST

START_TEST(http09_and_odd_lines)
{
	struct got g;

	every_split(1, "GET /old\r\nGET /new HTTP/1.1\r\n\r\n", &g);
	ck_assert_int_eq(g.n, 2);
	ck_assert_int_eq(g.m[0].version, 9);
	ck_assert_int_eq(g.m[1].version, 11);
	/* a bare LF ends a line too; a folded header line is skipped */
	every_split(1, "GET /lf HTTP/1.1\nA: b\n  folded\n\n", &g);
	ck_assert_int_eq(g.n, 1);
	ck_assert_str_eq(g.m[0].path, "/lf");
}
END_TEST

/* Errors say what and where, count, and the next request is found. */
START_TEST(errors_and_resync)
{
	struct http_opts	o = opts();
	struct http_parser	*p;
	struct got		g;
	uint64_t		off, errs;
	const char		*s;
	char			big[600];

	s = "\x16\x03\x01 TLS?\r\nGET /after HTTP/1.1\r\n\r\n";
	memset(&g, 0, sizeof(g));
	p = http_parser_new(1, &o, on_msg, &g);
	ck_assert_int_eq(http_parser_feed(p, (const uint8_t *)s, strlen(s)),
	    -1);
	ck_assert_ptr_nonnull(strstr(http_parser_error(p, &off),
	    "request line"));
	ck_assert_uint_eq(off, 0);
	ck_assert_uint_eq(http_parser_errors(p), 1);
	http_parser_free(p);
	ck_assert_int_eq(g.n, 1);
	ck_assert_str_eq(g.m[0].path, "/after");
	/* Content-Length: not a number, overflowing, two different ones */
	ck_assert_int_eq(feed(1, &o, "POST / HTTP/1.1\r\nContent-Length: 1x"
	    "\r\n\r\n", 1, 0, &g, &errs), -1);
	ck_assert_int_eq(feed(1, &o, "POST / HTTP/1.1\r\nContent-Length: "
	    "99999999999999999999999\r\n\r\n", 7, 0, &g, &errs), -1);
	ck_assert_int_eq(feed(1, &o, "POST / HTTP/1.1\r\nContent-Length: 1\r\n"
	    "Content-Length: 2\r\n\r\n", 7, 0, &g, &errs), -1);
	ck_assert_int_eq(g.n, 0);
	ck_assert_int_eq(feed(1, &o, "POST / HTTP/1.1\r\nContent-Length: 2\r\n"
	    "Content-Length: 2\r\n\r\nab", 7, 0, &g, &errs), 0);
	ck_assert_int_eq(g.n, 1);
	/* a bad chunk size */
	ck_assert_int_eq(feed(1, &o, "POST / HTTP/1.1\r\nTransfer-Encoding: "
	    "chunked\r\n\r\nzz\r\n", 3, 0, &g, &errs), -1);
	/* limits: a line, and the number of headers */
	o.max_line = 64;
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET /", 5);
	strcpy(big + 500, " HTTP/1.1\r\n\r\nGET /ok HTTP/1.1\r\n\r\n");
	ck_assert_int_eq(feed(1, &o, big, 1, 0, &g, &errs), -1);
	ck_assert_uint_eq(errs, 1);
	ck_assert_int_eq(g.n, 1);
	ck_assert_str_eq(g.m[0].path, "/ok");
	o.max_line = 0;
	o.max_headers = 2;
	ck_assert_int_eq(feed(1, &o, "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n"
	    "\r\n", 5, 0, &g, &errs), -1);
	ck_assert_int_eq(g.n, 0);
}
END_TEST

START_TEST(gaps)
{
	struct http_opts	 o = opts();
	struct http_parser	*p;
	struct got		 g;
	const char		*a = "GET /first HTTP/1.1\r\nHo";
	const char		*b = "rest of a lost header\r\n\r\nGET /second "
				    "HTTP/1.1\r\n\r\n";
	const char		*c = "HTTP/1.1 200 OK\r\nContent-Length: 10"
				    "\r\n\r\n0123";
	const char		*d = "89HTTP/1.1 204 No\r\n\r\n";

	memset(&g, 0, sizeof(g));
	p = http_parser_new(1, &o, on_msg, &g);
	http_parser_feed(p, (const uint8_t *)a, strlen(a));
	http_parser_gap(p, 100);
	http_parser_feed(p, (const uint8_t *)b, strlen(b));
	http_parser_free(p);
	ck_assert_int_eq(g.n, 1);	/* /first never completed */
	ck_assert_str_eq(g.m[0].path, "/second");
	/* a gap inside a framed body keeps the framing */
	memset(&g, 0, sizeof(g));
	p = http_parser_new(0, &o, on_msg, &g);
	http_parser_feed(p, (const uint8_t *)c, strlen(c));
	http_parser_gap(p, 4);
	http_parser_feed(p, (const uint8_t *)d, strlen(d));
	http_parser_free(p);
	ck_assert_int_eq(g.n, 2);
	ck_assert_int_eq(g.m[1].status, 204);
	ck_assert_uint_eq(g.m[1].offset, strlen(c) + 4 + 2);
}
END_TEST

START_TEST(fingerprint_matches_sha256sum)
{
	char fp[KEYS_FP_LEN + 1];

	ck_assert_int_eq(keys_fingerprint("test-only-not-a-secret", 22, fp), 0);
	ck_assert_str_eq(fp, "sha256:df24e0c5317b7fdb");
	ck_assert_int_eq(keys_fingerprint("", 0, fp), 0);
	/* printf '' | sha256sum */
	ck_assert_str_eq(fp, "sha256:e3b0c44298fc1c14");
}
END_TEST

/* A parser reset for another stream keeps nothing of the last one. */
START_TEST(reset_for_another_stream)
{
	struct http_opts	 o = opts();
	struct got		 g;
	struct http_parser	*p;
	const char		*cut = "POST /a HTTP/1.1\r\nX-Reload-Api-Key: t"
				    "est-value-cut\r\nContent-Length: 400\r\n";
	const char		*next = "GET /b HTTP/1.1\r\n\r\n";
	const char		*err = "BREW /c HTCPCP/1.0\r\n\r\n";

	memset(&g, 0, sizeof(g));
	p = http_parser_new(1, &o, on_msg, &g);
	/* a head cut in the middle, then a body never finished */
	ck_assert_int_eq(http_parser_feed(p, (const uint8_t *)cut,
	    strlen(cut) - 5), 0);
	ck_assert_int_eq(g.n, 0);
	http_parser_reset(p);
	ck_assert_int_eq(http_parser_feed(p, (const uint8_t *)next,
	    strlen(next)), 0);
	ck_assert_int_eq(g.n, 1);
	ck_assert_str_eq(g.m[0].method, "GET");
	ck_assert_str_eq(g.m[0].path, "/b");
	ck_assert_str_eq(g.m[0].fingerprint, "");
	ck_assert_uint_eq(g.m[0].nkeys, 0);
	/* an error is forgotten too: the next stream is read from its start */
	ck_assert_int_eq(http_parser_feed(p, (const uint8_t *)err,
	    strlen(err)), -1);
	ck_assert_uint_eq(http_parser_errors(p), 1);
	http_parser_reset(p);
	ck_assert_uint_eq(http_parser_errors(p), 0);
	ck_assert_ptr_null(http_parser_error(p, NULL));
	ck_assert_int_eq(http_parser_feed(p, (const uint8_t *)next,
	    strlen(next)), 0);
	ck_assert_int_eq(g.n, 2);
	http_parser_free(p);
}
END_TEST

static Suite *
http_suite(void)
{
	Suite	*s = suite_create("http");
	TCase	*tc = tcase_create("parser");

	tcase_add_test(tc, request_with_key);
	tcase_add_test(tc, bearer_and_repeated_keys);
	tcase_add_test(tc, pipelined_with_bodies);
	tcase_add_test(tc, responses);
	tcase_add_test(tc, http09_and_odd_lines);
	tcase_add_test(tc, errors_and_resync);
	tcase_add_test(tc, gaps);
	tcase_add_test(tc, fingerprint_matches_sha256sum);
	tcase_add_test(tc, reset_for_another_stream);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(http_suite());
	int	 failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
