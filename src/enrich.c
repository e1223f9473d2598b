/* Endpoint classification (see enrich.h). */
#include "autoconfig.h"

#include <string.h>

#include "enrich.h"
#include "keys.h"

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

void
enrich_key(const struct config *cfg, const struct keyreg *reg,
    struct event *ev)
{
	static const uint8_t by_gen[] = {
		[KEY_CURRENT] = EKS_CURRENT, [KEY_NEXT] = EKS_NEXT,
		[KEY_RETIRED] = EKS_RETIRED, [KEY_REVOKED] = EKS_REVOKED,
		[KEY_CANARY] = EKS_CANARY,
	};
	const struct key_gen	*g;
	size_t			 k;

	ev->key_state = EKS_NONE;
	ev->key_index = -1;
	if (ev->key_fp[0] == '\0') {
		if ((ev->flags & EV_KEY_SEEN) && ev->endpoint >= 0 &&
		    cfg->endpoints[ev->endpoint].key_header != NULL)
			ev->key_state = EKS_MISSING;
		return;
	}
	if (!keyreg_lookup(reg, ev->key_fp, &k, &g)) {
		ev->key_state = EKS_UNKNOWN;
		return;
	}
	ev->key_index = (int16_t)k;
	if (g->state == KEY_CANARY)
		ev->key_state = EKS_CANARY;
	else if (!key_conf_here(cfg, &cfg->keys[k]))
		ev->key_state = EKS_WRONG_ENV;
	else
		ev->key_state = by_gen[g->state];
}

int
enrich_allowed(const struct config *cfg, const struct event *ev)
{
	const struct endpoint_conf	*ep;
	size_t				 i;

	if (ev->endpoint < 0 || (size_t)ev->endpoint >= cfg->nendpoints ||
	    !(ev->flags & EV_HAS_SRC))
		return 0;
	ep = &cfg->endpoints[ev->endpoint];
	for (i = 0; i < ep->nallowed; i++)
		if (cidr_contains(&ep->allowed[i], &ev->src))
			return 1;
	return addrset_contains(&ep->resolved, &ev->src);
}
