/*
 * pkt.c: packets built here, byte by byte, for every link type and the
 * ways a packet can be cut short or lie about its lengths; and, when
 * ../shared/corpus is there, the TCP segments of real captures counted
 * against what tcpdump reports (tests/check_pkt_corpus in the same file).
 */
#include "autoconfig.h"

#include <dirent.h>
#include <pcap/pcap.h>
#include <sys/stat.h>

#include "check_common.h"
#include "pkt.h"

struct frame {
	uint8_t	b[2048];
	size_t	n;
};

static void
put(struct frame *f, const void *p, size_t n)
{
	ck_assert_uint_le(f->n + n, sizeof(f->b));
	memcpy(f->b + f->n, p, n);
	f->n += n;
}

static void
put16(struct frame *f, unsigned int v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	put(f, b, 2);
}

static void
put32(struct frame *f, uint32_t v)
{
	put16(f, v >> 16);
	put16(f, v & 0xffff);
}

static void
eth(struct frame *f, unsigned int type)
{
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 };

	put(f, macs, 12);
	put16(f, type);
}

/* A TCP header (20 bytes, or more with optlen bytes of NOP options). */
static void
tcph(struct frame *f, unsigned int sport, unsigned int dport, uint32_t seq,
    uint8_t flags, size_t optlen)
{
	uint8_t nop = 1;
	size_t i;

	put16(f, sport);
	put16(f, dport);
	put32(f, seq);
	put32(f, 7);
	put16(f, (unsigned int)((20 + optlen) / 4) << 12 | flags);
	put16(f, 512);
	put16(f, 0);
	put16(f, 0);
	for (i = 0; i < optlen; i++)
		put(f, &nop, 1);
}

/* IPv4 header: total = 20 + l4 (the TCP header and payload to come). */
static void
ip4h(struct frame *f, size_t l4, uint8_t proto, unsigned int frag)
{
	uint8_t src[4] = { 10, 89, 1, 10 }, dst[4] = { 10, 89, 0, 5 };

	put16(f, 0x4500);
	put16(f, (unsigned int)(20 + l4));
	put16(f, 1);
	put16(f, frag);
	put16(f, (unsigned int)(64 << 8 | proto));
	put16(f, 0);
	put(f, src, 4);
	put(f, dst, 4);
}

static void
ip6h(struct frame *f, size_t plen, uint8_t next)
{
	uint8_t src[16] = { 0xfd, 0, 0, 0x89, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0x10 }, dst[16] = { 0xfd, 0, 0, 0x89, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0x05 };

	put32(f, 0x60000000);
	put16(f, (unsigned int)plen);
	put16(f, (unsigned int)(next << 8 | 64));
	put(f, src, 16);
	put(f, dst, 16);
}

static const char req[] = "POST /internal/kratos/reload HTTP/1.1\r\n\r\n";
#define REQLEN	(sizeof(req) - 1)

static void
payload(struct frame *f)
{
	put(f, req, REQLEN);
}

static enum pkt_result
decode(int link, const struct frame *f, struct pkt *pk)
{
	return pkt_decode(link, f->b, f->n, pk);
}

static void
assert_segment(const struct pkt *pk, int family)
{
	char a[ADDR_STRLEN];

	ck_assert_int_eq(pk->src.family, family);
	addr_format(&pk->src, a, sizeof(a));
	ck_assert_str_eq(a, family == 4 ? "10.89.1.10" : "fd00:89::10");
	ck_assert_uint_eq(pk->sport, 40000);
	ck_assert_uint_eq(pk->dport, 3110);
	ck_assert_uint_eq(pk->seq, 1000);
	ck_assert_uint_eq(pk->ack, 7);
	ck_assert_uint_eq(pk->flags, PKT_PSH | PKT_ACK);
	ck_assert_uint_eq(pk->len, REQLEN);
	ck_assert_uint_eq(pk->wire_len, REQLEN);
	ck_assert(memcmp(pk->payload, req, REQLEN) == 0);
}

