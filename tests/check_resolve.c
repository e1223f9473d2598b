/*
 * Unit tests for resolve.c against a DNS server in the same process and
 * on the same loop (libevent's evdns server, on a free port of
 * 127.0.0.1): answers that change, a name that goes away, a server that
 * fails, a reload, and stopping with a question outstanding.
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <strings.h>
#include <sys/socket.h>
#include <event2/dns.h>
#include <event2/dns_struct.h>
#include <event2/event.h>

#include "config.h"
#include "check_common.h"
#include "resolve.h"
#include "util.h"

enum mode { ANSWER, SERVFAIL, SILENT };

struct server {
	struct event_base		*base;
	struct evdns_server_port	*port;
	evutil_socket_t			 fd;
	int				 portno;
	enum mode			 mode;
	const char			*name;		/* the name it knows */
	const char			*v4[4], *v6[4];
	int				 queries;
	struct evdns_server_request	*held;		/* SILENT */
};

static void
on_query(struct evdns_server_request *req, void *arg)
{
	struct server	*s = arg;
	int		 i, j, known;

	s->queries++;
	if (s->mode == SILENT) {
		if (s->held != NULL)
			evdns_server_request_drop(s->held);
		s->held = req;
		return;
	}
	if (s->mode == SERVFAIL) {
		evdns_server_request_respond(req, DNS_ERR_SERVERFAILED);
		return;
	}
	for (i = 0; i < req->nquestions; i++) {
		const struct evdns_server_question *q = req->questions[i];
		known = s->name != NULL && strcasecmp(q->name, s->name) == 0;
		if (!known) {
			evdns_server_request_respond(req, DNS_ERR_NOTEXIST);
			return;
		}
		for (j = 0; j < 4; j++) {
			struct in_addr	a4;
			struct in6_addr	a6;
			if (q->type == EVDNS_TYPE_A && s->v4[j] != NULL) {
				inet_pton(AF_INET, s->v4[j], &a4);
				evdns_server_request_add_a_reply(req, q->name,
				    1, &a4, 1);
			}
			if (q->type == EVDNS_TYPE_AAAA && s->v6[j] != NULL) {
				inet_pton(AF_INET6, s->v6[j], &a6);
				evdns_server_request_add_aaaa_reply(req,
				    q->name, 1, &a6, 1);
			}
		}
	}
	evdns_server_request_respond(req, DNS_ERR_NONE);
}

static void
server_start(struct server *s, struct event_base *base)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);

	memset(s, 0, sizeof(*s));
	s->base = base;
	s->fd = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_ge(s->fd, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(s->fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(s->fd, (struct sockaddr *)&sin, &len), 0);
	s->portno = ntohs(sin.sin_port);
	evutil_make_socket_nonblocking(s->fd);
	s->port = evdns_add_server_port_with_base(base, s->fd, 0, on_query, s);
	ck_assert_ptr_nonnull(s->port);
}

static void
server_stop(struct server *s)
{
	if (s->held != NULL)
		evdns_server_request_drop(s->held);
	evdns_close_server_port(s->port);
	evutil_closesocket(s->fd);
}

static struct config *
config_for(const struct server *s, const char *allowed)
{
	char text[1024];

	snprintf(text, sizeof(text),
	    "endpoints:\n"
	    "  - {name: a, path: /a, allowed_sources: [%s]}\n"
	    "  - {name: b, path: /b, allowed_sources: [10.0.0.1, %s]}\n"
	    "dns_servers: ['127.0.0.1:%d']\n", allowed, allowed, s->portno);
	return ks_config_text(text);
}

/* Does endpoint i of c allow address s now? */
static int
allows(const struct config *c, size_t i, const char *s)
{
	struct ks_addr a;

	ck_assert_int_eq(addr_parse(s, strlen(s), &a), 0);
	return addrset_contains(&c->endpoints[i].resolved, &a);
}

/* Runs the loop until the resolver completed rounds rounds in all. */
static void
until_round(struct event_base *base, struct resolver *r, uint64_t rounds)
{
	struct resolver_stats	st;
	int			i;

	for (i = 0; i < 3000; i++) {		/* 30 s at most */
		resolver_stats(r, &st);
		if (st.rounds >= rounds)
			return;
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		usleep(10000);
	}
	ck_abort_msg("round %u never completed", (unsigned int)rounds);
}

