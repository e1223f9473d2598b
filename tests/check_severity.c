/* Unit tests for severity.c: the public words and numbers. */
#include "autoconfig.h"

#include "check_common.h"
#include "severity.h"

START_TEST(words_and_numbers)
{
	static const char *words[] = { "info", "low", "medium", "high",
	    "critical" };
	static const int numbers[] = { 1, 21, 47, 73, 99 };
	int i;

	for (i = 0; i < 5; i++) {
		ck_assert_int_eq(severity_parse(words[i]), i);
		ck_assert_str_eq(severity_name((enum severity)i), words[i]);
		ck_assert_int_eq(severity_number((enum severity)i), numbers[i]);
		if (i > 0)	/* the scale is ordered */
			ck_assert_int_gt(numbers[i], numbers[i - 1]);
	}
	ck_assert_int_eq(severity_parse("High"), -1);
	ck_assert_int_eq(severity_parse("urgent"), -1);
	ck_assert_str_eq(severity_name((enum severity)9), "unknown");
	ck_assert_int_eq(severity_number((enum severity)9), 0);
}
END_TEST

static Suite *
severity_suite(void)
{
	Suite	*s = suite_create("severity");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, words_and_numbers);
	suite_add_tcase(s, tc);
	return s;
}

KS_CHECK_MAIN(severity_suite)
