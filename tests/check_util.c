/* Unit tests for util.c: hashing, durations, UTF-8 repair. */
#include "autoconfig.h"

#include "check_common.h"
#include "util.h"

START_TEST(siphash_reference_vector)
{
	/* the reference vector of the SipHash paper: key 00..0f, msg 00..0e */
	uint8_t	key[16], msg[15];
	int	i;

	for (i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (i = 0; i < 15; i++)
		msg[i] = (uint8_t)i;
	ck_assert_uint_eq(ks_siphash(key, msg, sizeof(msg)),
	    UINT64_C(0xa129ca6149be45e5));
	/* the empty message, from the same table */
	ck_assert_uint_eq(ks_siphash(key, msg, 0),
	    UINT64_C(0x726fdb47dd0e0e31));
}
END_TEST

START_TEST(hash_key_is_random_and_stable)
{
	const uint8_t	*k = ks_hash_key();
	uint8_t		 zero[16] = { 0 };

	ck_assert_mem_ne(k, zero, 16);
	ck_assert_ptr_eq(k, ks_hash_key());
	ck_assert_uint_eq(ks_hash("abc", 3), ks_hash("abc", 3));
	ck_assert_uint_ne(ks_hash("abc", 3), ks_hash("abd", 3));
}
END_TEST

START_TEST(durations)
{
	int64_t ns;

	ck_assert_int_eq(ks_parse_duration("60s", &ns), 0);
	ck_assert_int_eq(ns, 60 * KS_NSEC_PER_SEC);
	ck_assert_int_eq(ks_parse_duration("10m", &ns), 0);
	ck_assert_int_eq(ns, 600 * KS_NSEC_PER_SEC);
	ck_assert_int_eq(ks_parse_duration("90d", &ns), 0);
	ck_assert_int_eq(ns, INT64_C(90) * 86400 * KS_NSEC_PER_SEC);
	ck_assert_int_eq(ks_parse_duration("250ms", &ns), 0);
	ck_assert_int_eq(ns, 250000000);
	ck_assert_int_eq(ks_parse_duration("5", &ns), 0);
	ck_assert_int_eq(ns, 5 * KS_NSEC_PER_SEC);
	ck_assert_int_eq(ks_parse_duration("", &ns), -1);
	ck_assert_int_eq(ks_parse_duration("-5s", &ns), -1);
	ck_assert_int_eq(ks_parse_duration("5 s", &ns), -1);
	ck_assert_int_eq(ks_parse_duration("5y", &ns), -1);
	ck_assert_int_eq(ks_parse_duration("99999999999999d", &ns), -1);
}
END_TEST

START_TEST(format_duration)
{
	char buf[32];

	ks_format_duration(600 * KS_NSEC_PER_SEC, buf, sizeof(buf));
	ck_assert_str_eq(buf, "10m");
	ks_format_duration(90 * KS_NSEC_PER_SEC, buf, sizeof(buf));
	ck_assert_str_eq(buf, "90s");
	ks_format_duration(1500000, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1500000ns");
}
END_TEST

START_TEST(sha256_known)
{
	uint8_t	md[32];
	char	hex[65];

	ck_assert_int_eq(ks_sha256("abc", 3, md), 0);
	ks_hex(md, 32, hex);
	ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
}
END_TEST

START_TEST(utf8_sanitize)
{
	char	out[64];
	size_t	n;

	n = ks_utf8_sanitize("caf\xc3\xa9", 5, out, sizeof(out));
	ck_assert_uint_eq(n, 5);
	ck_assert_str_eq(out, "caf\xc3\xa9");
	/* a lone continuation byte and a truncated sequence */
	n = ks_utf8_sanitize("a\x80" "b\xe2\x82", 5, out, sizeof(out));
	ck_assert_str_eq(out, "a\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd");
	/* overlong encodings and surrogates are invalid too */
	n = ks_utf8_sanitize("\xc0\xaf\xed\xa0\x80", 5, out, sizeof(out));
	ck_assert_str_eq(out, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
	    "\xef\xbf\xbd\xef\xbf\xbd");
	/* NUL is replaced, and the output is always terminated */
	n = ks_utf8_sanitize("a\0b", 3, out, sizeof(out));
	ck_assert_str_eq(out, "a\xef\xbf\xbd" "b");
	n = ks_utf8_sanitize("abcdef", 6, out, 4);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(out, "abc");
}
END_TEST

START_TEST(strlcpy_truncates)
{
	char buf[4];

	ck_assert_uint_eq(ks_strlcpy(buf, "abcdef", sizeof(buf)), 6);
	ck_assert_str_eq(buf, "abc");
}
END_TEST

static Suite *
util_suite(void)
{
	Suite	*s = suite_create("util");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, siphash_reference_vector);
	tcase_add_test(tc, hash_key_is_random_and_stable);
	tcase_add_test(tc, durations);
	tcase_add_test(tc, format_duration);
	tcase_add_test(tc, sha256_known);
	tcase_add_test(tc, utf8_sanitize);
	tcase_add_test(tc, strlcpy_truncates);
	suite_add_tcase(s, tc);
	return s;
}

KS_CHECK_MAIN(util_suite)
