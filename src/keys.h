/*
 * Keys are known only by fingerprint: "sha256:" and the first 16 hex
 * digits of SHA-256 of the key's bytes, what
 *	printf %s "$KEY" | sha256sum | cut -c1-16
 * gives.  (The key registry and the exposure scan come here too.)
 */
#ifndef KS_KEYS_H
#define KS_KEYS_H

#include <stddef.h>
#include <stdint.h>

struct config;
struct key_conf;
struct key_gen;

#define KEYS_FP_LEN	23		/* "sha256:" + 16 hex digits */

/*
 * The fingerprint of len bytes, into out (KEYS_FP_LEN + 1 bytes).
 * Returns 0, or -1 with out "" if libcrypto failed.
 */
int	keys_fingerprint(const void *key, size_t len,
	    char out[KEYS_FP_LEN + 1]);
/* Is s a fingerprint as keys_fingerprint() writes it? */
int	keys_fp_valid(const char *s);

/*
 * What `keysentry fingerprint` reads: the key as given (stdin, a
 * variable, a file), less one trailing newline (LF or CR LF), so that
 * `echo "$KEY"` and `printf %s "$KEY"` give the same fingerprint.
 * Returns the length left.
 */
size_t	keys_trim_input(const char *buf, size_t len);
/*
 * Does the key look like what the runbook prescribes, 32 random bytes
 * as `openssl rand -hex 32` writes them (64 lowercase hex digits)?
 * 1 if so; else 0 with the reason in why (never a byte of the key).
 */
int	keys_looks_right(const char *key, size_t len, char *why,
	    size_t whylen);

/*
 * The registry: every registered fingerprint of the config, for the
 * lookup each keyed event needs (a sorted array: keys are few).
 */
struct keyreg;

struct keyreg	*keyreg_new(const struct config *);
void		 keyreg_free(struct keyreg *);
/* The key and generation a fingerprint belongs to; 0 if none. */
int		 keyreg_lookup(const struct keyreg *, const char *fp,
		    size_t *key, const struct key_gen **gen);
/* Registered fingerprints, and one's place among them (-1: none). */
size_t		 keyreg_count(const struct keyreg *);
long		 keyreg_find(const struct keyreg *, const char *fp);

/*
 * key-exposed: the spans of a line that could be a key written out: a
 * run of exactly 64 hex digits (openssl rand -hex 32), or of exactly 43
 * base64 characters (either alphabet) with its '=' if one follows (32
 * bytes in base64).  Runs are maximal: a longer one is not a key.  Up to
 * max spans; returns how many.
 */
struct keys_span {
	size_t	off, len;
};
#define KEYS_SPAN_MAX	8
size_t		 keys_tokens(const char *line, size_t len,
		    struct keys_span *out, size_t max);
/*
 * The line with every span replaced by "[key]", into out (at most
 * outsize - 1 bytes and a NUL; a longer line is cut).  Returns out.
 */
char		*keys_mask(const char *line, size_t len,
		    const struct keys_span *sp, size_t n, char *out,
		    size_t outsize);

/*
 * key-age: how old the key's current generation is at now.  Returns 0
 * (young enough, or no current generation with a date), 1 (within
 * KEYS_AGE_WARN of max_age: a warning) or 2 (past max_age), with *gen
 * the current generation and *age its age.
 */
#define KEYS_AGE_WARN	(INT64_C(14) * 86400 * INT64_C(1000000000))
int		 keys_age(const struct key_conf *, int64_t now,
		    const struct key_gen **gen, int64_t *age);

#endif
