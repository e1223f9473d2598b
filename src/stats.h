/*
 * The daemon's own statistics, written every stats_interval as a
 * Prometheus textfile (node_exporter's textfile collector reads it): a
 * temporary file then a rename, so a scrape never sees half of one.
 * Metric names are documented in docs/keysentry.conf.5.
 */
#ifndef KS_STATS_H
#define KS_STATS_H

#include <stdint.h>

#include "capture.h"
#include "engine.h"
#include "follow.h"
#include "resolve.h"

struct stats_daemon {
	int64_t		started;	/* wall ns */
	uint64_t	reloads_ok, reloads_failed;
	int64_t		last_reload_ok;	/* wall ns, 0: never */
	const int	*silent;	/* per source, or NULL */
	const struct resolver *resolver;	/* NULL: no DNS names */
	const struct capture_stats *captures;	/* live captures */
	size_t		ncaptures;
};

/* Returns 0, or -1 (logged) if the file could not be written. */
int	stats_write(const char *path, const struct engine *,
	    const struct follow *, const struct stats_daemon *);

#endif
