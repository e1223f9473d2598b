/*
 * keys.c: fingerprints (what sha256sum gives), and what `keysentry
 * fingerprint` makes of its input.  The values here are test strings,
 * not keys.
 */
#include "autoconfig.h"

#include "config.h"
#include "check_common.h"
#include "keys.h"

START_TEST(fingerprint_is_sha256_cut)
{
	char fp[KEYS_FP_LEN + 1];

	/* printf %s abc | sha256sum: ba7816bf8f01cfea414140de5dae2223... */
	ck_assert_int_eq(keys_fingerprint("abc", 3, fp), 0);
	ck_assert_str_eq(fp, "sha256:ba7816bf8f01cfea");
	/* the empty string: e3b0c44298fc1c14... */
	ck_assert_int_eq(keys_fingerprint("", 0, fp), 0);
	ck_assert_str_eq(fp, "sha256:e3b0c44298fc1c14");
	ck_assert(keys_fp_valid(fp));
	ck_assert(!keys_fp_valid("sha256:E3B0C44298FC1C14"));
	ck_assert(!keys_fp_valid("sha256:e3b0c44298fc1c1"));
	ck_assert(!keys_fp_valid("sha256:e3b0c44298fc1c145"));
	ck_assert(!keys_fp_valid("sha1:e3b0c44298fc1c14xx"));
	ck_assert(!keys_fp_valid("sha256:e3b0c44298fc1cxz"));
}
END_TEST

START_TEST(one_trailing_newline)
{
	ck_assert_uint_eq(keys_trim_input("abc\n", 4), 3);
	ck_assert_uint_eq(keys_trim_input("abc\r\n", 5), 3);
	ck_assert_uint_eq(keys_trim_input("abc\n\n", 5), 4);
	ck_assert_uint_eq(keys_trim_input("abc\r", 4), 4);
	ck_assert_uint_eq(keys_trim_input("abc", 3), 3);
	ck_assert_uint_eq(keys_trim_input("\n", 1), 0);
	ck_assert_uint_eq(keys_trim_input("", 0), 0);
}
END_TEST

START_TEST(looks_like_openssl_rand_hex_32)
{
	/* 64 hex digits, each of the 16 four times: no randomness, but
	   what the check can see is right */
	const char	*good = "0123456789abcdef0123456789abcdef"
			    "fedcba9876543210fedcba9876543210";
	char		 why[256], k[80];

	ck_assert(keys_looks_right(good, 64, why, sizeof(why)));
	ck_assert(!keys_looks_right(good, 63, why, sizeof(why)));
	ck_assert_ptr_nonnull(strstr(why, "63 hex digits, not 64"));
	memcpy(k, good, 64);
	k[10] = 'A';
	ck_assert(!keys_looks_right(k, 64, why, sizeof(why)));
	ck_assert_ptr_nonnull(strstr(why, "not lowercase hex"));
	k[10] = ' ';
	ck_assert(!keys_looks_right(k, 64, why, sizeof(why)));
	ck_assert_ptr_nonnull(strstr(why, "white-space"));
	memset(k, '7', 64);
	memcpy(k, "0123456", 7);
	ck_assert(!keys_looks_right(k, 64, why, sizeof(why)));
	ck_assert_ptr_nonnull(strstr(why, "only 8 distinct hex digits"));
	/* the reason never quotes the key */
	ck_assert_ptr_null(strstr(why, "0123456"));
	ck_assert(!keys_looks_right("changeme", 8, why, sizeof(why)));
}
END_TEST

#define DAY	(INT64_C(86400) * INT64_C(1000000000))

START_TEST(age_warning_then_due)
{
	struct key_gen		 gens[2];
	struct key_conf		 k;
	const struct key_gen	*g = NULL;
	int64_t			 age, created = 1000 * DAY;

	memset(gens, 0, sizeof(gens));
	memset(&k, 0, sizeof(k));
	gens[0].state = KEY_RETIRED;
	gens[0].created = 1;
	gens[1].state = KEY_CURRENT;
	gens[1].created = created;
	k.gens = gens;
	k.ngens = 2;
	k.max_age = 90 * DAY;
	ck_assert_int_eq(keys_age(&k, created + 75 * DAY, &g, &age), 0);
	ck_assert_int_eq(keys_age(&k, created + 76 * DAY - 1, &g, &age), 0);
	/* 14 days before: the warning */
	ck_assert_int_eq(keys_age(&k, created + 76 * DAY, &g, &age), 1);
	ck_assert_ptr_eq(g, &gens[1]);
	ck_assert_int_eq(age, 76 * DAY);
	ck_assert_int_eq(keys_age(&k, created + 90 * DAY - 1, &g, &age), 1);
	/* at max_age and after: due */
	ck_assert_int_eq(keys_age(&k, created + 90 * DAY, &g, &age), 2);
	ck_assert_int_eq(keys_age(&k, created + 400 * DAY, &g, &age), 2);
	/* a clock before its creation: nothing */
	ck_assert_int_eq(keys_age(&k, created - DAY, &g, &age), 0);
	/* no current generation: nothing to age */
	gens[1].state = KEY_NEXT;
	ck_assert_int_eq(keys_age(&k, created + 400 * DAY, &g, &age), 0);
}
END_TEST

