/*
 * Unit tests for jscan.c, including a differential test against jansson:
 * on every input jansson accepts, the scanner must accept and capture the
 * same values; on generated malformed inputs, both must reject.
 */
#include "autoconfig.h"

#include <jansson.h>

#include "check_common.h"
#include "jscan.h"

static struct jpath_set *
paths(const char *const *list)
{
	struct jpath_set	*s = jpath_set_new();
	int			 i;

	for (i = 0; list[i] != NULL; i++)
		ck_assert_int_eq(jpath_set_add(s, list[i], i, 0), 0);
	return s;
}

static int
scan(struct jpath_set *s, const char *text, struct jvalue *v)
{
	static char		scratch[4096];
	struct jscan_error	err;

	return jscan_object(s, text, strlen(text), v, scratch,
	    sizeof(scratch), &err);
}

static void
want_str(const struct jvalue *v, const char *s)
{
	ck_assert_int_eq(v->type, JV_STRING);
	ck_assert_uint_eq(v->len, strlen(s));
	ck_assert_mem_eq(v->s, s, v->len);
}

START_TEST(captures_nested_and_dotted)
{
	const char		*list[] = { "request.remote_ip", "status",
				    "source.ip", "request.headers.User-Agent",
				    NULL };
	struct jpath_set	*s = paths(list);
	struct jvalue		 v[JSCAN_MAX_SLOTS];

	ck_assert_int_eq(scan(s, "{\"request\":{\"remote_ip\":\"10.0.0.1\","
	    "\"headers\":{\"User-Agent\":[\"curl/8\",\"x\"]}},\"status\":401,"
	    "\"source.ip\":\"fd00::1\"}", v), 0);
	want_str(&v[0], "10.0.0.1");
	ck_assert_int_eq(v[1].type, JV_NUMBER);
	ck_assert_uint_eq(v[1].len, 3);
	want_str(&v[2], "fd00::1");
	want_str(&v[3], "curl/8");	/* first element of an array */
	jpath_set_free(s);
}
END_TEST

START_TEST(escapes)
{
	const char		*list[] = { "p", "k", NULL };
	struct jpath_set	*s = paths(list);
	struct jvalue		 v[JSCAN_MAX_SLOTS];

	ck_assert_int_eq(scan(s, "{\"p\":\"\\/a\\u0062\\\"\\u00e9\\ud83d"
	    "\\ude00\",\"\\u006b\":\"lone \\ud800!\"}", v), 0);
	want_str(&v[0], "/ab\"\xc3\xa9\xf0\x9f\x98\x80");
	want_str(&v[1], "lone \xef\xbf\xbd!");	/* key was escaped too */
	jpath_set_free(s);
}
END_TEST

START_TEST(priorities_and_duplicates)
{
	struct jpath_set	*s = jpath_set_new();
	struct jvalue		 v[JSCAN_MAX_SLOTS];

	ck_assert_int_eq(jpath_set_add(s, "time", 0, 0), 0);
	ck_assert_int_eq(jpath_set_add(s, "ts", 0, 1), 0);
	ck_assert_int_eq(scan(s, "{\"ts\":1,\"time\":\"a\"}", v), 0);
	want_str(&v[0], "a");		/* higher priority wins */
	ck_assert_int_eq(scan(s, "{\"ts\":1}", v), 0);
	ck_assert_int_eq(v[0].type, JV_NUMBER);
	ck_assert_int_eq(scan(s, "{\"time\":\"a\",\"time\":\"b\"}", v), 0);
	want_str(&v[0], "b");		/* the last duplicate wins */
	/* one path cannot feed two slots */
	ck_assert_int_eq(jpath_set_add(s, "ts", 3, 0), -1);
	ck_assert_int_eq(jpath_set_add(s, "", 3, 0), -1);
	ck_assert_int_eq(jpath_set_add(s, "a..b", 3, 0), -1);
	jpath_set_free(s);
}
END_TEST

START_TEST(rejects_with_offsets)
{
	static const struct {
		const char	*text;
		size_t		 offset;
	} bad[] = {
		{ "", 0 },
		{ "[1]", 0 },
		{ "{\"a\":1,}", 7 },
		{ "{\"a\" 1}", 5 },
		{ "{\"a\":01}", 6 },
		{ "{\"a\":1.}", 7 },
		{ "{\"a\":tru}", 5 },
		{ "{\"a\":\"x\ty\"}", 7 },
		{ "{\"a\":\"\\x\"}", 6 },
		{ "{\"a\":\"\\u12\"}", 6 },
		{ "{\"a\":1} x", 8 },
		{ "{\"a\":\"unterminated", 18 },
		{ "{\"a\":[1,2}", 9 },
	};
	struct jpath_set	*s = jpath_set_new();
	struct jvalue		 v[JSCAN_MAX_SLOTS];
	struct jscan_error	 err;
	char			 scratch[64];
	size_t			 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(jscan_object(s, bad[i].text, strlen(bad[i].text),
		    v, scratch, sizeof(scratch), &err) == -1, "accepted %s",
		    bad[i].text);
		ck_assert_msg(err.offset == bad[i].offset, "%s: offset %zu, "
		    "want %zu (%s)", bad[i].text, err.offset, bad[i].offset,
		    err.msg);
	}
	jpath_set_free(s);
}
END_TEST

START_TEST(depth_limit)
{
	struct jpath_set	*s = jpath_set_new();
	struct jvalue		 v[JSCAN_MAX_SLOTS];
	char			 text[1024];
	size_t			 i, o = 0;

	o += (size_t)sprintf(text, "{\"a\":");
	for (i = 0; i < 100; i++)
		text[o++] = '[';
	for (i = 0; i < 100; i++)
		text[o++] = ']';
	text[o++] = '}';
	text[o] = '\0';
	ck_assert_int_eq(scan(s, text, v), -1);
	jpath_set_free(s);
}
END_TEST

