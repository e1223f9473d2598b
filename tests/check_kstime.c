/* Unit tests for kstime.c. */
#include "autoconfig.h"

#include <time.h>

#include "check_common.h"
#include "kstime.h"
#include "util.h"

static int64_t
rfc(const char *s)
{
	int64_t ns = -1;

	ck_assert_msg(kstime_parse_rfc3339(s, strlen(s), &ns) == 0,
	    "rejected %s", s);
	return ns;
}

START_TEST(rfc3339)
{
	/* 2026-10-10T13:55:36Z, computed independently with timegm() */
	struct tm	tm = { .tm_year = 126, .tm_mon = 9, .tm_mday = 10,
			    .tm_hour = 13, .tm_min = 55, .tm_sec = 36 };
	int64_t		base = (int64_t)timegm(&tm) * KS_NSEC_PER_SEC;

	ck_assert_int_eq(rfc("2026-10-10T13:55:36Z"), base);
	ck_assert_int_eq(rfc("2026-10-10t13:55:36z"), base);
	ck_assert_int_eq(rfc("2026-10-10 13:55:36"), base);
	ck_assert_int_eq(rfc("2026-10-10T13:55:36.123456789Z"),
	    base + 123456789);
	ck_assert_int_eq(rfc("2026-10-10T13:55:36.5Z"), base + 500000000);
	/* more than nine digits: the rest is dropped */
	ck_assert_int_eq(rfc("2026-10-10T13:55:36.1234567891Z"),
	    base + 123456789);
	ck_assert_int_eq(rfc("2026-10-10T15:55:36+02:00"), base);
	ck_assert_int_eq(rfc("2026-10-10T08:25:36-0530"), base);
}
END_TEST

START_TEST(rfc3339_rejects)
{
	static const char *bad[] = {
		"2026-10-10", "2026-13-10T00:00:00Z", "2026-02-29T00:00:00Z",
		"2026-10-10T24:00:00Z", "2026-10-10T13:55:36.Z",
		"2026-10-10T13:55:36+2:00", "2026-10-10T13:55:36Zjunk",
		"1969-12-31T23:59:59Z", "2263-01-01T00:00:00Z", "20261010",
	};
	int64_t	ns;
	size_t	i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(kstime_parse_rfc3339(bad[i], strlen(bad[i]),
		    &ns) == -1, "accepted %s", bad[i]);
	/* a leap day is fine in a leap year */
	ck_assert_int_eq(kstime_parse_rfc3339("2028-02-29T00:00:00Z", 20,
	    &ns), 0);
}
END_TEST

START_TEST(clf)
{
	int64_t	ns, want = rfc("2026-10-10T13:55:36Z");

	ck_assert_int_eq(kstime_parse_clf("10/Oct/2026:13:55:36 +0000", 26,
	    &ns), 0);
	ck_assert_int_eq(ns, want);
	ck_assert_int_eq(kstime_parse_clf("[10/Oct/2026:06:55:36 -0700]", 28,
	    &ns), 0);
	ck_assert_int_eq(ns, want);
	ck_assert_int_eq(kstime_parse_clf("10/Oct/2026:13:55:36.250 +0000",
	    30, &ns), 0);
	ck_assert_int_eq(ns, want + 250000000);
	ck_assert_int_eq(kstime_parse_clf("10/Okt/2026:13:55:36 +0000", 26,
	    &ns), -1);
	ck_assert_int_eq(kstime_parse_clf("10/Oct/2026:13:55:36", 20, &ns),
	    -1);
	ck_assert_int_eq(kstime_parse_clf("31/Apr/2026:13:55:36 +0000", 26,
	    &ns), -1);
}
END_TEST

START_TEST(epoch)
{
	int64_t	ns;

	ck_assert_int_eq(kstime_parse_epoch("1693840791.7564995", 18, &ns),
	    0);
	ck_assert_int_eq(ns, INT64_C(1693840791756499500));
	ck_assert_int_eq(kstime_parse_epoch("1693840791", 10, &ns), 0);
	ck_assert_int_eq(ns, INT64_C(1693840791000000000));
	/* milliseconds, microseconds and nanoseconds by length */
	ck_assert_int_eq(kstime_parse_epoch("1693840791756", 13, &ns), 0);
	ck_assert_int_eq(ns, INT64_C(1693840791756000000));
	ck_assert_int_eq(kstime_parse_epoch("1693840791756499", 16, &ns), 0);
	ck_assert_int_eq(ns, INT64_C(1693840791756499000));
	ck_assert_int_eq(kstime_parse_epoch("1693840791756499500", 19, &ns),
	    0);
	ck_assert_int_eq(ns, INT64_C(1693840791756499500));
	ck_assert_int_eq(kstime_parse_epoch("1693840791756.5", 15, &ns), 0);
	ck_assert_int_eq(ns, INT64_C(1693840791756500000));
	ck_assert_int_eq(kstime_parse_epoch("-1", 2, &ns), -1);
	ck_assert_int_eq(kstime_parse_epoch("1e9", 3, &ns), -1);
	ck_assert_int_eq(kstime_parse_epoch("12345678901234567890", 20, &ns),
	    -1);
	ck_assert_int_eq(kstime_parse_epoch("99999999999", 11, &ns), -1);
}
END_TEST

