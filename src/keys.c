/* Key fingerprints (see keys.h). */
#include "autoconfig.h"

#include <stdint.h>
#include <string.h>

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
