/*
 * The engine: one config, its rules, a store, the detector and the sinks,
 * wired together.  Replay and the daemon differ only in where events come
 * from and which clock drives them; both feed engine_event().
 */
#ifndef KS_ENGINE_H
#define KS_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "config.h"
#include "detect.h"
#include "rules.h"
#include "sink.h"
#include "store.h"

/*
 * The daemon's say over each alert before it is written: gate returns 0
 * to hold it back (a duplicate of one written before a restart); written
 * is told of each one that went out.
 */
struct engine_gate {
	int		(*gate)(void *arg, const char *id);
	void		(*written)(void *arg, const char *id);
	void		 *arg;
};

struct engine_expo {
	int64_t		until, first, last;
	uint64_t	count;
};

struct engine {
	struct config		 *cfg;
	struct ruleset		 *rs;
	struct store		 *store;
	struct detect		 *dt;
	struct sink		**sinks;
	size_t			  nsinks;
	struct output_conf	  override;	/* -o FILE */
	struct event_base	 *base;		/* the daemon's loop, or NULL */
	char			**inputs;	/* names, by event.input */
	size_t			  ninputs;
	struct alert_ctx	  actx;
	struct engine_gate	  gate;
	struct keyreg		 *keys;		/* the config's fingerprints */
	int64_t			  next_age;	/* replay: next key-age look */
	/* key-exposed, per registered fingerprint: cooldown, and the
	   exposures held back in it (first, last, how many) */
	struct engine_expo	 *expo;
	uint64_t		  tokens, exposures;	/* hashed, matched */
	int64_t			 *rot_start;	/* per key: rotation seen; 0 */
	/* hunt: every event, enriched, to tap; no detection at all */
	void			(*tap)(void *arg, const struct event *);
	void			 *tap_arg;
	int			  no_detect;
	int			  holding;	/* warm-up: alerts held back */
	uint64_t		  alerts;	/* written */
	uint64_t		  held;		/* held back in warm-up */
	uint64_t		  duplicates;	/* written before a restart */
	/* limits.alerts_per_minute: this minute's alerts per severity, and
	   what it held back (per rule, how many, first and last) */
	int64_t			  cap_minute;
	uint64_t		  cap_count[SEV_CRITICAL + 1];
	uint64_t		 *cap_rule;		/* by rule index */
	uint64_t		  cap_supp, cap_total;
	int64_t			  cap_first, cap_last;
};

/*
 * Takes ownership of cfg and rs.  With output != NULL, alerts go there
 * (a file, or "-") instead of the config's outputs.
 */
int	engine_init(struct engine *, struct config *cfg, struct ruleset *rs,
	    const char *output, char *err, size_t errlen);
/*
 * Waits for every store answer (and the alerts they raise); not from a
 * callback of the daemon's loop.
 */
void	engine_drain(struct engine *);
/* The same, with network stores on the caller's loop (the daemon). */
int	engine_init_base(struct engine *, struct config *cfg,
	    struct ruleset *rs, const char *output, struct event_base *base,
	    char *err, size_t errlen);
void	engine_fini(struct engine *);
/*
 * Swaps in a new config and rules (a reload): the store, and so the
 * counters and cooldowns of every rule that kept its id, stays; outputs
 * are reopened from the new config.  Takes ownership of cfg and rs, and
 * frees the old ones.  On failure (an output cannot be opened) nothing
 * changes and -1 is returned with a message.
 */
int	engine_reload(struct engine *, struct config *cfg, struct ruleset *rs,
	    char *err, size_t errlen);
/* Reopens output files (SIGUSR1, after logrotate). */
void	engine_reopen(struct engine *);
/* Raises an alert that no event trips (source-silent, source-resumed). */
void	engine_raise(struct engine *, const struct rule *, const char *source,
	    int64_t ts, int64_t first_seen, int64_t last_seen);
/* The same for a whole alert (capture-drops: its count, interface). */
void	engine_raise_alert(struct engine *, const struct alert *);
/*
 * key-age: every key of this environment whose current generation is
 * near or past its max_age raises it, at now.  The daemon calls this at
 * start and daily (wall clock); engine_event() in a replay, every day
 * of event time.
 */
void	engine_key_age(struct engine *, int64_t now);
/* Registers an input name (once per name); returns its event.input. */
uint32_t engine_add_input(struct engine *, const char *name);
/* Classifies and detects one event. */
void	engine_event(struct engine *, struct event *ev);
void	engine_flush(struct engine *);

#endif