START_TEST(any)
{
	int64_t	a, b, c;

	ck_assert_int_eq(kstime_parse_any("2026-10-10T13:55:36Z", 20, &a), 0);
	ck_assert_int_eq(kstime_parse_any("1791640536", 10, &b), 0);
	ck_assert_int_eq(kstime_parse_any("[10/Oct/2026:13:55:36 +0000]", 28,
	    &c), 0);
	ck_assert_int_eq(a, b);
	ck_assert_int_eq(a, c);
	ck_assert_int_eq(kstime_parse_any("yesterday", 9, &a), -1);
}
END_TEST

START_TEST(format)
{
	char buf[KSTIME_STRLEN];

	kstime_format(rfc("2026-10-10T13:55:36Z"), buf, sizeof(buf));
	ck_assert_str_eq(buf, "2026-10-10T13:55:36.000Z");
	kstime_format(rfc("2026-10-10T13:55:36.123456Z"), buf, sizeof(buf));
	ck_assert_str_eq(buf, "2026-10-10T13:55:36.123456Z");
	kstime_format(rfc("2028-02-29T23:59:59.000000001Z"), buf, sizeof(buf));
	ck_assert_str_eq(buf, "2028-02-29T23:59:59.000000001Z");
	kstime_format(0, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1970-01-01T00:00:00.000Z");
}
END_TEST

START_TEST(civil_roundtrip_against_libc)
{
	/* every day from 1970 to 2200 agrees with timegm() */
	int64_t	 d;
	char	 buf[KSTIME_STRLEN];

	for (d = 0; d < 84000; d += 7) {
		time_t		 t = (time_t)(d * 86400);
		struct tm	 tm;
		char		 want[KSTIME_STRLEN];

		gmtime_r(&t, &tm);
		strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%S.000Z", &tm);
		kstime_format(d * 86400 * KS_NSEC_PER_SEC, buf, sizeof(buf));
		ck_assert_str_eq(buf, want);
		ck_assert_int_eq(kstime_days_from_civil(tm.tm_year + 1900,
		    (unsigned int)tm.tm_mon + 1, (unsigned int)tm.tm_mday), d);
	}
}
END_TEST

START_TEST(find_in_a_line)
{
	int64_t ns, want;

	ck_assert_int_eq(kstime_parse_rfc3339("2026-11-20T08:01:00.5Z", 22,
	    &want), 0);
	ck_assert_int_eq(kstime_find("{\"ts\": \"2026-11-20T08:01:00.5Z\", "
	    "\"msg\": \"x\"}", 40, &ns), 0);
	ck_assert_int_eq(ns, want);
	ck_assert_int_eq(kstime_find("Nov 20 app[1]: at 2026-11-20 08:01:00.5Z "
	    "retry", 47, &ns), 0);
	ck_assert_int_eq(ns, want);
	ck_assert_int_eq(kstime_parse_rfc3339("2026-11-20T08:01:00Z", 20,
	    &want), 0);
	ck_assert_int_eq(kstime_find("10.0.0.1 - - [20/Nov/2026:09:01:00 "
	    "+0100] \"GET /\"", 50, &ns), 0);
	ck_assert_int_eq(ns, want);
	/* numbers that are not times, and nothing at all */
	ck_assert_int_eq(kstime_find("2026-11-20 is a date; 12:00 a time",
	    34, &ns), -1);
	ck_assert_int_eq(kstime_find("", 0, &ns), -1);
	ck_assert_int_eq(kstime_find("[20/Nov/2026:09:01:00", 21, &ns), -1);
	/* a day is its midnight UTC; a time is itself */
	ck_assert_int_eq(kstime_parse_day("2026-11-20", &ns), 0);
	ck_assert_int_eq(kstime_parse_rfc3339("2026-11-20T00:00:00Z", 20,
	    &want), 0);
	ck_assert_int_eq(ns, want);
	ck_assert_int_eq(kstime_parse_day("2026-11-20T08:01:00Z", &ns), 0);
	ck_assert_int_eq(kstime_parse_day("20/11/2026", &ns), -1);
}
END_TEST

static Suite *
kstime_suite(void)
{
	Suite	*s = suite_create("kstime");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, rfc3339);
	tcase_add_test(tc, rfc3339_rejects);
	tcase_add_test(tc, clf);
	tcase_add_test(tc, epoch);
	tcase_add_test(tc, any);
	tcase_add_test(tc, format);
	tcase_add_test(tc, civil_roundtrip_against_libc);
	tcase_add_test(tc, find_in_a_line);
	suite_add_tcase(s, tc);
	return s;
}

KS_CHECK_MAIN(kstime_suite)
