/*
 * Allowed sources named by DNS (container names such as ciam-athena,
 * whose addresses are assigned at run time).  The names of every
 * endpoint are resolved with libevent's asynchronous resolver, at start
 * and then every resolve_interval, and what they resolve to is written
 * into the endpoint's "resolved" set, which the rules read when they
 * match (rules.h, cond.dyn).
 *
 * What a name allows, in order:
 *   - an answer replaces the name's addresses; an address that is no
 *     longer in the answer stays allowed until the next answer (one
 *     interval of grace, for lines already written from it);
 *   - "no such name" (NXDOMAIN, or no A/AAAA record) is an answer too:
 *     the name allows nothing after the grace;
 *   - a failure (timeout, SERVFAIL, no server) changes nothing: the
 *     previous addresses stay until a server answers again.
 * A change of addresses and the start and end of a run of failures are
 * logged.  At most RESOLVE_MAX_ADDRS addresses are kept per name.
 */
#ifndef KS_RESOLVE_H
#define KS_RESOLVE_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define RESOLVE_MAX_ADDRS	64
/* How long start-up waits for the first answers, ns. */
#define RESOLVE_FIRST_WAIT	(10 * INT64_C(1000000000))
/* Per query: seconds before a retry, and tries per server. */
#define RESOLVE_TIMEOUT		"2"
#define RESOLVE_ATTEMPTS	"2"

struct event_base;
struct resolver;

struct resolver_stats {
	uint64_t	rounds;		/* rounds completed */
	uint64_t	answers;	/* names answered (addresses or none) */
	uint64_t	failures;	/* names not answered */
	uint64_t	changes;	/* answers that changed a name's set */
	size_t		names;		/* names in use */
	size_t		addresses;	/* addresses they allow now */
	size_t		failing;	/* names whose last try failed */
};

/* The number of DNS names among the allowed sources of cfg. */
size_t		 resolver_count(const struct config *cfg);
/*
 * A resolver on base, for the names of cfg, with cfg's dns_servers (or
 * the system's, from /etc/resolv.conf and /etc/hosts).  interval: the
 * time between rounds, 0 for a single round (replay).  NULL and a
 * message on failure.
 */
struct resolver	*resolver_new(struct event_base *base, struct config *cfg,
		    int64_t interval, char *err, size_t errlen);
/*
 * Runs the loop until every name has been tried once, or max_wait (ns)
 * has passed; only while nothing else is on the loop (start-up).
 * Returns the number of names still without any answer.
 */
size_t		 resolver_wait(struct resolver *, int64_t max_wait);
/*
 * A new config (reload): its sets are filled from what is known now,
 * names never seen before are resolved at once, names it no longer has
 * are forgotten.  The next rounds write into it.
 */
void		 resolver_use(struct resolver *, struct config *cfg);
void		 resolver_stats(const struct resolver *,
		    struct resolver_stats *);
/* "name -> addr, addr; name2 -> no answer (timeout)" into buf. */
void		 resolver_describe(const struct resolver *, char *buf,
		    size_t size);
/* Stops; the sets already written into the config stay. */
void		 resolver_free(struct resolver *);

#endif
