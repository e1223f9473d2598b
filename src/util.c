/*
 * Project-wide helpers.  See util.h.  SipHash-2-4 is written here from the
 * algorithm's published description (Aumasson and Bernstein, 2012) because
 * every table keyed by an address or a header value must resist hash
 * flooding by a hostile peer.
 */
#include "autoconfig.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <openssl/evp.h>

#include "log.h"
#include "util.h"

void *
ks_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		fatalx("out of memory (%zu bytes)", n);
	return p;
}

void *
ks_xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (p == NULL)
		fatalx("out of memory (%zu x %zu bytes)", nmemb, size);
	return p;
}

void *
ks_xrealloc(void *old, size_t n)
{
	void *p = realloc(old, n ? n : 1);

	if (p == NULL)
		fatalx("out of memory (%zu bytes)", n);
	return p;
}

void *
ks_xreallocarray(void *old, size_t nmemb, size_t size)
{
	if (size != 0 && nmemb > SIZE_MAX / size)
		fatalx("allocation overflow (%zu x %zu)", nmemb, size);
	return ks_xrealloc(old, nmemb * size);
}

char *
ks_xstrdup(const char *s)
{
	return ks_xstrndup(s, strlen(s));
}

char *
ks_xstrndup(const char *s, size_t n)
{
	char	*p;
	size_t	 len = strnlen(s, n);

	p = ks_xmalloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

size_t
ks_strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size > 0) {
		size_t n = len < size - 1 ? len : size - 1;
		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

int
ks_parse_duration(const char *s, int64_t *ns)
{
	static const struct {
		const char	*unit;
		int64_t		 mult;
	} units[] = {
		{ "ms", INT64_C(1000000) },
		{ "s", KS_NSEC_PER_SEC },
		{ "m", 60 * KS_NSEC_PER_SEC },
		{ "h", 3600 * KS_NSEC_PER_SEC },
		{ "d", 86400 * KS_NSEC_PER_SEC },
		{ "w", 7 * 86400 * KS_NSEC_PER_SEC },
		{ "", KS_NSEC_PER_SEC },
	};
	uint64_t	 v = 0;
	const char	*p = s;
	size_t		 i;

	if (s == NULL || *p < '0' || *p > '9')
		return -1;
	while (*p >= '0' && *p <= '9') {
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > (uint64_t)INT64_MAX / KS_NSEC_PER_SEC)
			return -1;
		p++;
	}
	for (i = 0; i < KS_ARRAY_LEN(units); i++) {
		if (strcmp(p, units[i].unit) == 0) {
			if (v > (uint64_t)(INT64_MAX / units[i].mult))
				return -1;
			*ns = (int64_t)v * units[i].mult;
			return 0;
		}
	}
	return -1;
}

void
ks_format_duration(int64_t ns, char *buf, size_t size)
{
	static const struct {
		const char	*unit;
		int64_t		 div;
	} units[] = {
		{ "d", 86400 * KS_NSEC_PER_SEC },
		{ "h", 3600 * KS_NSEC_PER_SEC },
		{ "m", 60 * KS_NSEC_PER_SEC },
		{ "s", KS_NSEC_PER_SEC },
		{ "ms", INT64_C(1000000) },
	};
	size_t i;

	for (i = 0; i < KS_ARRAY_LEN(units); i++) {
		if (ns != 0 && ns % units[i].div == 0) {
			snprintf(buf, size, "%" PRId64 "%s", ns / units[i].div,
			    units[i].unit);
			return;
		}
	}
	snprintf(buf, size, "%" PRId64 "ns", ns);
}

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND do {							\
	v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);	\
	v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;				\
	v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;				\
	v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);	\
} while (0)

