/*
 * Captured packets to HTTP exchanges: pkt.c (the headers), tcp.c (each
 * connection's two streams), http.c (the messages), and here the pairing
 * of each request with its response, in order.  One exchange per request:
 * with the response's status, or status 0 when none came within
 * response_timeout (event time) or before the connection ended: the
 * sidecar down is a signal too.  No I/O: packets in, exchanges out.
 */
#ifndef KS_WIRE_H
#define KS_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "http.h"
#include "tcp.h"

struct wire_opts {
	struct http_opts http;
	struct tcp_opts	 tcp;
	int64_t		 response_timeout;	/* ns; 0: 30 s */
	unsigned int	 max_pending;		/* per connection; 0: 64 */
};

struct wire_exchange {
	struct ks_addr	 client, server;
	uint16_t	 cport, sport;
	int64_t		 ts;		/* the request's time */
	int64_t		 answered;	/* the response's; 0: none */
	int64_t		 told;		/* when its outcome was known: the
					   response, the timeout, the end */
	char		 method[EV_METHOD_MAX];
	char		 path[EV_PATH_MAX];
	int		 version;
	int		 status;	/* 0: no response */
	char		 fingerprint[KEYS_FP_LEN + 1];
	unsigned int	 nkeys;
	int		 bearer;
	char		 user_agent[EV_UA_MAX];
	int		 after_gap;	/* bytes were lost before it */
};

typedef void	wire_fn(void *arg, const struct wire_exchange *);

struct wire_stats {
	uint64_t	packets, tcp, other, fragments, malformed;
	uint64_t	unsupported_link;
	uint64_t	requests, responses, exchanges, unanswered;
	uint64_t	keyed;			/* exchanges that presented a key */
	uint64_t	unpaired_responses;	/* with no request waiting */
	uint64_t	pending_dropped;	/* past max_pending */
	uint64_t	http_errors;
	struct tcp_stats tcp_st;
	const char	*last_error;		/* the last malformed packet */
};

struct wire;

struct wire	*wire_new(const struct wire_opts *, wire_fn *, void *arg);
void		 wire_free(struct wire *);
void		 wire_packet(struct wire *, int linktype, const uint8_t *data,
		    size_t caplen, int64_t ts);
/* Time has come to now (event time): timeouts, idle connections. */
void		 wire_tick(struct wire *, int64_t now);
/* The end of the input: every connection ends, every request is told. */
void		 wire_flush(struct wire *, int64_t now);
void		 wire_stats(const struct wire *, struct wire_stats *);
/* *dst = *src, the strings copied as long as they are. */
void		 wire_exchange_copy(struct wire_exchange *dst,
		    const struct wire_exchange *src);

#endif
