/*
 * IP addresses and CIDR prefixes as small value types.  An IPv4-mapped
 * IPv6 address (::ffff:a.b.c.d, as dual-stack sockets report IPv4 peers)
 * is stored as the IPv4 address, so that one allowlist entry matches both
 * spellings.  Parsers take a length and never read past it.
 */
#ifndef KS_ADDR_H
#define KS_ADDR_H

#include <stddef.h>
#include <stdint.h>

#define ADDR_STRLEN	48	/* enough for any IPv6 text form */

struct ks_addr {
	uint8_t		family;		/* 0 (none), 4 or 6 */
	uint8_t		bytes[16];	/* network order; IPv4 in bytes[0..3] */
};

struct ks_cidr {
	struct ks_addr	addr;		/* host bits cleared */
	uint8_t		plen;		/* prefix length */
};

/* "10.0.0.1", "fd00::1", "fe80::1%eth0".  Returns 0 or -1. */
int	addr_parse(const char *s, size_t len, struct ks_addr *out);
/*
 * Also accepts a port: "10.0.0.1:5000", "[fd00::1]:5000", "[fd00::1]".
 * *port is 0 when absent.  A bare IPv6 address is taken whole.
 */
int	addr_parse_hostport(const char *s, size_t len, struct ks_addr *out,
	    uint16_t *port);
/* Text form into buf (ADDR_STRLEN bytes suffice); "" for no address. */
void	addr_format(const struct ks_addr *a, char *buf, size_t size);
int	addr_equal(const struct ks_addr *a, const struct ks_addr *b);

/* "10.0.0.0/8", "fd00::/8", or a bare address (a host prefix). */
int	cidr_parse(const char *s, size_t len, struct ks_cidr *out);
int	cidr_contains(const struct ks_cidr *c, const struct ks_addr *a);
void	cidr_format(const struct ks_cidr *c, char *buf, size_t size);

/* A small set of addresses (those a DNS name resolved to), unsorted. */
struct ks_addrset {
	struct ks_addr	*a;
	size_t		 n;
};

int	addrset_contains(const struct ks_addrset *s, const struct ks_addr *a);
/* Adds a unless present; returns 1 if added. */
int	addrset_add(struct ks_addrset *s, const struct ks_addr *a);
void	addrset_clear(struct ks_addrset *s);

/*
 * Is s a DNS name that is not meant as an address: letters, digits, '-',
 * '_' and dots, labels of 1 to 63 bytes, 253 bytes in all, and not all
 * digits and dots (so that a mistyped address is not taken for a name)?
 */
int	hostname_valid(const char *s);

#endif