START_TEST(ethernet_ipv4)
{
	struct frame	f = { .n = 0 };
	struct pkt	pk;
	uint8_t		pad[6] = { 0 };

	eth(&f, 0x0800);
	ip4h(&f, 20 + REQLEN, 6, 0x4000);	/* DF: not a fragment */
	tcph(&f, 40000, 3110, 1000, PKT_PSH | PKT_ACK, 0);
	payload(&f);
	ck_assert_int_eq(decode(PKT_LINK_ETHERNET, &f, &pk), PKT_TCP);
	assert_segment(&pk, 4);
	ck_assert_uint_eq(pk.nvlan, 0);
	/* Ethernet padding after the IP packet is not payload */
	put(&f, pad, sizeof(pad));
	ck_assert_int_eq(decode(PKT_LINK_ETHERNET, &f, &pk), PKT_TCP);
	ck_assert_uint_eq(pk.len, REQLEN);
}
END_TEST

START_TEST(vlan_and_qinq)
{
	struct frame	f = { .n = 0 };
	struct pkt	pk;

	eth(&f, 0x88a8);		/* S-tag 100, C-tag 200 */
	put16(&f, 100);
	put16(&f, 0x8100);
	put16(&f, 0x2000 | 200);	/* priority bits are not the id */
	put16(&f, 0x86dd);
	ip6h(&f, 20 + REQLEN, 6);
	tcph(&f, 40000, 3110, 1000, PKT_PSH | PKT_ACK, 0);
	payload(&f);
	ck_assert_int_eq(decode(PKT_LINK_ETHERNET, &f, &pk), PKT_TCP);
	assert_segment(&pk, 6);
	ck_assert_uint_eq(pk.nvlan, 2);
	ck_assert_uint_eq(pk.vlan[0], 100);
	ck_assert_uint_eq(pk.vlan[1], 200);
}
END_TEST

START_TEST(linux_cooked)
{
	struct frame	f = { .n = 0 }, g = { .n = 0 };
	struct pkt	pk;
	uint8_t		addr[8] = { 2, 0, 0, 0, 0, 1, 0, 0 };

	/* SLL: type, ARPHRD, address length, address, protocol */
	put16(&f, 0);
	put16(&f, 1);
	put16(&f, 6);
	put(&f, addr, 8);
	put16(&f, 0x0800);
	ip4h(&f, 20 + REQLEN, 6, 0);
	tcph(&f, 40000, 3110, 1000, PKT_PSH | PKT_ACK, 0);
	payload(&f);
	ck_assert_int_eq(decode(PKT_LINK_SLL, &f, &pk), PKT_TCP);
	assert_segment(&pk, 4);
	/* SLL2: protocol, reserved, ifindex, ARPHRD, type, length, address */
	put16(&g, 0x86dd);
	put16(&g, 0);
	put32(&g, 3);
	put16(&g, 1);
	put16(&g, 6 | 0 << 8);
	put(&g, addr, 8);
	ip6h(&g, 20 + REQLEN, 6);
	tcph(&g, 40000, 3110, 1000, PKT_PSH | PKT_ACK, 0);
	payload(&g);
	ck_assert_int_eq(decode(PKT_LINK_SLL2, &g, &pk), PKT_TCP);
	assert_segment(&pk, 6);
}
END_TEST

START_TEST(raw_and_loopback)
{
	struct frame	f = { .n = 0 }, g = { .n = 0 }, h = { .n = 0 };
	struct pkt	pk;
	uint8_t		af_le[4] = { 2, 0, 0, 0 }, af6_le[4] = { 30, 0, 0, 0 };
	uint8_t		af_be[4] = { 0, 0, 0, 24 };

	ip4h(&f, 20 + REQLEN, 6, 0);
	tcph(&f, 40000, 3110, 1000, PKT_PSH | PKT_ACK, 0);
	payload(&f);
	ck_assert_int_eq(decode(PKT_LINK_RAW, &f, &pk), PKT_TCP);
	assert_segment(&pk, 4);
	ck_assert_int_eq(decode(PKT_LINK_RAW_DLT, &f, &pk), PKT_TCP);
	ck_assert_int_eq(decode(PKT_LINK_IPV4, &f, &pk), PKT_TCP);
	/* the version nibble decides for raw; IPv6 on a raw IPv4 link: no */
	ip6h(&g, 20 + REQLEN, 6);
	tcph(&g, 40000, 3110, 1000, PKT_PSH | PKT_ACK, 0);
	payload(&g);
	ck_assert_int_eq(decode(PKT_LINK_RAW, &g, &pk), PKT_TCP);
	assert_segment(&pk, 6);
	ck_assert_int_eq(decode(PKT_LINK_IPV6, &g, &pk), PKT_TCP);
	ck_assert_int_eq(decode(PKT_LINK_IPV4, &g, &pk), PKT_MALFORMED);
	/* NULL: AF in the capturing host's order, either; LOOP: network */
	put(&h, af_le, 4);
	put(&h, f.b, f.n);
	ck_assert_int_eq(decode(PKT_LINK_NULL, &h, &pk), PKT_TCP);
	assert_segment(&pk, 4);
	h.n = 0;
	put(&h, af6_le, 4);
	put(&h, g.b, g.n);
	ck_assert_int_eq(decode(PKT_LINK_NULL, &h, &pk), PKT_TCP);
	assert_segment(&pk, 6);
	h.n = 0;
	put(&h, af_be, 4);
	put(&h, g.b, g.n);
	ck_assert_int_eq(decode(PKT_LINK_LOOP, &h, &pk), PKT_TCP);
	ck_assert_int_eq(decode(PKT_LINK_NULL, &h, &pk), PKT_TCP);
	ck_assert_int_eq(pkt_decode(147, f.b, f.n, &pk), PKT_LINK_UNSUPPORTED);
	ck_assert(!pkt_link_supported(147));
	ck_assert(pkt_link_supported(PKT_LINK_SLL2));
}
END_TEST

