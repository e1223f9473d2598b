/* Unit tests for lru.c, including a randomised check against a model. */
#include "autoconfig.h"

#include "check_common.h"
#include "lru.h"

static int evicted_last = -1, evictions = 0;

static void
on_evict(void *arg, const void *key, size_t klen, void *val)
{
	(void)arg;
	(void)klen;
	(void)key;
	evicted_last = *(int *)val;
	evictions++;
}

START_TEST(evicts_least_recent)
{
	struct lru	*l = lru_new(3, on_evict, NULL);
	int		*v, created;

	v = lru_put(l, "a", 1, sizeof(int), &created);
	ck_assert(created);
	*v = 1;
	*(int *)lru_put(l, "b", 1, sizeof(int), NULL) = 2;
	*(int *)lru_put(l, "c", 1, sizeof(int), NULL) = 3;
	ck_assert_ptr_nonnull(lru_get(l, "a", 1, NULL));	/* a is fresh */
	*(int *)lru_put(l, "d", 1, sizeof(int), NULL) = 4;
	ck_assert_int_eq(evicted_last, 2);			/* b went */
	ck_assert_ptr_null(lru_get(l, "b", 1, NULL));
	ck_assert_uint_eq(lru_count(l), 3);
	ck_assert_uint_eq(lru_evictions(l), 1);
	v = lru_put(l, "a", 1, sizeof(int), &created);
	ck_assert(!created);
	ck_assert_int_eq(*v, 1);
	lru_del(l, "a", 1);
	ck_assert_uint_eq(lru_count(l), 2);
	ck_assert_uint_eq(lru_evictions(l), 1);	/* a delete is not one */
	lru_free(l);
}
END_TEST

START_TEST(grow_keeps_value_and_position)
{
	struct lru	*l = lru_new(10, NULL, NULL);
	char		*v;
	size_t		 sz;
	int		 i;

	for (i = 0; i < 5; i++) {
		char k = (char)('a' + i);
		v = lru_put(l, &k, 1, 4, NULL);
		memcpy(v, "abc", 4);
	}
	v = lru_put(l, "c", 1, 4096, NULL);
	ck_assert_str_eq(v, "abc");
	ck_assert_uint_eq((unsigned char)v[4095], 0);
	ck_assert_ptr_nonnull(lru_get(l, "c", 1, &sz));
	ck_assert_uint_eq(sz, 4096);
	for (i = 0; i < 5; i++) {
		char k = (char)('a' + i);
		ck_assert_ptr_nonnull(lru_get(l, &k, 1, NULL));
	}
	lru_free(l);
}
END_TEST

START_TEST(randomised_against_model)
{
	/* model: an array of keys in recency order */
	enum { CAP = 50, KEYS = 200, OPS = 200000 };
	struct lru	*l = lru_new(CAP, NULL, NULL);
	int		 model[CAP], n = 0, i, j, op;
	uint32_t	 x = 12345;

	for (op = 0; op < OPS; op++) {
		int key, found = -1;
		x = x * 1103515245 + 12345;
		key = (int)((x >> 8) % KEYS);
		for (i = 0; i < n; i++)
			if (model[i] == key)
				found = i;
		if ((x >> 4) % 3 == 0) {
			int *v = lru_get(l, &key, sizeof(key), NULL);
			ck_assert_int_eq(v != NULL, found >= 0);
			if (v != NULL)
				ck_assert_int_eq(*v, key);
			if (found < 0)
				continue;
		} else {
			int *v = lru_put(l, &key, sizeof(key), sizeof(int),
			    NULL);
			*v = key;
			if (found < 0) {
				if (n == CAP) {	/* the oldest falls off */
					memmove(model, model + 1,
					    (CAP - 1) * sizeof(int));
					n--;
				}
				found = n++;
				model[found] = key;
			}
		}
		/* move to the front (index n-1 is the most recent) */
		j = model[found];
		memmove(model + found, model + found + 1,
		    (size_t)(n - found - 1) * sizeof(int));
		model[n - 1] = j;
		if (op % 1000 == 0)
			ck_assert_uint_eq(lru_count(l), (size_t)n);
	}
	lru_free(l);
}
END_TEST

static Suite *
lru_suite(void)
{
	Suite	*s = suite_create("lru");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, evicts_least_recent);
	tcase_add_test(tc, grow_keeps_value_and_position);
	tcase_add_test(tc, randomised_against_model);
	suite_add_tcase(s, tc);
	return s;
}

KS_CHECK_MAIN(lru_suite)
