/*
 * Allowed sources named by DNS (see resolve.h).  One evdns base; every
 * round asks for each name once (A and AAAA); the answers go into a
 * per-name cache, and at the end of a round the cache is written into
 * the endpoints' sets of the config in use.  Nothing here blocks: a
 * round is a set of outstanding requests on the loop.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>

#include "kstime.h"
#include "log.h"
#include "resolve.h"
#include "util.h"

struct rname {
	struct resolver				*r;
	char					*name;
	struct ks_addrset			 cur;	/* the last answer */
	struct ks_addrset			 old;	/* left it: grace */
	struct evdns_getaddrinfo_request	*req;
	int					 pending;
	int					 answered;	/* ever */
	int					 failing;	/* last try */
	int					 used;	/* in cfg */
	char					 why[128];	/* last failure */
};

struct resolver {
	struct event_base	*base;
	struct evdns_base	*dns;
	struct config		*cfg;
	struct rname		**names;
	size_t			 nnames;
	struct event		*timer;		/* rounds */
	struct event		*giveup;	/* resolver_wait */
	int64_t			 interval;
	size_t			 inflight;	/* requests, +1 while starting */
	int			 waiting;	/* resolver_wait is running */
	struct resolver_stats	 st;
};

size_t
resolver_count(const struct config *cfg)
{
	size_t i, n = 0;

	for (i = 0; i < cfg->nendpoints; i++)
		n += cfg->endpoints[i].nnames;
	return n;
}

static struct rname *
find(struct resolver *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nnames; i++)
		if (strcasecmp(r->names[i]->name, name) == 0)
			return r->names[i];
	return NULL;
}

static void
set_text(const struct ks_addrset *s, char *buf, size_t size)
{
	char	a[ADDR_STRLEN];
	size_t	i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < s->n && len + 1 < size; i++) {
		addr_format(&s->a[i], a, sizeof(a));
		len += (size_t)snprintf(buf + len, size - len, "%s%s",
		    i ? ", " : "", a);
	}
	if (s->n == 0)
		snprintf(buf, size, "nothing");
}

static int
same_set(const struct ks_addrset *a, const struct ks_addrset *b)
{
	size_t i;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++)
		if (!addrset_contains(b, &a->a[i]))
			return 0;
	return 1;
}

/* Writes the cache into every endpoint set of the config in use. */
static void
apply(struct resolver *r)
{
	struct endpoint_conf	*ep;
	struct rname		*n;
	size_t			 i, j, k, total = 0;

	for (i = 0; i < r->cfg->nendpoints; i++) {
		ep = &r->cfg->endpoints[i];
		ep->resolved.n = 0;
		for (j = 0; j < ep->nnames; j++) {
			if ((n = find(r, ep->names[j])) == NULL)
				continue;
			for (k = 0; k < n->cur.n; k++)
				addrset_add(&ep->resolved, &n->cur.a[k]);
			for (k = 0; k < n->old.n; k++)
				addrset_add(&ep->resolved, &n->old.a[k]);
		}
	}
	r->st.failing = 0;
	for (i = 0; i < r->nnames; i++) {
		total += r->names[i]->cur.n;
		r->st.failing += r->names[i]->failing;
	}
	r->st.names = r->nnames;
	r->st.addresses = total;
}

/* A real answer (possibly "no addresses"): it replaces the name's set. */
static void
answer(struct rname *n, struct ks_addrset *fresh)
{
	char	now[512], was[512];
	size_t	i;
	int	changed = !n->answered || !same_set(&n->cur, fresh);

	n->r->st.answers++;
	if (n->failing)
		log_info("allowed source %s: resolving again", n->name);
	n->failing = 0;
	if (changed) {
		n->r->st.changes++;
		set_text(fresh, now, sizeof(now));
		if (!n->answered)
			log_info("allowed source %s resolves to %s", n->name,
			    now);
		else {
			set_text(&n->cur, was, sizeof(was));
			log_info("allowed source %s resolves to %s (was %s; "
			    "those stay allowed until the next answer)",
			    n->name, now, was);
		}
		if (fresh->n == 0)
			log_warnx("allowed source %s: no such name, or no "
			    "address: it allows no source now", n->name);
	}
	/* what left the answer stays one more interval */
	n->old.n = 0;
	for (i = 0; i < n->cur.n; i++)
		if (!addrset_contains(fresh, &n->cur.a[i]))
			addrset_add(&n->old, &n->cur.a[i]);
	addrset_clear(&n->cur);
	n->cur = *fresh;
	n->answered = 1;
}