START_TEST(ipv6_extension_headers)
{
	struct frame	f = { .n = 0 };
	struct pkt	pk;
	uint8_t		ext[8] = { 0 };

	/* hop-by-hop (8), destination options (16), atomic fragment (8) */
	eth(&f, 0x86dd);
	ip6h(&f, 8 + 16 + 8 + 20 + REQLEN, 0);
	ext[0] = 60;
	ext[1] = 0;
	put(&f, ext, 8);
	ext[0] = 44;
	ext[1] = 1;
	put(&f, ext, 8);
	memset(ext, 0, 8);
	put(&f, ext, 8);
	ext[0] = 6;
	ext[1] = 0;
	put(&f, ext, 8);		/* offset 0, M 0 */
	tcph(&f, 40000, 3110, 1000, PKT_PSH | PKT_ACK, 0);
	payload(&f);
	ck_assert_int_eq(decode(PKT_LINK_ETHERNET, &f, &pk), PKT_TCP);
	assert_segment(&pk, 6);
	/* a real fragment (M set) */
	f.b[14 + 40 + 8 + 16 + 3] = 1;
	ck_assert_int_eq(decode(PKT_LINK_ETHERNET, &f, &pk), PKT_FRAGMENT);
	/* UDP is not ours */
	f.n = 0;
	eth(&f, 0x86dd);
	ip6h(&f, 8, 17);
	put(&f, ext, 8);
	ck_assert_int_eq(decode(PKT_LINK_ETHERNET, &f, &pk), PKT_OTHER);
}
END_TEST

START_TEST(not_tcp_and_fragments)
{
	struct frame	f = { .n = 0 };
	struct pkt	pk;
	uint8_t		udp[8] = { 0 };

	eth(&f, 0x0806);		/* ARP */
	put(&f, udp, 8);
	ck_assert_int_eq(decode(PKT_LINK_ETHERNET, &f, &pk), PKT_OTHER);
	f.n = 0;
	eth(&f, 0x0800);
	ip4h(&f, 8, 17, 0);
	put(&f, udp, 8);
	ck_assert_int_eq(decode(PKT_LINK_ETHERNET, &f, &pk), PKT_OTHER);
	f.n = 0;
	eth(&f, 0x0800);
	ip4h(&f, 20 + REQLEN, 6, 0x2000);	/* MF: a first fragment */
	tcph(&f, 40000, 3110, 1000, PKT_PSH | PKT_ACK, 0);
	payload(&f);
	ck_assert_int_eq(decode(PKT_LINK_ETHERNET, &f, &pk), PKT_FRAGMENT);
	f.b[14 + 6] = 0;
	f.b[14 + 7] = 10;			/* offset 80: a later one */
	ck_assert_int_eq(decode(PKT_LINK_ETHERNET, &f, &pk), PKT_FRAGMENT);
}
END_TEST

