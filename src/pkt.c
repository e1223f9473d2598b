/* Packets to TCP segments (see pkt.h). */
#include "autoconfig.h"

#include <string.h>

#include "pkt.h"

#define ETH_IPV4	0x0800
#define ETH_IPV6	0x86dd
#define ETH_VLAN	0x8100
#define ETH_QINQ	0x88a8
#define ETH_QINQ_OLD	0x9100
#define MAX_TAGS	8	/* VLAN tags followed at most */
#define MAX_EXT		16	/* IPv6 extension headers at most */

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static enum pkt_result
malformed(struct pkt *pk, const char *why, size_t offset)
{
	pk->why = why;
	pk->offset = offset;
	return PKT_MALFORMED;
}

/* An IPv6 address; one mapped from IPv4 is stored as IPv4 (see addr.h). */
static void
addr6(struct ks_addr *a, const uint8_t *p)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };

	memset(a, 0, sizeof(*a));
	if (memcmp(p, mapped, 12) == 0) {
		a->family = 4;
		memcpy(a->bytes, p + 12, 4);
	} else {
		a->family = 6;
		memcpy(a->bytes, p, 16);
	}
}

static void
addr4(struct ks_addr *a, const uint8_t *p)
{
	memset(a, 0, sizeof(*a));
	a->family = 4;
	memcpy(a->bytes, p, 4);
}

/*
 * The TCP header at off; the IP payload ends at end (captured) and is
 * wire bytes long on the wire.
 */
static enum pkt_result
tcp(const uint8_t *d, size_t off, size_t end, size_t wire, struct pkt *pk)
{
	size_t hl;

	if (end - off < 20)
		return malformed(pk, end - off < wire ? "TCP header cut short "
		    "by the capture (snaplen)" : "TCP header shorter than 20 "
		    "bytes", off);
	hl = (size_t)(d[off + 12] >> 4) * 4;
	if (hl < 20)
		return malformed(pk, "TCP data offset below 5", off + 12);
	if (hl > wire)
		return malformed(pk, "TCP header longer than the IP payload",
		    off + 12);
	if (hl > end - off)
		return malformed(pk, "TCP options cut short by the capture "
		    "(snaplen)", off);
	pk->sport = be16(d + off);
	pk->dport = be16(d + off + 2);
	pk->seq = be32(d + off + 4);
	pk->ack = be32(d + off + 8);
	pk->flags = d[off + 13] & 0x3f;
	pk->win = be16(d + off + 14);
	pk->payload = d + off + hl;
	pk->len = end - off - hl;
	pk->wire_len = wire - hl;
	return PKT_TCP;
}

static enum pkt_result
ipv4(const uint8_t *d, size_t off, size_t caplen, struct pkt *pk)
{
	size_t	hl, total, end;
	uint8_t	proto;

	if (caplen - off < 20)
		return malformed(pk, "IPv4 header cut short", off);
	if (d[off] >> 4 != 4)
		return malformed(pk, "not IPv4 (version)", off);
	hl = (size_t)(d[off] & 0x0f) * 4;
	if (hl < 20)
		return malformed(pk, "IPv4 header length below 5", off);
	if (hl > caplen - off)
		return malformed(pk, "IPv4 options cut short", off);
	total = be16(d + off + 2);
	if (total == 0)		/* segmentation offload: as captured */
		total = caplen - off;
	if (total < hl)
		return malformed(pk, "IPv4 total length below its header "
		    "length", off + 2);
	if ((be16(d + off + 6) & 0x3fff) != 0)
		return PKT_FRAGMENT;
	proto = d[off + 9];
	addr4(&pk->src, d + off + 12);
	addr4(&pk->dst, d + off + 16);
	if (proto != 6)
		return PKT_OTHER;
	/* trailing bytes past total (Ethernet padding) are not ours */
	end = total < caplen - off ? off + total : caplen;
	return tcp(d, off + hl, end, total - hl, pk);
}

static enum pkt_result
ipv6(const uint8_t *d, size_t off, size_t caplen, struct pkt *pk)
{
	size_t	plen, end, wire, p, len;
	uint8_t	next;
	int	n;

	if (caplen - off < 40)
		return malformed(pk, "IPv6 header cut short", off);
	if (d[off] >> 4 != 6)
		return malformed(pk, "not IPv6 (version)", off);
	plen = be16(d + off + 4);
	if (plen == 0)		/* a jumbogram, or offload: as captured */
		plen = caplen - off - 40;
	next = d[off + 6];
	addr6(&pk->src, d + off + 8);
	addr6(&pk->dst, d + off + 24);
	p = off + 40;
	end = plen < caplen - p ? p + plen : caplen;
	wire = plen;
	for (n = 0; n < MAX_EXT; n++) {
		switch (next) {
		case 6:
			return tcp(d, p, end, wire, pk);
		case 0:		/* hop-by-hop options */
		case 43:	/* routing */
		case 60:	/* destination options */
		case 135:	/* mobility */
		case 139:	/* HIP */
		case 140:	/* shim6 */
			if (end - p < 8)
				return malformed(pk, "IPv6 extension header "
				    "cut short", p);
			len = ((size_t)d[p + 1] + 1) * 8;
			break;
		case 44:	/* fragment */
			if (end - p < 8)
				return malformed(pk, "IPv6 fragment header "
				    "cut short", p);
			if ((be16(d + p + 2) & 0xfff9) != 0)
				return PKT_FRAGMENT;
			len = 8;	/* an atomic fragment: whole */
			break;
		case 51:	/* authentication header */
			if (end - p < 8)
				return malformed(pk, "IPv6 authentication "
				    "header cut short", p);
			len = ((size_t)d[p + 1] + 2) * 4;
			break;
		default:	/* UDP, ICMPv6, ESP, no next header... */
			return PKT_OTHER;
		}
		if (len > end - p || len > wire)
			return malformed(pk, "IPv6 extension header longer "
			    "than the packet", p);
		next = d[p];
		p += len;
		wire -= len;
	}
	return malformed(pk, "more than 16 IPv6 extension headers", p);
}

