/*
 * Small project-wide helpers (prefix ks_): allocation that cannot fail
 * silently, bounded string copies, duration parsing, keyed hashing for
 * tables that hold attacker-chosen keys, SHA-256, and UTF-8 repair for text
 * that leaves the process as JSON.
 */
#ifndef KS_UTIL_H
#define KS_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define KS_NSEC_PER_SEC	INT64_C(1000000000)
#define KS_ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))

/* Allocation: these call fatalx() when memory is exhausted. */
void	*ks_xmalloc(size_t);
void	*ks_xcalloc(size_t, size_t);
void	*ks_xrealloc(void *, size_t);
void	*ks_xreallocarray(void *, size_t, size_t);
char	*ks_xstrdup(const char *);
char	*ks_xstrndup(const char *, size_t);

/* Copies at most size-1 bytes and always terminates; returns strlen(src). */
size_t	 ks_strlcpy(char *dst, const char *src, size_t size);

/*
 * "250ms", "60s", "10m", "2h", "90d", "1w"; a bare number is seconds.
 * Stores nanoseconds.  Returns 0, or -1 on a malformed or negative value.
 */
int	 ks_parse_duration(const char *s, int64_t *ns);
/* Formats a duration in the largest unit that divides it exactly. */
void	 ks_format_duration(int64_t ns, char *buf, size_t size);

/* SipHash-2-4 with a 128-bit key. */
uint64_t ks_siphash(const uint8_t key[16], const void *data, size_t len);
/* The process-wide random hash key, drawn once from getrandom(). */
const uint8_t *ks_hash_key(void);
/* SipHash-1-3 with the process key, for hash tables. */
uint64_t ks_hash(const void *data, size_t len);

/* SHA-256 of len bytes into out[32]; returns 0 or -1. */
int	 ks_sha256(const void *data, size_t len, uint8_t out[32]);
/* Lower-case hex of len bytes; out must hold 2*len+1 bytes. */
void	 ks_hex(const uint8_t *in, size_t len, char *out);

/*
 * Copies len bytes of possibly invalid UTF-8 into out (size bytes), with
 * every invalid sequence and every NUL replaced by U+FFFD, and always
 * terminates.  Returns the length written.
 */
size_t	 ks_utf8_sanitize(const char *in, size_t len, char *out, size_t size);

/* memmem() that does not depend on _GNU_SOURCE being honoured. */
const void *ks_memmem(const void *hay, size_t hlen, const void *needle,
	    size_t nlen);

#endif
