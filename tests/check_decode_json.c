/* The JSON decoder, driven by tests/fixtures/decode/json.txt. */
#include "autoconfig.h"

#include "decode_table.h"

START_TEST(table)
{
	ck_assert_int_ge(dt_run("tests/fixtures/decode/json.txt"), 20);
}
END_TEST

START_TEST(field_map_overrides_preset)
{
	struct decoder_opts	 o;
	struct decoder		*d;
	struct event		 ev;
	struct decode_error	 err;
	char			 msg[256];
	const char		*line = "{\"when\":\"2026-11-20T10:00:00Z\","
				    "\"peer\":{\"addr\":\"10.9.9.9\"},\"path\":"
				    "\"/x\",\"code\":403,\"remote_addr\":"
				    "\"10.1.1.1\"}";

	memset(&o, 0, sizeof(o));
	o.format = "json";
	o.fields[DF_TIME][0] = "when";
	o.fields[DF_SOURCE][0] = "peer.addr";
	o.fields[DF_STATUS][0] = "code";
	d = decoder_new(&o, msg, sizeof(msg));
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(decoder_decode(d, line, strlen(line), &ev, &err),
	    DECODE_EVENT);
	ck_assert_int_eq(ev.status, 403);
	ck_assert_uint_eq(ev.src.bytes[3], 9);	/* the map, not the preset */
	ck_assert(ev.flags & EV_HAS_TIME);
	decoder_free(d);

	o.fields[DF_SOURCE][0] = "a..b";
	ck_assert_ptr_null(decoder_new(&o, msg, sizeof(msg)));
	ck_assert_ptr_nonnull(strstr(msg, "a..b"));
}
END_TEST

START_TEST(long_values_are_cut_and_flagged)
{
	struct decoder_opts	 o = { .format = "flat" };
	struct decoder		*d;
	struct event		 ev;
	struct decode_error	 err;
	char			 msg[256], *line;
	size_t			 n = 20000;

	line = malloc(n + 100);
	n = (size_t)sprintf(line, "{\"status\":200,\"path\":\"/");
	memset(line + n, 'a', 20000);
	n += 20000;
	n += (size_t)sprintf(line + n, "\"}");
	d = decoder_new(&o, msg, sizeof(msg));
	ck_assert_int_eq(decoder_decode(d, line, n, &ev, &err), DECODE_EVENT);
	ck_assert(ev.flags & EV_TRUNCATED);
	ck_assert_uint_eq(strlen(ev.path), EV_PATH_MAX - 1);
	decoder_free(d);
	free(line);
}
END_TEST

static Suite *
json_suite(void)
{
	Suite	*s = suite_create("decode_json");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, table);
	tcase_add_test(tc, field_map_overrides_preset);
	tcase_add_test(tc, long_values_are_cut_and_flagged);
	suite_add_tcase(s, tc);
	return s;
}

KS_CHECK_MAIN(json_suite)
