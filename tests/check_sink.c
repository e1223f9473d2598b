/* Unit tests for the sink table and the file sink. */
#include "autoconfig.h"

#include <sys/stat.h>

#include "check_common.h"
#include "sink.h"

START_TEST(file_lines_and_reopen)
{
	char			 dir[] = "/tmp/kssink-XXXXXX", path[256], rot[256];
	struct output_conf	 oc = { "file", path, NULL, NULL, 0 };
	struct sink		*s;
	char			 err[256], *text;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/alerts.jsonl", dir);
	snprintf(rot, sizeof(rot), "%s/alerts.jsonl.1", dir);
	s = sink_open(&oc, NULL, err, sizeof(err));
	ck_assert_msg(s != NULL, "%s", err);
	ck_assert_int_eq(sink_write(s, "{\"a\":1}", 7), 0);
	ck_assert_int_eq(sink_write(s, "{\"a\":2}", 7), 0);
	/* logrotate renames, then we reopen: new lines go to a new file */
	ck_assert_int_eq(rename(path, rot), 0);
	ck_assert_int_eq(sink_write(s, "{\"a\":3}", 7), 0);
	ck_assert_int_eq(sink_reopen(s), 0);
	ck_assert_int_eq(sink_write(s, "{\"a\":4}", 7), 0);
	ck_assert_uint_eq(s->written, 4);
	sink_close(s);
	text = ks_slurp(rot, NULL);
	ck_assert_str_eq(text, "{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n");
	free(text);
	text = ks_slurp(path, NULL);
	ck_assert_str_eq(text, "{\"a\":4}\n");
	free(text);
	unlink(path);
	unlink(rot);
	rmdir(dir);
}
END_TEST

START_TEST(failures_are_counted_not_fatal)
{
	struct output_conf	 oc = { "file", "/dev/full", NULL, NULL, 0 };
	struct sink		*s;
	char			 err[256];

	s = sink_open(&oc, NULL, err, sizeof(err));
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(sink_write(s, "{}", 2), -1);
	ck_assert_int_eq(sink_write(s, "{}", 2), -1);
	ck_assert_uint_eq(s->failed, 2);
	sink_close(s);
}
END_TEST

START_TEST(open_errors)
{
	struct output_conf	oc = { "file", "/nonexistent/dir/a.jsonl", NULL,
				    NULL, 0 };
	struct output_conf	bad = { "carrier-pigeon", "-", NULL, NULL, 0 };
	char			err[256];

	ck_assert_ptr_null(sink_open(&oc, NULL, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/dir/a.jsonl"));
	ck_assert_ptr_null(sink_open(&bad, NULL, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "carrier-pigeon"));
}
END_TEST

static Suite *
sink_suite(void)
{
	Suite	*s = suite_create("sink");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, file_lines_and_reopen);
	tcase_add_test(tc, failures_are_counted_not_fatal);
	tcase_add_test(tc, open_errors);
	suite_add_tcase(s, tc);
	return s;
}

KS_CHECK_MAIN(sink_suite)
