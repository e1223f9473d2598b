/*
 * Live captures for the daemon: a source {type: pcap, interface, filter,
 * snaplen, promisc, buffer_size} read with libpcap, non-blocking, from the
 * event loop.  Packets go through wire.c as in a replay, and each exchange
 * becomes an event at once (source_pcap.c's helpers, so that a packet
 * makes the same event live and replayed).
 *
 * The handle is opened (capture_open) before the daemon gives up its
 * privileges; only CAP_NET_RAW is needed for that.  A new filter can be
 * set later without privileges; another interface, snaplen, promisc or
 * buffer needs a new handle, and so the privileges of the start.
 *
 * Health: pcap_stats() counts packets the kernel dropped (its buffer was
 * full) and the interface dropped.  They are read every tick; a drop
 * watch turns them into the capture-drops alert.
 */
#ifndef KS_CAPTURE_H
#define KS_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "event.h"
#include "wire.h"

struct event_base;
struct capture;

typedef void	capture_fn(void *arg, size_t source, struct event *ev);

struct capture_stats {
	const char		*name;		/* "pcap:eth0" */
	const char		*interface;
	uint64_t		 received;	/* by the filter (pcap_stats) */
	uint64_t		 dropped;	/* by the kernel: buffer full */
	uint64_t		 ifdropped;	/* by the interface */
	uint64_t		 read;		/* packets we read */
	uint64_t		 events;
	uint64_t		 read_errors;
	struct wire_stats	 wire;
};

/*
 * Opens and activates the handle and sets its filter.  NULL with a
 * message that names the source (and says what privilege is missing).
 */
struct capture	*capture_open(const struct source_conf *,
		    const struct config *, char *err, size_t errlen);
/* Reading starts: events go to fn with this source index. */
int		 capture_start(struct capture *, struct event_base *,
		    size_t source, uint32_t input, capture_fn *, void *arg);
/* Can this handle serve sc (the same interface, snaplen, promisc...)? */
int		 capture_same_handle(const struct capture *,
		    const struct source_conf *);
/*
 * After a reload: a new filter, key headers, limits (the config is the
 * new one; the capture keeps copies).  In-flight exchanges are kept if
 * only the filter changed.  0, or -1 with a message (the old filter
 * stays).
 */
int		 capture_configure(struct capture *, const struct source_conf *,
		    const struct config *, size_t source, char *err,
		    size_t errlen);
/* Once a second (wall clock): timeouts, idle flows, pcap_stats(). */
void		 capture_tick(struct capture *, int64_t now);
void		 capture_stats(const struct capture *, struct capture_stats *);
void		 capture_close(struct capture *);

/*
 * Drops as an alert, kept apart for testing.  The window is cut into
 * DROPWATCH_BUCKETS buckets (at least a second each), so a count is
 * exact to a bucket's width.
 */
#define DROPWATCH_BUCKETS	30

struct dropwatch {
	int64_t		width;			/* ns, per bucket */
	int64_t		start[DROPWATCH_BUCKETS];	/* bucket's start */
	uint64_t	n[DROPWATCH_BUCKETS];
	int64_t		last_alert;		/* 0: none yet */
};

/*
 * Adds the drops since the last call (delta) at now.  Returns the drops
 * within the window when an alert is due (at least threshold, and no
 * alert within cooldown), else 0; *first gets the time of the oldest
 * bucket with drops in the window.
 */
uint64_t	dropwatch_add(struct dropwatch *, int64_t now, uint64_t delta,
		    int64_t window, uint64_t threshold, int64_t cooldown,
		    int64_t *first);

#endif
