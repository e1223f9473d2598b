/* Key fingerprints (see keys.h). */
#include "autoconfig.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "keys.h"
#include "util.h"

int
keys_fingerprint(const void *key, size_t len, char out[KEYS_FP_LEN + 1])
{
	uint8_t md[32];

	if (ks_sha256(key, len, md) == -1) {
		out[0] = '\0';
		return -1;
	}
	memcpy(out, "sha256:", 7);
	ks_hex(md, 8, out + 7);
	explicit_bzero(md, sizeof(md));
	return 0;
}

int
keys_fp_valid(const char *s)
{
	size_t i;

	if (strncmp(s, "sha256:", 7) != 0 || strlen(s) != KEYS_FP_LEN)
		return 0;
	for (i = 7; i < KEYS_FP_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

size_t
keys_trim_input(const char *buf, size_t len)
{
	if (len > 0 && buf[len - 1] == '\n') {
		len--;
		if (len > 0 && buf[len - 1] == '\r')
			len--;
	}
	return len;
}

int
keys_looks_right(const char *key, size_t len, char *why, size_t whylen)
{
	size_t	i, upper = 0, other = 0, space = 0;
	int	seen[16] = { 0 }, distinct = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)key[i];
		if (c >= '0' && c <= '9')
			distinct += !seen[c - '0']++;
		else if (c >= 'a' && c <= 'f')
			distinct += !seen[c - 'a' + 10]++;
		else if (c >= 'A' && c <= 'F')
			upper++;
		else if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
			space++;
		else
			other++;
	}
	if (space > 0)
		snprintf(why, whylen, "it holds %zu white-space characters "
		    "(a copy with a stray space or line break?)", space);
	else if (other > 0 || upper > 0)
		snprintf(why, whylen, "it is not lowercase hex (%zu of its %zu "
		    "characters are not)", other + upper, len);
	else if (len != 64)
		snprintf(why, whylen, "it is %zu hex digits, not 64 (32 "
		    "bytes)", len);
	else if (distinct < 10)
		/* 64 random hex digits show nearly all 16; fewer than 10
		   happens about once in 10^12 */
		snprintf(why, whylen, "it uses only %d distinct hex digits: "
		    "not random", distinct);
	else
		return 1;
	return 0;
}

struct keyreg_entry {
	const char		*fp;
	size_t			 key;
	const struct key_gen	*gen;
};

struct keyreg {
	struct keyreg_entry	*e;
	size_t			 n;
};

static int
entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct keyreg_entry *)a)->fp,
	    ((const struct keyreg_entry *)b)->fp);
}

struct keyreg *
keyreg_new(const struct config *cfg)
{
	struct keyreg	*r = ks_xcalloc(1, sizeof(*r));
	size_t		 i, j, n = 0;

	for (i = 0; i < cfg->nkeys; i++)
		n += cfg->keys[i].ngens;
	r->e = ks_xcalloc(n + 1, sizeof(*r->e));
	for (i = 0; i < cfg->nkeys; i++)
		for (j = 0; j < cfg->keys[i].ngens; j++) {
			r->e[r->n].fp = cfg->keys[i].gens[j].fp;
			r->e[r->n].key = i;
			r->e[r->n].gen = &cfg->keys[i].gens[j];
			r->n++;
		}
	qsort(r->e, r->n, sizeof(*r->e), entry_cmp);
	return r;
}

void
keyreg_free(struct keyreg *r)
{
	if (r == NULL)
		return;
	free(r->e);
	free(r);
}

int
keyreg_lookup(const struct keyreg *r, const char *fp, size_t *key,
    const struct key_gen **gen)
{
	struct keyreg_entry	 want, *e;

	if (r == NULL || r->n == 0)
		return 0;
	want.fp = fp;
	e = bsearch(&want, r->e, r->n, sizeof(*r->e), entry_cmp);
	if (e == NULL)
		return 0;
	*key = e->key;
	*gen = e->gen;
	return 1;
}

int
keys_age(const struct key_conf *k, int64_t now, const struct key_gen **gen,
    int64_t *age)
{
	size_t i;

	for (i = 0; i < k->ngens; i++)
		if (k->gens[i].state == KEY_CURRENT && k->gens[i].created != 0)
			break;
	if (i == k->ngens)
		return 0;
	*gen = &k->gens[i];
	*age = now - k->gens[i].created;
	if (*age >= k->max_age)
		return 2;
	if (*age >= k->max_age - KEYS_AGE_WARN)
		return 1;
	return 0;
}