static inline uint64_t
load_le64(const uint8_t *p)
{
	return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
	    (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 |
	    (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 |
	    (uint64_t)p[7] << 56;
}

/*
 * SipHash-c-d: c compression rounds per word, d finalisation rounds.
 * Inlined into its two callers, so that c and d are constants and the
 * rounds unrolled: a flow lookup per packet hashes with it.
 */
static inline __attribute__((always_inline)) uint64_t
siphash_cd(const uint8_t key[16], const void *data, size_t len, int c, int d)
{
	const uint8_t	*in = data;
	uint64_t	 k0 = load_le64(key), k1 = load_le64(key + 8);
	uint64_t	 v0 = k0 ^ UINT64_C(0x736f6d6570736575);
	uint64_t	 v1 = k1 ^ UINT64_C(0x646f72616e646f6d);
	uint64_t	 v2 = k0 ^ UINT64_C(0x6c7967656e657261);
	uint64_t	 v3 = k1 ^ UINT64_C(0x7465646279746573);
	uint64_t	 m, b = (uint64_t)len << 56;
	size_t		 i, whole = len & ~(size_t)7;

	int		 r;

	for (i = 0; i < whole; i += 8) {
		m = load_le64(in + i);
		v3 ^= m;
		for (r = 0; r < c; r++)
			SIPROUND;
		v0 ^= m;
	}
	for (i = 0; i < (len & 7); i++)
		b |= (uint64_t)in[whole + i] << (8 * i);
	v3 ^= b;
	for (r = 0; r < c; r++)
		SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	for (r = 0; r < d; r++)
		SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

uint64_t
ks_siphash(const uint8_t key[16], const void *data, size_t len)
{
	return siphash_cd(key, data, len, 2, 4);
}

static uint8_t	hash_key[16];
static int	hash_key_ready;

const uint8_t *
ks_hash_key(void)
{
	if (!hash_key_ready) {
		size_t got = 0;
		while (got < sizeof(hash_key)) {
			ssize_t n = getrandom(hash_key + got,
			    sizeof(hash_key) - got, 0);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				fatal("getrandom");
			}
			got += (size_t)n;
		}
		hash_key_ready = 1;
	}
	return hash_key;
}

/*
 * Tables use SipHash-1-3, the variant hash tables commonly use (half the
 * rounds of 2-4; flooding resistance is what is needed, not a MAC).  The
 * round loop is the one ks_siphash()'s reference vectors check.
 */
uint64_t
ks_hash(const void *data, size_t len)
{
	return siphash_cd(ks_hash_key(), data, len, 1, 3);
}

int
ks_sha256(const void *data, size_t len, uint8_t out[32])
{
	unsigned int outlen = 0;

	if (EVP_Digest(data, len, out, &outlen, EVP_sha256(), NULL) != 1 ||
	    outlen != 32)
		return -1;
	return 0;
}

void
ks_hex(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * len] = '\0';
}

/* Length of the valid UTF-8 sequence at p (at most n bytes), or 0. */
static size_t
utf8_seq_len(const unsigned char *p, size_t n)
{
	unsigned int	c = p[0];
	size_t		need, i;
	uint32_t	cp;

	if (c < 0x80)
		return c == 0 ? 0 : 1;
	if (c >= 0xc2 && c <= 0xdf) {
		need = 2; cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 3; cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 4; cp = c & 0x07;
	} else
		return 0;
	if (n < need)
		return 0;
	for (i = 1; i < need; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((need == 3 && cp < 0x800) || (need == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return need;
}

size_t
ks_utf8_sanitize(const char *in, size_t len, char *out, size_t size)
{
	const unsigned char	*p = (const unsigned char *)in;
	size_t			 i = 0, o = 0, n;

	if (size == 0)
		return 0;
	while (i < len) {
		n = utf8_seq_len(p + i, len - i);
		if (n == 0) {
			if (o + 3 >= size)
				break;
			out[o++] = (char)0xef;
			out[o++] = (char)0xbf;
			out[o++] = (char)0xbd;
			i++;
			continue;
		}
		if (o + n >= size)
			break;
		memcpy(out + o, p + i, n);
		o += n;
		i += n;
	}
	out[o] = '\0';
	return o;
}

const void *
ks_memmem(const void *hay, size_t hlen, const void *needle, size_t nlen)
{
#ifdef HAVE_MEMMEM
	return memmem(hay, hlen, needle, nlen);
#else
	const unsigned char *h = hay, *end;

	if (nlen == 0)
		return hay;
	if (hlen < nlen)
		return NULL;
	end = h + hlen - nlen + 1;
	while (h < end) {
		h = memchr(h, *(const unsigned char *)needle, (size_t)(end - h));
		if (h == NULL)
			return NULL;
		if (memcmp(h, needle, nlen) == 0)
			return h;
		h++;
	}
	return NULL;
#endif
}
