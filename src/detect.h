/*
 * Detection: rule instances applied to events, with aggregations kept in
 * the counter store.  Time is event time: the detector's clock is the
 * latest event time it has seen.  An event older than the clock minus the
 * allowed lateness is counted as late and not used; anything newer
 * counts in every window it falls in.
 *
 * Per rule and group (the endpoint plus the rule's group_by values) an
 * alert is raised at most once per cooldown; the rest are counted as
 * suppressed.  When event time passes the end of a cooldown that held
 * alerts back, one roll-up alert (alert.rollup) says how many, and their
 * first and last times.  A bounded local table keeps, per group, the last few
 * events as evidence.
 */
#ifndef KS_DETECT_H
#define KS_DETECT_H

#include <stdint.h>

#include "alert.h"
#include "config.h"
#include "event.h"
#include "rules.h"
#include "store.h"

struct detect;

typedef void detect_alert_fn(void *arg, const struct alert *);

struct detect_rule_stats {
	uint64_t	matched;	/* events that matched the rule */
	uint64_t	alerts;
	uint64_t	suppressed;	/* in cooldown */
	uint64_t	rollups;	/* when a cooldown ended */
};

struct detect_stats {
	uint64_t	events;		/* events offered */
	uint64_t	late;		/* dropped: older than allowed */
	uint64_t	alerts;
	uint64_t	suppressed;
	uint64_t	rollups;	/* roll-up alerts raised */
	uint64_t	rollups_dropped; /* cooldowns beyond limits.groups */
	uint64_t	store_errors;
	uint64_t	group_evictions;
	uint64_t	groups;		/* current local groups */
};

/* The config, ruleset and store must outlive the detector. */
struct detect	*detect_new(const struct config *, const struct ruleset *,
		    struct store *, detect_alert_fn *, void *arg);
void		 detect_free(struct detect *);

/* Offers one event whose endpoint is set.  Returns 1 if it was late. */
int		 detect_event(struct detect *, const struct event *);
int64_t		 detect_clock(const struct detect *);
/* No store answer is awaited. */
int		 detect_idle(const struct detect *);
void		 detect_stats(const struct detect *, struct detect_stats *);
/* Per rule, indexed like ruleset->rules. */
const struct detect_rule_stats *detect_rule_stats(const struct detect *);

#endif