/* Every way to be cut short or to lie: an error with its offset. */
START_TEST(malformed_with_offsets)
{
	struct frame	f = { .n = 0 };
	struct pkt	pk;
	size_t		n;

	eth(&f, 0x0800);
	ip4h(&f, 20 + 12 + REQLEN, 6, 0);
	tcph(&f, 40000, 3110, 1000, PKT_PSH | PKT_ACK, 12);
	payload(&f);
	ck_assert_int_eq(decode(PKT_LINK_ETHERNET, &f, &pk), PKT_TCP);
	ck_assert_uint_eq(pk.len, REQLEN);	/* options skipped */
	/* every cut inside the headers is an error, none reads past it */
	for (n = 0; n < 14 + 20 + 32; n++) {
		struct pkt p2;
		ck_assert_int_eq(pkt_decode(PKT_LINK_ETHERNET, f.b, n, &p2),
		    PKT_MALFORMED);
		ck_assert_ptr_nonnull(p2.why);
		ck_assert_uint_le(p2.offset, n);
	}
	/* a cut in the payload (snaplen) is a segment, shorter than sent */
	ck_assert_int_eq(pkt_decode(PKT_LINK_ETHERNET, f.b, f.n - 10, &pk),
	    PKT_TCP);
	ck_assert_uint_eq(pk.len, REQLEN - 10);
	ck_assert_uint_eq(pk.wire_len, REQLEN);
	/* the snaplen cut says so */
	ck_assert_int_eq(pkt_decode(PKT_LINK_ETHERNET, f.b, 14 + 20 + 10, &pk),
	    PKT_MALFORMED);
	ck_assert_ptr_nonnull(strstr(pk.why, "snaplen"));
	ck_assert_uint_eq(pk.offset, 14 + 20);
	/* IPv4 header length below 5 */
	f.b[14] = 0x44;
	ck_assert_int_eq(decode(PKT_LINK_ETHERNET, &f, &pk), PKT_MALFORMED);
	ck_assert_uint_eq(pk.offset, 14);
	f.b[14] = 0x45;
	/* a total length shorter than the IPv4 header */
	f.b[14 + 2] = 0;
	f.b[14 + 3] = 12;
	ck_assert_int_eq(decode(PKT_LINK_ETHERNET, &f, &pk), PKT_MALFORMED);
	ck_assert_uint_eq(pk.offset, 14 + 2);
	/* a total length shorter than the TCP header */
	f.b[14 + 3] = 30;
	ck_assert_int_eq(decode(PKT_LINK_ETHERNET, &f, &pk), PKT_MALFORMED);
	ck_assert_uint_eq(pk.offset, 14 + 20);
	f.b[14 + 2] = (uint8_t)((20 + 32 + REQLEN) >> 8);
	f.b[14 + 3] = (uint8_t)(20 + 32 + REQLEN);
	/* TCP data offset below 5, and beyond the packet */
	f.b[14 + 20 + 12] = 4 << 4;
	ck_assert_int_eq(decode(PKT_LINK_ETHERNET, &f, &pk), PKT_MALFORMED);
	ck_assert_uint_eq(pk.offset, 14 + 20 + 12);
	f.b[14 + 20 + 12] = 15 << 4;		/* 60 bytes: fine */
	ck_assert_int_eq(decode(PKT_LINK_ETHERNET, &f, &pk), PKT_TCP);
	ck_assert_int_eq(pkt_decode(PKT_LINK_ETHERNET, f.b, 14 + 20 + 40, &pk),
	    PKT_MALFORMED);
	/* too many VLAN tags */
	f.n = 0;
	eth(&f, 0x8100);
	for (n = 0; n < 9; n++) {
		put16(&f, 5);
		put16(&f, 0x8100);
	}
	ck_assert_int_eq(decode(PKT_LINK_ETHERNET, &f, &pk), PKT_MALFORMED);
	/* an IPv6 extension header longer than the packet */
	f.n = 0;
	eth(&f, 0x86dd);
	ip6h(&f, 8, 0);
	put16(&f, 6 << 8 | 200);
	put16(&f, 0);
	put32(&f, 0);
	ck_assert_int_eq(decode(PKT_LINK_ETHERNET, &f, &pk), PKT_MALFORMED);
	ck_assert_uint_eq(pk.offset, 14 + 40);
}
END_TEST

/*
 * Real captures (../shared/corpus/pcap, optional): the TCP segments
 * pkt_decode() finds, against counts taken with tcpdump -nr F tcp.
 */
static char corpus[4096];

