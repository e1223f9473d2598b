/*
 * Keys are known only by fingerprint: "sha256:" and the first 16 hex
 * digits of SHA-256 of the key's bytes, what
 *	printf %s "$KEY" | sha256sum | cut -c1-16
 * gives.  (The key registry and the exposure scan come here too.)
 */
#ifndef KS_KEYS_H
#define KS_KEYS_H

#include <stddef.h>

#define KEYS_FP_LEN	23		/* "sha256:" + 16 hex digits */

/*
 * The fingerprint of len bytes, into out (KEYS_FP_LEN + 1 bytes).
 * Returns 0, or -1 with out "" if libcrypto failed.
 */
int	keys_fingerprint(const void *key, size_t len,
	    char out[KEYS_FP_LEN + 1]);

#endif