/* What follows an ethertype at off (VLAN tags first). */
static enum pkt_result
ethertype(const uint8_t *d, size_t off, size_t caplen, uint16_t type,
    struct pkt *pk)
{
	int n;

	for (n = 0; type == ETH_VLAN || type == ETH_QINQ ||
	    type == ETH_QINQ_OLD; n++) {
		if (n == MAX_TAGS)
			return malformed(pk, "more than 8 VLAN tags", off);
		if (caplen - off < 4)
			return malformed(pk, "VLAN tag cut short", off);
		if (pk->nvlan < PKT_MAX_VLAN)
			pk->vlan[pk->nvlan++] = be16(d + off) & 0x0fff;
		type = be16(d + off + 2);
		off += 4;
	}
	if (type == ETH_IPV4)
		return ipv4(d, off, caplen, pk);
	if (type == ETH_IPV6)
		return ipv6(d, off, caplen, pk);
	return PKT_OTHER;
}

/* IPv4 or IPv6, by the version nibble. */
static enum pkt_result
raw_ip(const uint8_t *d, size_t off, size_t caplen, struct pkt *pk)
{
	if (caplen - off < 1)
		return malformed(pk, "empty packet", off);
	if (d[off] >> 4 == 4)
		return ipv4(d, off, caplen, pk);
	if (d[off] >> 4 == 6)
		return ipv6(d, off, caplen, pk);
	return malformed(pk, "neither IPv4 nor IPv6 (version)", off);
}

/* BSD address families: AF_INET, and AF_INET6 as each system has it. */
static enum pkt_result
loopback(const uint8_t *d, size_t caplen, uint32_t af, struct pkt *pk)
{
	if (af == 2)
		return ipv4(d, 4, caplen, pk);
	if (af == 10 || af == 24 || af == 28 || af == 30)
		return ipv6(d, 4, caplen, pk);
	return PKT_OTHER;
}

int
pkt_link_supported(int linktype)
{
	switch (linktype) {
	case PKT_LINK_NULL:
	case PKT_LINK_ETHERNET:
	case PKT_LINK_RAW_DLT:
	case PKT_LINK_RAW_DLT14:
	case PKT_LINK_RAW:
	case PKT_LINK_LOOP:
	case PKT_LINK_SLL:
	case PKT_LINK_IPV4:
	case PKT_LINK_IPV6:
	case PKT_LINK_SLL2:
		return 1;
	}
	return 0;
}

const char *
pkt_link_name(int linktype)
{
	switch (linktype) {
	case PKT_LINK_NULL:
		return "NULL (BSD loopback)";
	case PKT_LINK_ETHERNET:
		return "Ethernet";
	case PKT_LINK_RAW_DLT:
	case PKT_LINK_RAW_DLT14:
	case PKT_LINK_RAW:
		return "raw IP";
	case PKT_LINK_LOOP:
		return "LOOP (OpenBSD loopback)";
	case PKT_LINK_SLL:
		return "Linux cooked (SLL)";
	case PKT_LINK_IPV4:
		return "raw IPv4";
	case PKT_LINK_IPV6:
		return "raw IPv6";
	case PKT_LINK_SLL2:
		return "Linux cooked v2 (SLL2)";
	}
	return "unsupported";
}

enum pkt_result
pkt_decode(int linktype, const uint8_t *d, size_t caplen, struct pkt *pk)
{
	uint32_t af;

	memset(pk, 0, sizeof(*pk));
	switch (linktype) {
	case PKT_LINK_ETHERNET:
		if (caplen < 14)
			return malformed(pk, "Ethernet header cut short", 0);
		return ethertype(d, 14, caplen, be16(d + 12), pk);
	case PKT_LINK_SLL:
		if (caplen < 16)
			return malformed(pk, "SLL header cut short", 0);
		return ethertype(d, 16, caplen, be16(d + 14), pk);
	case PKT_LINK_SLL2:
		if (caplen < 20)
			return malformed(pk, "SLL2 header cut short", 0);
		return ethertype(d, 20, caplen, be16(d), pk);
	case PKT_LINK_RAW_DLT:
	case PKT_LINK_RAW_DLT14:
	case PKT_LINK_RAW:
		return raw_ip(d, 0, caplen, pk);
	case PKT_LINK_IPV4:
		return ipv4(d, 0, caplen, pk);
	case PKT_LINK_IPV6:
		return ipv6(d, 0, caplen, pk);
	case PKT_LINK_NULL:
	case PKT_LINK_LOOP:
		if (caplen < 4)
			return malformed(pk, "loopback header cut short", 0);
		if (linktype == PKT_LINK_LOOP)
			af = be32(d);
		else {	/* the capturing host's order: either */
			af = (uint32_t)d[0] | (uint32_t)d[1] << 8 |
			    (uint32_t)d[2] << 16 | (uint32_t)d[3] << 24;
			if (af > 0xffff)
				af = be32(d);
		}
		return loopback(d, caplen, af, pk);
	}
	return PKT_LINK_UNSUPPORTED;
}
