/* Endpoint classification (see enrich.h). */
#include "autoconfig.h"

#include <string.h>

#include "enrich.h"

void
enrich_endpoint(const struct config *cfg, struct event *ev)
{
	size_t i, len = strlen(ev->path), elen;

	ev->endpoint = -1;
	if (len > 1 && ev->path[len - 1] == '/')
		len--;
	for (i = 0; i < cfg->nendpoints; i++) {
		elen = strlen(cfg->endpoints[i].path);
		if (elen == len && memcmp(cfg->endpoints[i].path, ev->path,
		    len) == 0) {
			ev->endpoint = (int32_t)i;
			return;
		}
	}
}
