/* Unit tests for decode.c: the backend table, "auto", shared helpers. */
#include "autoconfig.h"

#include "check_common.h"
#include "decode.h"

START_TEST(unknown_format)
{
	struct decoder_opts	o = { .format = "syslog" };
	char			err[256];

	ck_assert_ptr_null(decoder_new(&o, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "syslog"));
	ck_assert_ptr_nonnull(strstr(err, "caddy"));
	ck_assert(!decode_format_valid("syslog"));
	ck_assert(decode_format_valid("kratos"));
	ck_assert(decode_format_valid("combined"));
}
END_TEST

START_TEST(auto_dispatches_by_first_byte)
{
	struct decoder_opts	 o = { .format = "auto" };
	struct decoder		*d;
	struct event		 ev;
	struct decode_error	 err;
	char			 msg[256];
	const char		*j = "  {\"path\":\"/j\",\"status\":200}";
	const char		*c = "10.0.0.1 - - [20/Nov/2026:10:00:00 +0000] "
				    "\"GET /c HTTP/1.1\" 200 1";

	d = decoder_new(&o, msg, sizeof(msg));
	ck_assert_ptr_nonnull(d);
	ck_assert_str_eq(decoder_name(d), "auto");
	ck_assert_int_eq(decoder_decode(d, j, strlen(j), &ev, &err),
	    DECODE_EVENT);
	ck_assert_str_eq(ev.path, "/j");
	ck_assert_int_eq(decoder_decode(d, c, strlen(c), &ev, &err),
	    DECODE_EVENT);
	ck_assert_str_eq(ev.path, "/c");
	/* an error message never quotes the record */
	ck_assert_int_eq(decoder_decode(d, "{\"path\":\"SECRETVALUE\",\"status"
	    "\":\"x\"}", 37, &ev, &err), DECODE_ERROR);
	ck_assert_ptr_null(strstr(err.msg, "SECRETVALUE"));
	decoder_free(d);
}
END_TEST

START_TEST(field_names)
{
	ck_assert_int_eq(decode_field_lookup("time"), DF_TIME);
	ck_assert_int_eq(decode_field_lookup("user_agent"), DF_USER_AGENT);
	ck_assert_int_eq(decode_field_lookup("nope"), -1);
	ck_assert_str_eq(decode_field_name(DF_SOURCE), "source");
}
END_TEST

START_TEST(helpers)
{
	struct event ev;

	event_clear(&ev);
	ck_assert_int_eq(decode_set_status(&ev, "401", 3), 0);
	ck_assert_int_eq(ev.status, 401);
	ck_assert_int_eq(decode_set_status(&ev, "4011", 4), -1);
	ck_assert_int_eq(decode_set_status(&ev, "", 0), -1);
	ck_assert_int_eq(decode_set_time(&ev, "1700000000", 10, 1), 0);
	ck_assert_int_eq(decode_set_time(&ev, "2026-11-20", 10, 0), -1);
	decode_set_source(&ev, "[fd00::1]:80", 12);
	ck_assert(ev.flags & EV_HAS_SRC);
	ck_assert(ev.flags & EV_HAS_PORT);
	ck_assert_uint_eq(ev.src_port, 80);
}
END_TEST

static Suite *
decode_suite(void)
{
	Suite	*s = suite_create("decode");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, unknown_format);
	tcase_add_test(tc, auto_dispatches_by_first_byte);
	tcase_add_test(tc, field_names);
	tcase_add_test(tc, helpers);
	suite_add_tcase(s, tc);
	return s;
}

KS_CHECK_MAIN(decode_suite)
