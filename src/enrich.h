/*
 * Enrichment: what the site's config says about an event: which endpoint
 * it calls, and what the key it presents is.  (GeoIP/ASN from libmaxminddb joins here later.)
 */
#ifndef KS_ENRICH_H
#define KS_ENRICH_H

#include "config.h"
#include "event.h"

/*
 * Sets ev->endpoint to the first endpoint whose path equals url.path,
 * ignoring one trailing slash, whatever the method: a GET to the reload
 * path from a stranger is a probe of the endpoint too.  -1 if none.
 */
void	enrich_endpoint(const struct config *, struct event *ev);

/* Is the event's source among its endpoint's allowed_sources (addresses,
 * prefixes, and what their names resolve to now)? */
int	enrich_allowed(const struct config *, const struct event *ev);

struct keyreg;
/*
 * Sets keysentry.key.state (and .name) from the presented fingerprint:
 * a canary anywhere; registered for another environment; the state of
 * its generation; unknown; or, where the source sees keys and the
 * endpoint takes one, missing.  After enrich_endpoint().
 */
void	enrich_key(const struct config *, const struct keyreg *,
	    struct event *ev);

#endif
