/*
 * The counter store: where detectors keep their windows and cooldown
 * claims.  One interface, several backends chosen by URL ("memory", later
 * "redis://..."), identical semantics, one conformance suite
 * (tests/check_store.c) run against each.
 *
 * Windows.  A window is a set of members, each with a score (an event
 * time).  window_add() inserts a member or raises its score, keeps only the
 * cap highest scores, and reports how many members have a score in
 * (now - window, now], with the oldest and newest of them.  For a count,
 * members are unique per event; for a distinct count, a member is the
 * value itself.  Keeping the cap highest scores is exact for every
 * question "are there at least cap members in the window?", because
 * "now" never decreases.
 *
 * Counts.  count_add() is window_add() with a member of its own, unique
 * per call: one more event.  A backend may keep count windows in buckets
 * rather than members (Redis does, for the other monitors' events; see
 * docs/store-redis.md for the bound); count_get() asks such a window.
 *
 * Claims.  claim() takes key until now + ttl unless someone holds it
 * already; it is how a fleet raises an alert exactly once per cooldown.
 *
 * All times are event times (ns).  Results arrive through callbacks;
 * the memory backend calls them before returning, a network backend
 * later (in the order the operations were issued, but for those answered
 * at once during an outage).
 */
#ifndef KS_STORE_H
#define KS_STORE_H

#include <stddef.h>
#include <stdint.h>

struct store_window {
	uint64_t	count;		/* members in (now - window, now] */
	int64_t		oldest;		/* their lowest score; 0 if none */
	int64_t		newest;		/* their highest score; 0 if none */
};

/* err is 0, or -1 when the backend failed (counts are then unknown). */
typedef void store_window_cb(void *arg, int err, const struct store_window *);
typedef void store_claim_cb(void *arg, int err, int claimed);

struct event_base;

struct store_limits {
	size_t			 entries;	/* keys held at most (memory) */
	struct event_base	*base;		/* network backends' loop;
						   NULL: their own (replay) */
	int64_t			 skew;		/* max_skew, ns */
	const char		*prefix;	/* key_prefix (redis) */
	/*
	 * Who counts, for a fleet (redis): the same string for the same
	 * monitor across restarts; NULL: a new one for each store_open().
	 */
	const char		*monitor;
};

struct store_stats {
	uint64_t	entries;
	uint64_t	cap;
	uint64_t	evictions;	/* keys dropped to stay under cap */
	uint64_t	ops;
	uint64_t	errors;
	int		up;		/* connected (always 1 for memory) */
	int		degraded;	/* counting locally for now */
	uint64_t	pending;	/* operations awaiting a reply */
	uint64_t	reconnects;
	uint64_t	journal;	/* operations kept to add on recovery */
	uint64_t	journal_dropped; /* beyond the journal's bound */
	uint64_t	outages;
	uint64_t	batches;	/* network: operations sent together */
	uint64_t	scripts;	/* network: calls (one per key a batch
					   touches) */
};

struct store;

struct store_backend {
	const char	*name;
	/* Does this backend serve that URL? */
	int		(*accepts)(const char *url);
	int		(*open)(struct store *, const char *url,
			    const struct store_limits *, char *err,
			    size_t errlen);
	void		(*close)(struct store *);
	void		(*window_add)(struct store *, const char *key,
			    size_t klen, const void *member, size_t mlen,
			    int64_t score, int64_t now, int64_t window,
			    unsigned int cap, store_window_cb *, void *arg);
	void		(*window_get)(struct store *, const char *key,
			    size_t klen, int64_t now, int64_t window,
			    unsigned int cap, store_window_cb *, void *arg);
	/* Optional: without them, window_add() with a member of our own. */
	void		(*count_add)(struct store *, const char *key,
			    size_t klen, int64_t score, int64_t now,
			    int64_t window, unsigned int cap, store_window_cb *,
			    void *arg);
	void		(*count_get)(struct store *, const char *key,
			    size_t klen, int64_t now, int64_t window,
			    unsigned int cap, store_window_cb *, void *arg);
	void		(*claim)(struct store *, const char *key, size_t klen,
			    int64_t now, int64_t ttl, store_claim_cb *,
			    void *arg);
	void		(*stats)(struct store *, struct store_stats *);
	/* Network backends: operations in flight, and waiting for them. */
	size_t		(*pending)(struct store *);
	void		(*wait)(struct store *, size_t max_pending);
};

/*
 * A network store that loses its server goes on with local counters
 * ("degraded") and says so, once, through this; and again when it is back
 * ("recovered"), having added what it counted meanwhile.  where names the
 * server, without credentials.
 */
typedef void store_notify_fn(void *arg, int up, const char *where);

struct store {
	const struct store_backend	*be;
	void				*priv;
	store_notify_fn			*notify;
	void				*notify_arg;
	uint64_t			 seq;	/* count members */
	uint64_t			 salt;
};

void	store_set_notify(struct store *, store_notify_fn *, void *arg);

/* Returns NULL with a message in err. */
struct store	*store_open(const char *url, const struct store_limits *,
		    char *err, size_t errlen);
void		 store_close(struct store *);
const char	*store_name(const struct store *);

void	store_window_add(struct store *, const char *key, size_t klen,
	    const void *member, size_t mlen, int64_t score, int64_t now,
	    int64_t window, unsigned int cap, store_window_cb *, void *arg);
/* cap: the one the window's adds use (the count never exceeds it). */
void	store_window_get(struct store *, const char *key, size_t klen,
	    int64_t now, int64_t window, unsigned int cap, store_window_cb *,
	    void *arg);
/* A count window: each add is one more event (no member to give). */
void	store_count_add(struct store *, const char *key, size_t klen,
	    int64_t score, int64_t now, int64_t window, unsigned int cap,
	    store_window_cb *, void *arg);
void	store_count_get(struct store *, const char *key, size_t klen,
	    int64_t now, int64_t window, unsigned int cap, store_window_cb *,
	    void *arg);
void	store_claim(struct store *, const char *key, size_t klen, int64_t now,
	    int64_t ttl, store_claim_cb *, void *arg);
void	store_stats(struct store *, struct store_stats *);
/* Operations issued whose callbacks have not run yet (0 for memory). */
size_t	store_pending(struct store *);
/*
 * Runs the store's loop until at most max_pending operations are in
 * flight (replay's back-pressure; 0 before the end).  Bounded: a server
 * that does not answer is dropped after a timeout and its operations fail.
 */
void	store_wait(struct store *, size_t max_pending);

extern const struct store_backend store_memory_backend;
extern const struct store_backend store_redis_backend;

#endif