START_TEST(answers_changes_and_grace)
{
	struct event_base	*base = event_base_new();
	struct server		 s;
	struct config		*c;
	struct resolver		*r;
	struct resolver_stats	 st;
	char			 err[256], text[512];

	server_start(&s, base);
	s.name = "ciam-athena.test";
	s.v4[0] = "172.18.0.5";
	s.v6[0] = "fd00::5";
	c = config_for(&s, "ciam-athena.test");
	r = resolver_new(base, c, KS_NSEC_PER_SEC / 10, err, sizeof(err));
	ck_assert_msg(r != NULL, "%s", err);
	ck_assert_uint_eq(resolver_wait(r, 5 * KS_NSEC_PER_SEC), 0);
	/* both endpoints that name it */
	ck_assert(allows(c, 0, "172.18.0.5"));
	ck_assert(allows(c, 0, "fd00::5"));
	ck_assert(allows(c, 1, "172.18.0.5"));
	ck_assert(!allows(c, 0, "172.18.0.6"));
	resolver_describe(r, text, sizeof(text));
	ck_assert_str_eq(text, "ciam-athena.test -> 172.18.0.5, fd00::5");
	resolver_stats(r, &st);
	ck_assert_uint_eq(st.names, 1);
	ck_assert_uint_eq(st.addresses, 2);
	/* the container moves: the old address stays one more round */
	s.v4[0] = "172.18.0.6";
	s.v6[0] = NULL;
	until_round(base, r, st.rounds + 1);
	ck_assert(allows(c, 0, "172.18.0.6"));
	ck_assert(allows(c, 0, "172.18.0.5"));		/* grace */
	resolver_stats(r, &st);
	until_round(base, r, st.rounds + 1);
	ck_assert(allows(c, 0, "172.18.0.6"));
	ck_assert(!allows(c, 0, "172.18.0.5"));
	ck_assert(!allows(c, 0, "fd00::5"));
	resolver_stats(r, &st);
	ck_assert_uint_ge(st.changes, 2);
	/* the server fails: nothing changes */
	s.mode = SERVFAIL;
	until_round(base, r, st.rounds + 2);
	ck_assert(allows(c, 0, "172.18.0.6"));
	resolver_stats(r, &st);
	ck_assert_uint_eq(st.failing, 1);
	ck_assert_uint_ge(st.failures, 1);
	/* back, then the name is gone: nothing after the grace */
	s.mode = ANSWER;
	s.name = NULL;
	until_round(base, r, st.rounds + 3);
	ck_assert(!allows(c, 0, "172.18.0.6"));
	ck_assert(allows(c, 1, "10.0.0.1") == 0);	/* a CIDR, not here */
	resolver_stats(r, &st);
	ck_assert_uint_eq(st.failing, 0);
	ck_assert_uint_eq(st.addresses, 0);
	resolver_free(r);
	/* what was written stays in the config */
	config_free(c);
	server_stop(&s);
	event_base_free(base);
}
END_TEST

START_TEST(reload_keeps_known_names)
{
	struct event_base	*base = event_base_new();
	struct server		 s;
	struct config		*c1, *c2;
	struct resolver		*r;
	struct resolver_stats	 st;
	char			 err[256];
	int			 q;

	server_start(&s, base);
	s.name = "ciam-athena.test";
	s.v4[0] = "172.18.0.5";
	c1 = config_for(&s, "ciam-athena.test");
	r = resolver_new(base, c1, 0, err, sizeof(err));	/* one round */
	ck_assert_uint_eq(resolver_wait(r, 5 * KS_NSEC_PER_SEC), 0);
	q = s.queries;
	/* a reload: the new config is filled at once, without asking */
	c2 = config_for(&s, "Ciam-Athena.test");
	resolver_use(r, c2);
	ck_assert(allows(c2, 0, "172.18.0.5"));
	ck_assert(allows(c2, 1, "172.18.0.5"));
	ck_assert_int_eq(s.queries, q);
	config_free(c1);
	resolver_stats(r, &st);
	ck_assert_uint_eq(st.names, 1);
	resolver_free(r);
	config_free(c2);
	server_stop(&s);
	event_base_free(base);
}
END_TEST

/* A server that never answers: start-up gives up; stopping is clean. */
START_TEST(silent_server)
{
	struct event_base	*base = event_base_new();
	struct server		 s;
	struct config		*c;
	struct resolver		*r;
	char			 err[256], text[512];

	server_start(&s, base);
	s.mode = SILENT;
	c = config_for(&s, "ciam-athena.test");
	r = resolver_new(base, c, 0, err, sizeof(err));
	ck_assert_uint_eq(resolver_wait(r, KS_NSEC_PER_SEC / 5), 1);
	resolver_describe(r, text, sizeof(text));
	ck_assert_str_eq(text, "ciam-athena.test -> unresolved (still "
	    "waiting)");
	ck_assert_uint_eq(c->endpoints[0].resolved.n, 0);
	resolver_free(r);		/* with the question outstanding */
	config_free(c);
	server_stop(&s);
	event_base_free(base);
}
END_TEST

START_TEST(counts_names)
{
	struct ydiag	 d;
	static const char *text =
	    "endpoints:\n"
	    "  - {name: a, path: /a, allowed_sources: [x.test, y.test]}\n"
	    "  - {name: b, path: /b, allowed_sources: [10.0.0.0/8]}\n";
	struct config	*c;

	ydiag_init(&d, "t.yml");
	c = config_load_buffer("t.yml", text, strlen(text), &d);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(resolver_count(c), 2);
	config_free(c);
	ydiag_free(&d);
}
END_TEST

static Suite *
resolve_suite(void)
{
	Suite	*s = suite_create("resolve");
	TCase	*tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, counts_names);
	tcase_add_test(tc, answers_changes_and_grace);
	tcase_add_test(tc, reload_keeps_known_names);
	tcase_add_test(tc, silent_server);
	suite_add_tcase(s, tc);
	return s;
}

KS_CHECK_MAIN(resolve_suite)