START_TEST(scratch_overflow_truncates)
{
	const char		*list[] = { "a", NULL };
	struct jpath_set	*s = paths(list);
	struct jvalue		 v[JSCAN_MAX_SLOTS];
	struct jscan_error	 err;
	char			 scratch[8];
	const char		*text = "{\"a\":\"\\u0041bcdefghijkl\"}";

	ck_assert_int_eq(jscan_object(s, text, strlen(text), v, scratch,
	    sizeof(scratch), &err), 0);
	ck_assert_int_eq(v[0].truncated, 1);
	ck_assert_uint_eq(v[0].len, 8);
	ck_assert_mem_eq(v[0].s, "Abcdefgh", 8);
	jpath_set_free(s);
}
END_TEST

/* A tiny deterministic generator of JSON-ish text. */
static uint64_t rng = 88172645463325252ULL;

static unsigned int
rnd(unsigned int n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned int)(rng % n);
}

static void
gen_value(char *buf, size_t *o, size_t cap, int depth)
{
	static const char *atoms[] = {
		"0", "-1", "3.25", "1e9", "true", "false", "null", "\"x\"",
		"\"a\\\"b\"", "\"\\u00e9\"", "\"10.0.0.1\"", "401",
	};
	unsigned int	k = depth > 3 ? 0 : rnd(4), i, n;

	if (*o + 64 > cap)
		k = 0;
	if (k == 0 || k == 1) {
		*o += (size_t)snprintf(buf + *o, cap - *o, "%s",
		    atoms[rnd(sizeof(atoms) / sizeof(atoms[0]))]);
	} else if (k == 2) {
		buf[(*o)++] = '[';
		n = rnd(4);
		for (i = 0; i < n; i++) {
			if (i)
				buf[(*o)++] = ',';
			gen_value(buf, o, cap, depth + 1);
		}
		buf[(*o)++] = ']';
	} else {
		buf[(*o)++] = '{';
		n = rnd(4);
		for (i = 0; i < n; i++) {
			if (i)
				buf[(*o)++] = ',';
			*o += (size_t)snprintf(buf + *o, cap - *o,
			    "\"%c\":", "abcstp"[rnd(6)]);
			gen_value(buf, o, cap, depth + 1);
		}
		buf[(*o)++] = '}';
	}
	buf[*o] = '\0';
}

START_TEST(differential_against_jansson)
{
	const char		*list[] = { "a", "b.c", "s", "t.p", NULL };
	struct jpath_set	*s = paths(list);
	struct jvalue		 v[JSCAN_MAX_SLOTS];
	char			 text[8192];
	int			 iter, agreed = 0, rejected = 0;

	for (iter = 0; iter < 20000; iter++) {
		size_t		 o = 0;
		json_error_t	 jerr;
		json_t		*doc, *a;
		int		 ours;

		text[o++] = '{';
		text[o] = '\0';
		{
			unsigned int n = rnd(5), i;
			for (i = 0; i < n; i++) {
				if (i)
					text[o++] = ',';
				o += (size_t)snprintf(text + o,
				    sizeof(text) - o, "\"%c\":",
				    "abstcp"[rnd(6)]);
				gen_value(text, &o, sizeof(text) - 64, 1);
			}
		}
		text[o++] = '}';
		text[o] = '\0';
		/* corrupt one byte in a quarter of the cases */
		if (rnd(4) == 0)
			text[rnd((unsigned int)o)] = "{}[],:\"\\x0"[rnd(10)];
		doc = json_loads(text, JSON_REJECT_DUPLICATES |
		    JSON_DECODE_ANY, &jerr);
		ours = scan(s, text, v);
		if (doc == NULL || !json_is_object(doc)) {
			/* jansson rejects duplicates; we take the last one */
			if (doc == NULL && strstr(jerr.text, "duplicate"))
				continue;
			ck_assert_msg(ours == -1, "accepted: %s", text);
			rejected++;
			json_decref(doc);
			continue;
		}
		ck_assert_msg(ours == 0, "rejected: %s", text);
		a = json_object_get(doc, "a");
		if (json_is_string(a)) {
			ck_assert_int_eq(v[0].type, JV_STRING);
			ck_assert_uint_eq(v[0].len, json_string_length(a));
			ck_assert_mem_eq(v[0].s, json_string_value(a), v[0].len);
		} else if (json_is_true(a))
			ck_assert_int_eq(v[0].type, JV_TRUE);
		else if (json_is_null(a))
			ck_assert_int_eq(v[0].type, JV_NULL);
		else if (a == NULL)
			ck_assert_int_eq(v[0].type, JV_NONE);
		agreed++;
		json_decref(doc);
	}
	ck_assert_int_gt(agreed, 5000);
	ck_assert_int_gt(rejected, 1000);
	jpath_set_free(s);
}
END_TEST

static Suite *
jscan_suite(void)
{
	Suite	*s = suite_create("jscan");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, captures_nested_and_dotted);
	tcase_add_test(tc, escapes);
	tcase_add_test(tc, priorities_and_duplicates);
	tcase_add_test(tc, rejects_with_offsets);
	tcase_add_test(tc, depth_limit);
	tcase_add_test(tc, scratch_overflow_truncates);
	tcase_add_test(tc, differential_against_jansson);
	suite_add_tcase(s, tc);
	return s;
}

KS_CHECK_MAIN(jscan_suite)