static void
failure(struct rname *n, int result)
{
	char was[512];

	n->r->st.failures++;
	snprintf(n->why, sizeof(n->why), "%s", result == EVUTIL_EAI_FAIL ?
	    "no usable answer from the DNS servers (timeout or server "
	    "failure)" : evutil_gai_strerror(result));
	if (n->failing)
		return;
	n->failing = 1;
	set_text(&n->cur, was, sizeof(was));
	if (n->answered)
		log_warnx("allowed source %s: %s; it still allows %s",
		    n->name, n->why, was);
	else
		log_warnx("allowed source %s: %s; it allows no source until "
		    "it resolves", n->name, n->why);
}

static void	round_done(struct resolver *);

static void
on_answer(int result, struct evutil_addrinfo *res, void *arg)
{
	struct rname		*n = arg;
	struct resolver		*r = n->r;
	struct evutil_addrinfo	*ai;
	struct ks_addrset	 fresh = { NULL, 0 };
	struct ks_addr		 a;

	n->req = NULL;
	n->pending = 0;
	if (result == EVUTIL_EAI_CANCEL || r == NULL) {
		if (res != NULL)
			evutil_freeaddrinfo(res);
		if (r == NULL) {	/* the resolver is gone */
			free(n->name);
			free(n);
		}
		return;
	}
	if (result == 0) {
		for (ai = res; ai != NULL && fresh.n < RESOLVE_MAX_ADDRS;
		    ai = ai->ai_next) {
			memset(&a, 0, sizeof(a));
			if (ai->ai_family == AF_INET) {
				a.family = 4;
				memcpy(a.bytes, &((struct sockaddr_in *)
				    (void *)ai->ai_addr)->sin_addr, 4);
			} else if (ai->ai_family == AF_INET6) {
				char t[ADDR_STRLEN];
				if (evutil_inet_ntop(AF_INET6,
				    &((struct sockaddr_in6 *)(void *)
				    ai->ai_addr)->sin6_addr, t, sizeof(t)) ==
				    NULL || addr_parse(t, strlen(t), &a) == -1)
					continue;
			} else
				continue;
			addrset_add(&fresh, &a);
		}
		answer(n, &fresh);
	} else if (result == EVUTIL_EAI_NONAME || result == EVUTIL_EAI_NODATA)
		answer(n, &fresh);
	else
		failure(n, result);
	if (res != NULL)
		evutil_freeaddrinfo(res);
	if (--r->inflight == 0)
		round_done(r);
}

static void
round_done(struct resolver *r)
{
	size_t i = 0;

	r->st.rounds++;
	/* names the config dropped while they were asked for */
	while (i < r->nnames) {
		struct rname *n = r->names[i];
		if (n->used || n->pending) {
			i++;
			continue;
		}
		addrset_clear(&n->cur);
		addrset_clear(&n->old);
		free(n->name);
		free(n);
		r->names[i] = r->names[--r->nnames];
	}
	apply(r);
	if (r->waiting)
		event_base_loopbreak(r->base);
}

static void
ask(struct rname *n)
{
	struct evutil_addrinfo hints;

	if (n->pending)
		return;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;	/* one entry per address */
	n->pending = 1;
	n->r->inflight++;
	/* the callback may run before this returns (/etc/hosts) */
	n->req = evdns_getaddrinfo(n->r->dns, n->name, NULL, &hints,
	    on_answer, n);
}

/* Asks for every name in use (those already asked for are left be). */
static void
start_round(struct resolver *r)
{
	size_t i;

	r->inflight++;		/* so that no answer ends the round early */
	for (i = 0; i < r->nnames; i++)
		if (r->names[i]->used)
			ask(r->names[i]);
	if (--r->inflight == 0)
		round_done(r);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct resolver *r = arg;

	(void)fd;
	(void)what;
	if (r->inflight == 0)
		start_round(r);
}

static void
on_giveup(evutil_socket_t fd, short what, void *arg)
{
	struct resolver *r = arg;

	(void)fd;
	(void)what;
	event_base_loopbreak(r->base);
}

/* Takes the names of cfg; returns how many are new. */
static size_t
adopt(struct resolver *r, struct config *cfg)
{
	struct rname	*n;
	size_t		 i, j, fresh = 0;

	r->cfg = cfg;
	for (i = 0; i < r->nnames; i++)
		r->names[i]->used = 0;
	for (i = 0; i < cfg->nendpoints; i++)
		for (j = 0; j < cfg->endpoints[i].nnames; j++) {
			const char *name = cfg->endpoints[i].names[j];
			if ((n = find(r, name)) == NULL) {
				n = ks_xcalloc(1, sizeof(*n));
				n->r = r;
				n->name = ks_xstrdup(name);
				r->names = ks_xreallocarray(r->names,
				    r->nnames + 1, sizeof(*r->names));
				r->names[r->nnames++] = n;
				fresh++;
			}
			n->used = 1;
		}
	return fresh;
}

