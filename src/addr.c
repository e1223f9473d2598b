/*
 * Address parsing and prefix matching.  Text is copied into a bounded
 * buffer before inet_pton() so that a hostile line can never make us read
 * beyond the length we were given.
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "util.h"

static const uint8_t v4mapped[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

int
addr_parse(const char *s, size_t len, struct ks_addr *out)
{
	char		 buf[ADDR_STRLEN];
	const char	*pct;

	memset(out, 0, sizeof(*out));
	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (memchr(buf, ':', len) == NULL) {
		if (inet_pton(AF_INET, buf, out->bytes) != 1)
			return -1;
		out->family = 4;
		return 0;
	}
	if ((pct = strchr(buf, '%')) != NULL)	/* zone id: fe80::1%eth0 */
		buf[pct - buf] = '\0';
	if (inet_pton(AF_INET6, buf, out->bytes) != 1)
		return -1;
	if (memcmp(out->bytes, v4mapped, sizeof(v4mapped)) == 0) {
		memmove(out->bytes, out->bytes + 12, 4);
		memset(out->bytes + 4, 0, 12);
		out->family = 4;
	} else
		out->family = 6;
	return 0;
}

static int
parse_port(const char *s, size_t len, uint16_t *port)
{
	unsigned int	v = 0;
	size_t		i;

	if (len == 0 || len > 5)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned int)(s[i] - '0');
	}
	if (v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

int
addr_parse_hostport(const char *s, size_t len, struct ks_addr *out,
    uint16_t *port)
{
	const char	*colon, *close;

	*port = 0;
	if (len > 0 && s[0] == '[') {
		close = memchr(s, ']', len);
		if (close == NULL)
			return -1;
		if (addr_parse(s + 1, (size_t)(close - s - 1), out) == -1)
			return -1;
		if ((size_t)(close - s) + 1 == len)
			return 0;
		if (close[1] != ':')
			return -1;
		return parse_port(close + 2, len - (size_t)(close - s) - 2,
		    port);
	}
	colon = memchr(s, ':', len);
	if (colon != NULL && memchr(colon + 1, ':',
	    len - (size_t)(colon - s) - 1) == NULL) {
		/* exactly one colon: IPv4 with a port */
		if (addr_parse(s, (size_t)(colon - s), out) == -1)
			return -1;
		return parse_port(colon + 1, len - (size_t)(colon - s) - 1,
		    port);
	}
	return addr_parse(s, len, out);
}

void
addr_format(const struct ks_addr *a, char *buf, size_t size)
{
	char	tmp[16], *o = tmp;
	int	i, v;

	if (size == 0)
		return;
	buf[0] = '\0';
	if (a->family == 6) {
		inet_ntop(AF_INET6, a->bytes, buf, (socklen_t)size);
		return;
	}
	if (a->family != 4)
		return;
	/* IPv4 by hand: inet_ntop's sprintf is a hot spot in detection */
	for (i = 0; i < 4; i++) {
		v = a->bytes[i];
		if (v >= 100)
			*o++ = (char)('0' + v / 100);
		if (v >= 10)
			*o++ = (char)('0' + v / 10 % 10);
		*o++ = (char)('0' + v % 10);
		*o++ = i < 3 ? '.' : '\0';
	}
	if ((size_t)(o - tmp) <= size)
		memcpy(buf, tmp, (size_t)(o - tmp));
}

int
addr_equal(const struct ks_addr *a, const struct ks_addr *b)
{
	if (a->family != b->family)
		return 0;
	return memcmp(a->bytes, b->bytes, a->family == 4 ? 4 : 16) == 0;
}

static void
mask_bits(struct ks_addr *a, unsigned int plen)
{
	unsigned int	total = a->family == 4 ? 32 : 128, i;

	for (i = plen; i < total; i++)
		a->bytes[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
}

int
cidr_parse(const char *s, size_t len, struct ks_cidr *out)
{
	const char	*slash = memchr(s, '/', len);
	unsigned int	 plen, max;
	size_t		 i;

	memset(out, 0, sizeof(*out));
	if (addr_parse(s, slash ? (size_t)(slash - s) : len, &out->addr) == -1)
		return -1;
	max = out->addr.family == 4 ? 32 : 128;
	if (slash == NULL) {
		out->plen = (uint8_t)max;
		return 0;
	}
	/* "::ffff:10.0.0.0/104" was folded to IPv4: shift the length too */
	if (out->addr.family == 4 && memchr(s, ':', (size_t)(slash - s)))
		return -1;
	i = (size_t)(slash - s) + 1;
	if (i == len || len - i > 3)
		return -1;
	for (plen = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		plen = plen * 10 + (unsigned int)(s[i] - '0');
	}
	if (plen > max)
		return -1;
	out->plen = (uint8_t)plen;
	mask_bits(&out->addr, plen);
	return 0;
}

int
cidr_contains(const struct ks_cidr *c, const struct ks_addr *a)
{
	unsigned int	full, rem;

	if (a->family != c->addr.family)
		return 0;
	full = c->plen / 8;
	rem = c->plen % 8;
	if (memcmp(a->bytes, c->addr.bytes, full) != 0)
		return 0;
	if (rem == 0)
		return 1;
	return ((a->bytes[full] ^ c->addr.bytes[full]) &
	    (uint8_t)(0xff00u >> rem)) == 0;
}

void
cidr_format(const struct ks_cidr *c, char *buf, size_t size)
{
	char a[ADDR_STRLEN];

	addr_format(&c->addr, a, sizeof(a));
	snprintf(buf, size, "%s/%u", a, (unsigned int)c->plen);
}

int
addrset_contains(const struct ks_addrset *s, const struct ks_addr *a)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (addr_equal(&s->a[i], a))
			return 1;
	return 0;
}

int
addrset_add(struct ks_addrset *s, const struct ks_addr *a)
{
	if (a->family == 0 || addrset_contains(s, a))
		return 0;
	s->a = ks_xreallocarray(s->a, s->n + 1, sizeof(*s->a));
	s->a[s->n++] = *a;
	return 1;
}

void
addrset_clear(struct ks_addrset *s)
{
	free(s->a);
	s->a = NULL;
	s->n = 0;
}

int
hostname_valid(const char *s)
{
	size_t	len = strlen(s), label = 0, i;
	int	alpha = 0;

	if (len == 0 || len > 254 || (len == 254 && s[253] != '.'))
		return 0;
	for (i = 0; i < len; i++) {
		char c = s[i];
		if (c == '.') {
			if (label == 0 && !(i == len - 1 && i > 0))
				return 0;
			if (i > 0 && s[i - 1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return 0;
		if (c == '-' && label == 0)
			return 0;
		if (++label > 63)
			return 0;
		if (!(c >= '0' && c <= '9'))
			alpha = 1;
	}
	if (s[len - 1] == '-')
		return 0;
	return alpha;
}
