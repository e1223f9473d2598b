/*
 * libFuzzer harness: packet decoding (pkt.c).  The first byte picks the
 * link type among those read; the rest is the captured packet, in a
 * buffer of exactly its size, so that a read past it is caught.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const int links[] = {
	PKT_LINK_ETHERNET, PKT_LINK_SLL, PKT_LINK_SLL2, PKT_LINK_RAW,
	PKT_LINK_IPV4, PKT_LINK_IPV6, PKT_LINK_NULL, PKT_LINK_LOOP,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pkt	 pk;
	uint8_t		*copy;
	size_t		 n;
	int		 link;

	if (size == 0)
		return 0;
	link = links[data[0] % (sizeof(links) / sizeof(links[0]))];
	n = size - 1;
	copy = malloc(n ? n : 1);
	memcpy(copy, data + 1, n);
	switch (pkt_decode(link, copy, n, &pk)) {
	case PKT_TCP:
		if (pk.payload < copy || pk.payload + pk.len > copy + n ||
		    pk.len > pk.wire_len || pk.nvlan > PKT_MAX_VLAN)
			abort();
		break;
	case PKT_MALFORMED:
		if (pk.why == NULL || pk.offset > n)
			abort();
		break;
	case PKT_OTHER:
	case PKT_FRAGMENT:
		break;
	default:
		abort();	/* every link type here is read */
	}
	free(copy);
	return 0;
}
