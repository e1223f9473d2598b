/* The CLF decoder, driven by tests/fixtures/decode/clf.txt. */
#include "autoconfig.h"

#include "decode_table.h"

START_TEST(table)
{
	ck_assert_int_ge(dt_run("tests/fixtures/decode/clf.txt"), 20);
}
END_TEST

START_TEST(never_reads_past_the_length)
{
	struct decoder_opts	 o = { .format = "clf" };
	struct decoder		*d;
	struct event		 ev;
	struct decode_error	 err;
	char			 msg[256];
	const char		*full = "10.0.0.1 - - [20/Nov/2026:10:00:00 "
				    "+0000] \"GET / HTTP/1.1\" 200 5";
	char			*copy;
	size_t			 n, len = strlen(full);

	d = decoder_new(&o, msg, sizeof(msg));
	/* every prefix, each in an exactly-sized heap block (ASan checks) */
	for (n = 0; n < len; n++) {
		copy = malloc(n ? n : 1);
		memcpy(copy, full, n);
		(void)decoder_decode(d, copy, n, &ev, &err);
		free(copy);
	}
	decoder_free(d);
}
END_TEST

static Suite *
clf_suite(void)
{
	Suite	*s = suite_create("decode_clf");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, table);
	tcase_add_test(tc, never_reads_past_the_length);
	suite_add_tcase(s, tc);
	return s;
}

KS_CHECK_MAIN(clf_suite)
