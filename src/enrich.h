/*
 * Enrichment: what the site's config says about an event.  For now, which
 * endpoint it calls.  (GeoIP/ASN from libmaxminddb joins here later.)
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

#endif
