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

size_t
keyreg_count(const struct keyreg *r)
{
	return r != NULL ? r->n : 0;
}

long
keyreg_find(const struct keyreg *r, const char *fp)
{
	struct keyreg_entry	 want, *e;

	if (r == NULL || r->n == 0)
		return -1;
	want.fp = fp;
	e = bsearch(&want, r->e, r->n, sizeof(*r->e), entry_cmp);
	return e != NULL ? (long)(e - r->e) : -1;
}

int
keyreg_lookup(const struct keyreg *r, const char *fp, size_t *key,
    const struct key_gen **gen)
{
	long i = keyreg_find(r, fp);

	if (i < 0)
		return 0;
	*key = r->e[i].key;
	*gen = r->e[i].gen;
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

/* 1: hex digit; 2: base64 (either alphabet); 3: both */
static const uint8_t token_class[256] = {
	['0'] = 3, ['1'] = 3, ['2'] = 3, ['3'] = 3, ['4'] = 3,
	['5'] = 3, ['6'] = 3, ['7'] = 3, ['8'] = 3, ['9'] = 3,
	['a'] = 3, ['b'] = 3, ['c'] = 3, ['d'] = 3, ['e'] = 3, ['f'] = 3,
	['A'] = 3, ['B'] = 3, ['C'] = 3, ['D'] = 3, ['E'] = 3, ['F'] = 3,
	['g'] = 2, ['h'] = 2, ['i'] = 2, ['j'] = 2, ['k'] = 2, ['l'] = 2,
	['m'] = 2, ['n'] = 2, ['o'] = 2, ['p'] = 2, ['q'] = 2, ['r'] = 2,
	['s'] = 2, ['t'] = 2, ['u'] = 2, ['v'] = 2, ['w'] = 2, ['x'] = 2,
	['y'] = 2, ['z'] = 2,
	['G'] = 2, ['H'] = 2, ['I'] = 2, ['J'] = 2, ['K'] = 2, ['L'] = 2,
	['M'] = 2, ['N'] = 2, ['O'] = 2, ['P'] = 2, ['Q'] = 2, ['R'] = 2,
	['S'] = 2, ['T'] = 2, ['U'] = 2, ['V'] = 2, ['W'] = 2, ['X'] = 2,
	['Y'] = 2, ['Z'] = 2,
	['+'] = 2, ['/'] = 2, ['-'] = 2, ['_'] = 2,
};

size_t
keys_tokens(const char *line, size_t len, struct keys_span *out, size_t max)
{
	const uint8_t	*p = (const uint8_t *)line;
	size_t		 i = 0, n = 0, q, end, hexstart, h;

	/*
	 * i is always where a run may start (the byte before it is not
	 * base64).  The shortest token is 43 bytes, so a run that starts at
	 * i and is long enough holds byte i + 42: look there first, then
	 * back from it.  Ordinary text (short words between spaces and
	 * quotes) is crossed a run at a time, not a byte at a time.
	 */
	while (i + 43 <= len && n < max) {
		if (!(token_class[p[i + 42]] & 2)) {
			i += 43;
			continue;
		}
		for (q = i + 42; q > i && (token_class[p[q - 1]] & 2); q--)
			;
		if (q > i) {		/* a run starts at q, after a gap */
			i = q;
			continue;
		}
		/* [i, i + 42] is one run: how long is it? */
		for (end = i + 43; end < len && (token_class[p[end]] & 2);
		    end++)
			;
		if (end - i == 43) {
			out[n].off = i;
			out[n].len = 43 + (end < len && p[end] == '=');
			n++;
		} else {
			/* maximal hex runs within it */
			for (hexstart = i; hexstart < end && n < max;
			    hexstart = h + 1) {
				for (h = hexstart; h < end &&
				    (token_class[p[h]] & 1); h++)
					;
				if (h - hexstart == 64) {
					out[n].off = hexstart;
					out[n].len = 64;
					n++;
				}
			}
		}
		i = end + 1;	/* p[end] is not base64 (or the end) */
	}
	return n;
}

char *
keys_mask(const char *line, size_t len, const struct keys_span *sp,
    size_t n, char *out, size_t outsize)
{
	size_t	i = 0, o = 0, k = 0, take;

	while (i < len && o + 1 < outsize) {
		if (k < n && i == sp[k].off) {
			take = outsize - 1 - o < 5 ? outsize - 1 - o : 5;
			memcpy(out + o, "[key]", take);
			o += take;
			i += sp[k].len;
			k++;
			continue;
		}
		out[o++] = line[i++];
	}
	out[o] = '\0';
	return out;
}