struct resolver *
resolver_new(struct event_base *base, struct config *cfg, int64_t interval,
    char *err, size_t errlen)
{
	struct resolver	*r;
	size_t		 i;

	r = ks_xcalloc(1, sizeof(*r));
	r->base = base;
	r->interval = interval;
	if (cfg->ndns_servers == 0) {
		r->dns = evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS |
		    EVDNS_BASE_DISABLE_WHEN_INACTIVE);
		if (r->dns == NULL) {
			snprintf(err, errlen, "DNS: cannot read "
			    "/etc/resolv.conf (set dns_servers)");
			goto fail;
		}
	} else {
		if ((r->dns = evdns_base_new(base,
		    EVDNS_BASE_DISABLE_WHEN_INACTIVE)) == NULL) {
			snprintf(err, errlen, "DNS: cannot start the resolver");
			goto fail;
		}
		/* search domains, ndots and /etc/hosts still apply */
		evdns_base_resolv_conf_parse(r->dns, DNS_OPTION_SEARCH |
		    DNS_OPTION_MISC | DNS_OPTION_HOSTSFILE, "/etc/resolv.conf");
		for (i = 0; i < cfg->ndns_servers; i++)
			if (evdns_base_nameserver_ip_add(r->dns,
			    cfg->dns_servers[i]) != 0) {
				snprintf(err, errlen, "DNS server %s: cannot "
				    "use it", cfg->dns_servers[i]);
				goto fail;
			}
	}
	evdns_base_set_option(r->dns, "timeout:", RESOLVE_TIMEOUT);
	evdns_base_set_option(r->dns, "attempts:", RESOLVE_ATTEMPTS);
	r->giveup = evtimer_new(base, on_giveup, r);
	if (interval > 0) {
		struct timeval tv;
		tv.tv_sec = interval / KS_NSEC_PER_SEC;
		tv.tv_usec = (interval % KS_NSEC_PER_SEC) / 1000;
		r->timer = event_new(base, -1, EV_PERSIST, on_timer, r);
		event_add(r->timer, &tv);
	}
	adopt(r, cfg);
	start_round(r);
	return r;
fail:
	if (r->dns != NULL)
		evdns_base_free(r->dns, 0);
	free(r);
	return NULL;
}

size_t
resolver_wait(struct resolver *r, int64_t max_wait)
{
	struct timeval	tv;
	size_t		i, none = 0;

	if (r->inflight > 0) {
		tv.tv_sec = max_wait / KS_NSEC_PER_SEC;
		tv.tv_usec = (max_wait % KS_NSEC_PER_SEC) / 1000;
		evtimer_add(r->giveup, &tv);
		r->waiting = 1;
		event_base_dispatch(r->base);
		r->waiting = 0;
		evtimer_del(r->giveup);
	}
	for (i = 0; i < r->nnames; i++)
		none += r->names[i]->used && !r->names[i]->answered;
	return none;
}

void
resolver_use(struct resolver *r, struct config *cfg)
{
	if (adopt(r, cfg) > 0)
		start_round(r);		/* asks only the new and idle ones */
	apply(r);
}

void
resolver_stats(const struct resolver *r, struct resolver_stats *st)
{
	*st = r->st;
}

void
resolver_describe(const struct resolver *r, char *buf, size_t size)
{
	char	set[512];
	size_t	i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < r->nnames && len + 1 < size; i++) {
		const struct rname *n = r->names[i];
		if (!n->used)
			continue;
		if (n->answered)
			set_text(&n->cur, set, sizeof(set));
		else
			snprintf(set, sizeof(set), "unresolved (%s)",
			    n->failing ? n->why : "still waiting");
		len += (size_t)snprintf(buf + len, size - len, "%s%s -> %s",
		    len ? "; " : "", n->name, set);
	}
}

static size_t
npending(const struct resolver *r)
{
	size_t i, n = 0;

	for (i = 0; i < r->nnames; i++)
		n += r->names[i]->pending;
	return n;
}

void
resolver_free(struct resolver *r)
{
	size_t	i;
	int	turns;

	if (r == NULL)
		return;
	/*
	 * A cancelled request reports back on a later turn of the loop, and
	 * only then is libevent's part of it freed: give it those turns.
	 */
	for (i = 0; i < r->nnames; i++)
		if (r->names[i]->req != NULL)
			evdns_getaddrinfo_cancel(r->names[i]->req);
	for (turns = 0; turns < 8 && npending(r) > 0; turns++)
		event_base_loop(r->base, EVLOOP_NONBLOCK);
	evdns_base_free(r->dns, 0);
	for (i = 0; i < r->nnames; i++) {
		struct rname *n = r->names[i];
		addrset_clear(&n->cur);
		addrset_clear(&n->old);
		if (n->pending) {	/* never reported: leave it to them */
			n->r = NULL;
			continue;
		}
		free(n->name);
		free(n);
	}
	free(r->names);
	if (r->timer != NULL)
		event_free(r->timer);
	event_free(r->giveup);
	free(r);
}
