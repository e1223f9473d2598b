/*
 * Packets to TCP segments: the link layer (Ethernet with 802.1Q VLAN and
 * QinQ tags, Linux cooked SLL and SLL2, raw IP, BSD loopback/NULL), IPv4
 * and IPv6 (with extension headers), and the TCP header.  Bytes in, a
 * segment out; no state, no I/O, and nothing is read past caplen.  Flows
 * and reassembly are the next layer's.
 *
 * The link types are libpcap's LINKTYPE_ values (as pcap files and
 * pcap_datalink() give them, DLT_ aliases mapped).
 */
#ifndef KS_PKT_H
#define KS_PKT_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define PKT_LINK_NULL		0	/* BSD loopback: AF, host order */
#define PKT_LINK_ETHERNET	1
#define PKT_LINK_RAW_DLT	12	/* DLT_RAW on most systems */
#define PKT_LINK_RAW_DLT14	14	/* DLT_RAW on some BSDs */
#define PKT_LINK_RAW		101	/* LINKTYPE_RAW */
#define PKT_LINK_LOOP		108	/* OpenBSD loopback: AF, network order */
#define PKT_LINK_SLL		113	/* Linux cooked, "-i any" */
#define PKT_LINK_IPV4		228
#define PKT_LINK_IPV6		229
#define PKT_LINK_SLL2		276	/* Linux cooked v2 */

#define PKT_MAX_VLAN		2	/* tags recorded (more are skipped) */

/* TCP flags */
#define PKT_FIN		0x01
#define PKT_SYN		0x02
#define PKT_RST		0x04
#define PKT_PSH		0x08
#define PKT_ACK		0x10

enum pkt_result {
	PKT_TCP,		/* a TCP segment: see struct pkt */
	PKT_OTHER,		/* not TCP over IP (ARP, UDP, ICMP...) */
	PKT_FRAGMENT,		/* an IP fragment (not reassembled here) */
	PKT_MALFORMED,		/* see why and offset */
	PKT_LINK_UNSUPPORTED	/* a link type we do not decode */
};

struct pkt {
	struct ks_addr	 src, dst;
	uint16_t	 sport, dport;
	uint32_t	 seq, ack;
	uint8_t		 flags;		/* PKT_SYN ... */
	uint16_t	 win;
	uint8_t		 nvlan;		/* VLAN tags seen */
	uint16_t	 vlan[PKT_MAX_VLAN];	/* their ids, outer first */
	const uint8_t	*payload;	/* TCP payload, inside the packet */
	size_t		 len;		/* payload bytes captured */
	size_t		 wire_len;	/* payload bytes the IP header says */
	/* PKT_MALFORMED: what, and where (byte offset in the packet) */
	const char	*why;
	size_t		 offset;
};

/* Decodes one captured packet of caplen bytes.  */
enum pkt_result	 pkt_decode(int linktype, const uint8_t *data, size_t caplen,
		    struct pkt *);
/* Is the link type one pkt_decode() reads? */
int		 pkt_link_supported(int linktype);
const char	*pkt_link_name(int linktype);

#endif
