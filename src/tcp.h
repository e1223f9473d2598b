/*
 * TCP reassembly: segments (pkt.h) in, each connection's two byte
 * streams out, in order.  Out-of-order segments wait in a buffer;
 * retransmissions and overlaps are trimmed (the bytes that came first
 * win; the bytes received again are counted).  A hole that does not
 * fill (the buffer's cap, the end of the flow) is skipped and reported as
 * a gap.  A capture that starts mid-connection is picked up at its first
 * segment.  Flows end on RST, on FIN from both sides, on an idle timeout,
 * or evicted, oldest first, when a cap is reached; every eviction is
 * counted.  No I/O; the time is the packets'.
 */
#ifndef KS_TCP_H
#define KS_TCP_H

#include <stddef.h>
#include <stdint.h>

#include "pkt.h"

struct tcp_opts {
	size_t		max_flows;		/* 0: 10000 */
	size_t		max_flow_bytes;		/* waiting, per flow; 0: 256 KiB */
	size_t		max_total_bytes;	/* waiting, all flows; 0: 64 MiB */
	int64_t		idle_timeout;		/* ns; 0: 60 s */
};

enum tcp_end {
	TCP_END_FIN,		/* both sides closed */
	TCP_END_RST,
	TCP_END_IDLE,
	TCP_END_EVICTED,	/* a cap was reached */
	TCP_END_FLUSH		/* tcp_flush(): the end of the input */
};

/* A flow as the callbacks see it. dir 0: client to server. */
struct tcp_flow {
	struct ks_addr	 client, server;
	uint16_t	 cport, sport;
	int		 saw_syn;	/* from its start, else picked up */
	void		*user;		/* the caller's */
};

struct tcp_cb {
	void	(*open)(void *arg, struct tcp_flow *, int64_t ts);
	void	(*data)(void *arg, struct tcp_flow *, int dir,
		    const uint8_t *data, size_t len, int64_t ts);
	void	(*gap)(void *arg, struct tcp_flow *, int dir, uint64_t len,
		    int64_t ts);
	void	(*close)(void *arg, struct tcp_flow *, enum tcp_end,
		    int64_t ts);
};

struct tcp_stats {
	uint64_t	segments, flows, active;
	uint64_t	retransmitted;	/* segments with nothing new */
	uint64_t	overlaps;	/* bytes received again (retransmitted
					   or overlapping): the first kept */
	uint64_t	out_of_order;	/* segments that had to wait */
	uint64_t	gaps, gap_bytes;
	uint64_t	evicted_flows;	/* over max_flows or max_total_bytes */
	uint64_t	cut_bytes;	/* skipped to stay under max_flow_bytes */
	uint64_t	waiting;	/* bytes waiting now, all flows */
};

struct tcp_table;

struct tcp_table	*tcp_new(const struct tcp_opts *, const struct tcp_cb *,
			    void *arg);
void			 tcp_free(struct tcp_table *);
/* One segment at time ts (ns). */
void			 tcp_segment(struct tcp_table *, const struct pkt *,
			    int64_t ts);
/* Ends flows idle since before now - idle_timeout. */
void			 tcp_expire(struct tcp_table *, int64_t now);
/* Ends every flow (what waits is delivered past its gaps). */
void			 tcp_flush(struct tcp_table *, int64_t now);
void			 tcp_stats(const struct tcp_table *, struct tcp_stats *);

#endif