START_TEST(corpus_captures)
{
	static const struct {
		const char	*file;
		int		 link;
		unsigned int	 tcp;
	} cases[] = {
		{ "zeek/http/get.pcap", 1, 14 },
		{ "zeek/http/pipelined-requests.pcap", 1, 49 },
		{ "zeek/http/basic-auth-with-colon.pcap", 228, 12 },
		{ "zeek/http-vlan-0.pcap", 1, 14 },	/* vlan and tcp */
		{ "zeek/http-qinq-0.pcap", 1, 14 },	/* vlan and vlan */
		{ "suricata-verify/detect-pcre-02/input.pcap", 113, 10 },
		{ "suricata-verify/decode-sll2-01/input.pcap", 276, 5 },
		{ "zeek/linuxsll-arp.pcap", 113, 0 },
	};
	char		 path[8192], err[PCAP_ERRBUF_SIZE];
	size_t		 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pcap_pkthdr	*h;
		const u_char		*d;
		struct pkt		 pk;
		pcap_t			*p;
		unsigned int		 tcp = 0, bad = 0;
		int			 link;

		snprintf(path, sizeof(path), "%s/pcap/%s", corpus,
		    cases[i].file);
		p = pcap_open_offline(path, err);
		ck_assert_msg(p != NULL, "%s: %s", path, err);
		link = pcap_datalink(p);
		ck_assert_int_eq(link, cases[i].link);
		while (pcap_next_ex(p, &h, &d) == 1) {
			switch (pkt_decode(link, d, h->caplen, &pk)) {
			case PKT_TCP:
				tcp++;
				break;
			case PKT_MALFORMED:
				bad++;
				break;
			default:
				break;
			}
		}
		pcap_close(p);
		ck_assert_msg(tcp == cases[i].tcp && bad == 0,
		    "%s: %u TCP segments, %u malformed; want %u", cases[i].file,
		    tcp, bad, cases[i].tcp);
	}
}
END_TEST

/*
 * Every capture of the corpus with a link type we read: each packet
 * decodes to something, and an error points inside its packet.  (The
 * broken files are libpcap's to refuse.)
 */
static unsigned int swept, swept_tcp;

static void
sweep_file(const char *path)
{
	struct pcap_pkthdr	*h;
	const u_char		*d;
	struct pkt		 pk;
	char			 err[PCAP_ERRBUF_SIZE];
	pcap_t			*p;
	int			 link, r;

	if ((p = pcap_open_offline(path, err)) == NULL)
		return;
	link = pcap_datalink(p);
	if (pkt_link_supported(link)) {
		swept++;
		while ((r = pcap_next_ex(p, &h, &d)) == 1) {
			r = pkt_decode(link, d, h->caplen, &pk);
			if (r == PKT_MALFORMED)
				ck_assert_msg(pk.why != NULL &&
				    pk.offset <= h->caplen, "%s", path);
			if (r == PKT_TCP) {
				swept_tcp++;
				ck_assert(pk.payload + pk.len <= d +
				    h->caplen);
				ck_assert_uint_le(pk.len, pk.wire_len);
			}
		}
	}
	pcap_close(p);
}

static void
sweep_dir(const char *dir, int depth)
{
	struct dirent	*de;
	struct stat	 st;
	char		 path[8192];
	DIR		*d;

	if (depth > 6 || (d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (stat(path, &st) == -1)
			continue;
		if (S_ISDIR(st.st_mode))
			sweep_dir(path, depth + 1);
		else if (strstr(de->d_name, ".pcap") != NULL)
			sweep_file(path);
	}
	closedir(d);
}

START_TEST(corpus_sweep)
{
	char dir[8192];

	snprintf(dir, sizeof(dir), "%s/pcap", corpus);
	sweep_dir(dir, 0);
	ck_assert_uint_gt(swept, 100);
	ck_assert_uint_gt(swept_tcp, 1000);
	printf("corpus: %u captures read, %u TCP segments\n", swept,
	    swept_tcp);
}
END_TEST

static Suite *
pkt_suite(int with_corpus)
{
	Suite	*s = suite_create("pkt");
	TCase	*tc = tcase_create("decode");

	tcase_add_test(tc, ethernet_ipv4);
	tcase_add_test(tc, vlan_and_qinq);
	tcase_add_test(tc, linux_cooked);
	tcase_add_test(tc, raw_and_loopback);
	tcase_add_test(tc, ipv6_extension_headers);
	tcase_add_test(tc, not_tcp_and_fragments);
	tcase_add_test(tc, malformed_with_offsets);
	if (with_corpus) {
		tcase_add_test(tc, corpus_captures);
		tcase_add_test(tc, corpus_sweep);
	}
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(pkt_suite(ks_corpus(corpus, sizeof(corpus))));
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
