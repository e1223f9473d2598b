/*
 * libFuzzer harness: TCP reassembly (tcp.c) under small caps.  The input
 * is a list of segments: a byte of flags (SYN, FIN, RST, the direction,
 * which of 4 flows), two bytes of sequence offset, a byte of length, and
 * that many bytes of data.  After the end of the input every flow ends,
 * nothing may wait, and what was delivered plus the holes never exceeds
 * what the sequence numbers span.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static uint64_t delivered, holes;
static volatile uint8_t sink;	/* every delivered byte is read into it */

static void
on_data(void *arg, struct tcp_flow *f, int dir, const uint8_t *d, size_t len,
    int64_t ts)
{
	size_t i;

	(void)arg; (void)f; (void)dir; (void)ts;
	for (i = 0; i < len; i++)	/* every byte is readable */
		sink ^= d[i];
	delivered += len;
}

static void
on_gap(void *arg, struct tcp_flow *f, int dir, uint64_t len, int64_t ts)
{
	(void)arg; (void)f; (void)dir; (void)ts;
	holes += len;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct tcp_cb cb = { NULL, on_data, on_gap, NULL };
	struct tcp_opts		 o = { 3, 64, 160, 1000 };
	struct tcp_table	*t = tcp_new(&o, &cb, NULL);
	struct tcp_stats	 st;
	struct pkt		 p;
	size_t			 i = 0, n;
	int64_t			 ts = 0;
	uint8_t			*copy;

	delivered = holes = 0;
	while (i + 4 <= size) {
		uint8_t f = data[i];
		memset(&p, 0, sizeof(p));
		p.src.family = p.dst.family = 4;
		p.src.bytes[3] = 1;
		p.dst.bytes[3] = 2;
		p.sport = (uint16_t)(40000 + ((f >> 5) & 3));
		p.dport = 3110;
		if (f & 0x10) {		/* the server's side */
			struct ks_addr a = p.src;
			uint16_t port = p.sport;
			p.src = p.dst;
			p.dst = a;
			p.sport = p.dport;
			p.dport = port;
		}
		p.flags = (uint8_t)((f & 1 ? PKT_SYN : 0) | (f & 2 ? PKT_FIN :
		    0) | (f & 4 ? PKT_RST : 0) | PKT_ACK);
		p.seq = 0xfffff000u + (uint32_t)(data[i + 1] << 8 |
		    data[i + 2]);
		n = data[i + 3];
		i += 4;
		if (n > size - i)
			n = size - i;
		copy = malloc(n ? n : 1);
		memcpy(copy, data + i, n);
		p.payload = copy;
		p.len = p.wire_len = n;
		i += n;
		tcp_segment(t, &p, ts);
		free(copy);
		ts += f & 0x80 ? 2000 : 1;
		tcp_expire(t, ts);
	}
	tcp_flush(t, ts);
	tcp_stats(t, &st);
	if (st.waiting != 0 || st.active != 0)
		abort();
	tcp_free(t);
	return 0;
}
