/* Unit tests for ydoc.c: the marked YAML tree and diagnostics. */
#include "autoconfig.h"

#include "check_common.h"
#include "ydoc.h"

static struct ydoc *
load(const char *text, char *err, size_t errlen)
{
	return ydoc_load_buffer("t.yml", text, strlen(text), err, errlen);
}

START_TEST(tree_and_marks)
{
	char			 err[512];
	struct ydoc		*d = load("a: 1\nb:\n  - x\n  - 'y'\nc: {k: v}\n",
				    err, sizeof(err));
	struct ydoc_node	*b, *c;

	ck_assert_msg(d != NULL, "%s", err);
	ck_assert_uint_eq(d->ndocs, 1);
	ck_assert_int_eq(d->docs[0]->type, YDOC_MAP);
	ck_assert_uint_eq(d->docs[0]->n, 3);
	ck_assert_str_eq(ydoc_get(d->docs[0], "a")->str, "1");
	b = ydoc_get(d->docs[0], "b");
	ck_assert_int_eq(b->type, YDOC_SEQ);
	ck_assert_uint_eq(b->n, 2);
	ck_assert_uint_eq(b->items[1]->line, 4);
	ck_assert_uint_eq(b->items[1]->col, 5);
	ck_assert(b->items[0]->plain);
	ck_assert(!b->items[1]->plain);
	c = ydoc_get(d->docs[0], "c");
	ck_assert_str_eq(ydoc_get(c, "k")->str, "v");
	ck_assert_ptr_null(ydoc_get(d->docs[0], "zz"));
	ydoc_free(d);
}
END_TEST

START_TEST(multiple_documents_and_nulls)
{
	char		 err[512];
	struct ydoc	*d = load("a: ~\n---\nb: null\n---\n", err, sizeof(err));

	ck_assert_ptr_nonnull(d);
	ck_assert_uint_eq(d->ndocs, 3);
	ck_assert(ydoc_is_null(ydoc_get(d->docs[0], "a")));
	ck_assert(ydoc_is_null(d->docs[2]));
	ydoc_free(d);
}
END_TEST

START_TEST(errors_name_the_place)
{
	char		 err[512];
	struct ydoc	*d;

	d = load("a: 1\nb: [1, 2\n", err, sizeof(err));
	ck_assert_ptr_null(d);
	ck_assert_msg(strncmp(err, "t.yml:3:", 8) == 0, "%s", err);

	d = load("a: 1\nb: 2\na: 3\n", err, sizeof(err));
	ck_assert_ptr_null(d);
	ck_assert_str_eq(err, "t.yml:3:1: duplicate key \"a\"");

	d = load("x:\n  y: 1\n  y: 2\nz: 1\n", err, sizeof(err));
	ck_assert_ptr_null(d);
	ck_assert_str_eq(err, "t.yml:3:3: duplicate key \"y\"");

	d = load("a: &x [1]\nb: *x\n", err, sizeof(err));
	ck_assert_ptr_null(d);
	ck_assert_str_eq(err, "t.yml:2:4: YAML aliases are not supported");
}
END_TEST

START_TEST(depth_and_size_limits)
{
	char	 err[512], *text;
	size_t	 i, o = 0;

	text = malloc(1000);
	for (i = 0; i < 100; i++)
		text[o++] = '[';
	for (i = 0; i < 100; i++)
		text[o++] = ']';
	text[o] = '\0';
	ck_assert_ptr_null(load(text, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "nesting deeper"));
	free(text);
	/* an error in the middle of nested open maps frees everything */
	ck_assert_ptr_null(load("a:\n  b:\n    c: [1, {d: 2, d: 3}]\n", err,
	    sizeof(err)));
	/* a flow mapping used as a key, cut by a syntax error (found by
	 * fuzz_config): freeing it once, and whole */
	ck_assert_ptr_null(load("a:\n  - {type: file, path: /x, format: a]b: "
	    "\"-\"}\n", err, sizeof(err)));
	ck_assert_ptr_null(load("? {a: b, c: [d, e]: f\n", err, sizeof(err)));
}
END_TEST

START_TEST(diagnostics_and_accessors)
{
	char			 err[512];
	struct ydoc		*d = load("n: 12\nbad: x1\nb: yes\nt: 10m\n"
				    "extra: 1\nlist: []\n", err, sizeof(err));
	struct ydiag		 dg;
	unsigned long long	 u;
	int64_t			 ns;
	int			 b;
	static const char	*keys[] = { "n", "bad", "b", "t", "list",
				    NULL };

	ck_assert_ptr_nonnull(d);
	ydiag_init(&dg, "t.yml");
	ck_assert_int_eq(ydoc_uint(&dg, ydoc_get(d->docs[0], "n"), "n", 0, 100,
	    &u), 0);
	ck_assert_uint_eq(u, 12);
	ck_assert_int_eq(ydoc_uint(&dg, ydoc_get(d->docs[0], "n"), "n", 0, 10,
	    &u), -1);
	ck_assert_int_eq(ydoc_uint(&dg, ydoc_get(d->docs[0], "bad"), "bad", 0,
	    10, &u), -1);
	ck_assert_int_eq(ydoc_bool(&dg, ydoc_get(d->docs[0], "b"), "b", &b), 0);
	ck_assert_int_eq(b, 1);
	ck_assert_int_eq(ydoc_duration(&dg, ydoc_get(d->docs[0], "t"), "t",
	    &ns), 0);
	ck_assert_int_eq(ns, 600 * INT64_C(1000000000));
	ck_assert_int_eq(ydoc_check_keys(&dg, d->docs[0], keys, "top"), -1);
	ck_assert_uint_eq(dg.n, 3);
	ck_assert_str_eq(dg.msgs[0], "t.yml:1:4: n must be a whole number "
	    "from 0 to 10");
	ck_assert_str_eq(dg.msgs[1], "t.yml:2:6: bad must be a whole number "
	    "from 0 to 10");
	ck_assert_ptr_nonnull(strstr(dg.msgs[2], "t.yml:5:1: top: unknown "
	    "key \"extra\""));
	ydiag_free(&dg);
	ydoc_free(d);
}
END_TEST

START_TEST(diag_keeps_a_bounded_number)
{
	struct ydiag	dg;
	int		i;

	ydiag_init(&dg, "f");
	for (i = 0; i < YDIAG_MAX + 50; i++)
		ydiag_add(&dg, NULL, "e%d", i);
	ck_assert_uint_eq(dg.n, YDIAG_MAX);
	ck_assert_uint_eq(dg.total, YDIAG_MAX + 50);
	ydiag_free(&dg);
}
END_TEST

static Suite *
ydoc_suite(void)
{
	Suite	*s = suite_create("ydoc");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, tree_and_marks);
	tcase_add_test(tc, multiple_documents_and_nulls);
	tcase_add_test(tc, errors_name_the_place);
	tcase_add_test(tc, depth_and_size_limits);
	tcase_add_test(tc, diagnostics_and_accessors);
	tcase_add_test(tc, diag_keeps_a_bounded_number);
	suite_add_tcase(s, tc);
	return s;
}

KS_CHECK_MAIN(ydoc_suite)
