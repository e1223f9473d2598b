/*
 * Captures as a replay input: a .pcap or .pcapng file, plain or gzip,
 * told apart by content; its packets through wire.c, its exchanges as
 * events in time order.  The helpers below serve the live capture
 * (capture.c) too, so that a packet makes the same event either way.
 */
#ifndef KS_SOURCE_PCAP_H
#define KS_SOURCE_PCAP_H

#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "event.h"
#include "wire.h"

struct pcsrc;

/* Is the file a capture (pcap or pcapng, maybe in gzip)? */
int		 pcsrc_is_capture(const char *path);
struct pcsrc	*pcsrc_open(const char *path, uint32_t index,
		    const struct config *, char *err, size_t errlen);
/* 1 with *ev filled (its endpoint not yet set), or 0 at the end. */
int		 pcsrc_next(struct pcsrc *, struct event *ev);
/* The file was cut short or broken (said on stderr). */
int		 pcsrc_failed(const struct pcsrc *);
void		 pcsrc_summary(const struct pcsrc *, FILE *);
void		 pcsrc_close(struct pcsrc *);

/* wire.c's options from the config: key headers, limits. */
void		 pcsrc_wire_opts(const struct config *, int64_t
		    response_timeout, struct wire_opts *);
/*
 * An exchange's event time: the request's, or for a request with no
 * response the moment that became known (the timeout, the connection's
 * end), so that it is not late for the detector.
 */
int64_t		 pcsrc_event_time(const struct wire_exchange *);
/* An exchange as an event (its endpoint not yet set). */
void		 pcsrc_event(const struct wire_exchange *, uint32_t input,
		    uint64_t seq, struct event *ev);

#endif