static size_t
tokens(const char *line, struct keys_span *sp)
{
	return keys_tokens(line, strlen(line), sp, KEYS_SPAN_MAX);
}

START_TEST(tokens_that_could_be_keys)
{
	struct keys_span	 sp[KEYS_SPAN_MAX];
	char			 line[512], out[512];
	const char		*hex = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
				    "00112233445566778899aabbccddeeff";
	const char		*b64 = "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80=";

	/* a hex key in a JSON field, and in a header line */
	snprintf(line, sizeof(line), "{\"msg\":\"reload\",\"key\":\"%s\"}",
	    hex);
	ck_assert_uint_eq(tokens(line, sp), 1);
	ck_assert_uint_eq(sp[0].len, 64);
	ck_assert(memcmp(line + sp[0].off, hex, 64) == 0);
	ck_assert_str_eq(keys_mask(line, strlen(line), sp, 1, out,
	    sizeof(out)), "{\"msg\":\"reload\",\"key\":\"[key]\"}");
	snprintf(line, sizeof(line), "X-Reload-Api-Key: %s", hex);
	ck_assert_uint_eq(tokens(line, sp), 1);
	/* base64 of 32 bytes, with its '=' */
	snprintf(line, sizeof(line), "token=%s end", b64);
	ck_assert_uint_eq(tokens(line, sp), 1);
	ck_assert_uint_eq(sp[0].len, 44);
	ck_assert_str_eq(keys_mask(line, strlen(line), sp, 1, out,
	    sizeof(out)), "token=[key] end");
	/* and without it */
	snprintf(line, sizeof(line), "k %.43s", b64);
	ck_assert_uint_eq(tokens(line, sp), 1);
	ck_assert_uint_eq(sp[0].len, 43);
	/* longer or shorter runs are not keys */
	snprintf(line, sizeof(line), "%sa", hex);
	ck_assert_uint_eq(tokens(line, sp), 0);
	snprintf(line, sizeof(line), "%.63s", hex);
	ck_assert_uint_eq(tokens(line, sp), 0);
	snprintf(line, sizeof(line), "x%.42sx", b64);
	ck_assert_uint_eq(tokens(line, sp), 0);
	/* a hex key inside a longer base64 run, bounded by '_' */
	snprintf(line, sizeof(line), "key_%s_v2", hex);
	ck_assert_uint_eq(tokens(line, sp), 1);
	ck_assert_uint_eq(sp[0].off, 4);
	/* two in one line, both masked */
	snprintf(line, sizeof(line), "old %s new %s.", hex, hex);
	ck_assert_uint_eq(tokens(line, sp), 2);
	ck_assert_str_eq(keys_mask(line, strlen(line), sp, 2, out,
	    sizeof(out)), "old [key] new [key].");
	/* an ordinary access line has none */
	ck_assert_uint_eq(tokens("10.89.1.10 - - [20/Nov/2026:08:00:00 +0000] "
	    "\"POST /internal/kratos/reload HTTP/1.1\" 200 2 \"-\" "
	    "\"athena/1.0\"", sp), 0);
	/* the mask is cut, never overflows */
	snprintf(line, sizeof(line), "%s", hex);
	ck_assert_uint_eq(tokens(line, sp), 1);
	ck_assert_str_eq(keys_mask(line, strlen(line), sp, 1, out, 4), "[ke");
}
END_TEST

static Suite *
keys_suite(void)
{
	Suite	*s = suite_create("keys");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, fingerprint_is_sha256_cut);
	tcase_add_test(tc, one_trailing_newline);
	tcase_add_test(tc, looks_like_openssl_rand_hex_32);
	tcase_add_test(tc, age_warning_then_due);
	tcase_add_test(tc, tokens_that_could_be_keys);
	suite_add_tcase(s, tc);
	return s;
}

KS_CHECK_MAIN(keys_suite)
