/* Unit tests for rconn.c: URLs, and a server that is not there. */
#include "autoconfig.h"

#include <event2/event.h>

#include "check_common.h"
#include "rconn.h"

START_TEST(redis_urls)
{
	char	*h, *p, *u, *pw, err[256];
	int	 port, db;

	ck_assert_int_eq(rconn_parse_url("redis://127.0.0.1:6380/2", &h,
	    &port, &p, &u, &pw, &db, err, sizeof(err)), 0);
	ck_assert_str_eq(h, "127.0.0.1");
	ck_assert_int_eq(port, 6380);
	ck_assert_int_eq(db, 2);
	ck_assert_ptr_null(u);
	ck_assert_ptr_null(pw);
	free(h);
	ck_assert_int_eq(rconn_parse_url("redis://ks:p%40ss@[::1]:7000",
	    &h, &port, &p, &u, &pw, &db, err, sizeof(err)), 0);
	ck_assert_str_eq(h, "::1");
	ck_assert_int_eq(port, 7000);
	ck_assert_int_eq(db, 0);
	ck_assert_str_eq(u, "ks");
	ck_assert_str_eq(pw, "p@ss");
	free(h);
	free(u);
	free(pw);
	ck_assert_int_eq(rconn_parse_url("redis://:secret@redis", &h,
	    &port, &p, &u, &pw, &db, err, sizeof(err)), 0);
	ck_assert_int_eq(port, 6379);
	ck_assert_ptr_null(u);
	ck_assert_str_eq(pw, "secret");
	free(h);
	free(pw);
	ck_assert_int_eq(rconn_parse_url("unix:///run/redis.sock?db=3",
	    &h, &port, &p, &u, &pw, &db, err, sizeof(err)), 0);
	ck_assert_ptr_null(h);
	ck_assert_str_eq(p, "/run/redis.sock");
	ck_assert_int_eq(db, 3);
	free(p);
	ck_assert_int_eq(rconn_parse_url("redis://h:99999/0", &h, &port,
	    &p, &u, &pw, &db, err, sizeof(err)), -1);
	ck_assert_int_eq(rconn_parse_url("redis://h/x", &h, &port, &p,
	    &u, &pw, &db, err, sizeof(err)), -1);
	ck_assert_int_eq(rconn_parse_url("unix://relative.sock", &h,
	    &port, &p, &u, &pw, &db, err, sizeof(err)), -1);
	ck_assert_int_eq(rconn_parse_url("unix:///a.sock?db=x", &h,
	    &port, &p, &u, &pw, &db, err, sizeof(err)), -1);
	/* no password in the message */
	ck_assert_int_eq(rconn_parse_url("redis://u:hunter2@:1/0", &h,
	    &port, &p, &u, &pw, &db, err, sizeof(err)), -1);
	ck_assert_ptr_null(strstr(err, "hunter2"));
	ck_assert_ptr_nonnull(strstr(err, "no host"));
}
END_TEST

START_TEST(nothing_listening)
{
	char			 err[256];
	struct event_base	*base;
	struct rconn		*rc;

	/* replay (a loop of its own): an error at once, no password shown */
	ck_assert_ptr_null(rconn_open("redis://u:hunter2@127.0.0.1:1/0", NULL,
	    "store", NULL, NULL, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "cannot connect"));
	ck_assert_ptr_null(strstr(err, "hunter2"));
	/* the daemon's loop: it opens, is down, and refuses commands */
	base = event_base_new();
	rc = rconn_open("redis://127.0.0.1:1/0", base, "store", NULL, NULL,
	    err, sizeof(err));
	ck_assert_ptr_nonnull(rc);
	event_base_loop(base, EVLOOP_NONBLOCK);
	event_base_loop(base, EVLOOP_NONBLOCK);
	ck_assert_int_eq(rconn_up(rc), 0);
	ck_assert_uint_eq(rconn_pending(rc), 0);
	rconn_close(rc);
	event_base_free(base);
}
END_TEST

static Suite *
rconn_suite(void)
{
	Suite	*s = suite_create("rconn");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, redis_urls);
	tcase_add_test(tc, nothing_listening);
	suite_add_tcase(s, tc);
	return s;
}

KS_CHECK_MAIN(rconn_suite)
