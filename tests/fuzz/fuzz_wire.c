/*
 * libFuzzer harness: packets to exchanges, the whole chain (pkt.c,
 * tcp.c, http.c, wire.c) under small caps.  The first byte picks the
 * link type; then packets, each a 2-byte length and its bytes (a buffer
 * of its own, so that a read past it is caught), 1 ms apart, with a
 * tick now and then.  Every exchange told must be well formed, and at
 * the end nothing may wait and every request has been told once.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const int links[] = {
	PKT_LINK_ETHERNET, PKT_LINK_RAW, PKT_LINK_SLL2, PKT_LINK_NULL,
};

static void
check(void *arg, const struct wire_exchange *x)
{
	(void)arg;
	if (strlen(x->method) >= sizeof(x->method) ||
	    strlen(x->path) >= sizeof(x->path) || x->status < 0 ||
	    x->status > 999 || (x->fingerprint[0] != '\0' &&
	    strlen(x->fingerprint) != KEYS_FP_LEN))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wire_opts	 o;
	struct wire		*w;
	struct wire_stats	 st;
	size_t			 i = 1, n;
	int64_t			 ts = 1000000000;
	uint8_t			*copy;
	int			 link;

	if (size == 0)
		return 0;
	memset(&o, 0, sizeof(o));
	o.http.key_headers[0] = "X-Reload-Api-Key";
	o.http.nkey_headers = 1;
	o.http.max_line = 512;
	o.http.max_headers = 16;
	o.tcp.max_flows = 4;
	o.tcp.max_flow_bytes = 512;
	o.tcp.max_total_bytes = 1024;
	o.tcp.idle_timeout = 50000000;
	o.response_timeout = 20000000;
	o.max_pending = 4;
	link = links[data[0] % (sizeof(links) / sizeof(links[0]))];
	w = wire_new(&o, check, NULL);
	while (i + 2 <= size) {
		n = (size_t)(data[i] << 8 | data[i + 1]);
		i += 2;
		if (n > size - i)
			n = size - i;
		copy = malloc(n ? n : 1);
		memcpy(copy, data + i, n);
		wire_packet(w, link, copy, n, ts);
		free(copy);
		i += n;
		ts += 1000000;
		if ((ts / 1000000) % 16 == 0)
			wire_tick(w, ts);
	}
	wire_flush(w, ts);
	wire_stats(w, &st);
	/* every request told once: answered, timed out, dropped or ended */
	if (st.tcp_st.active != 0 || st.tcp_st.waiting != 0 ||
	    st.exchanges != st.requests)
		abort();
	wire_free(w);
	return 0;
}
