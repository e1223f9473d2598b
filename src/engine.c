/* The engine (see engine.h). */
#include "autoconfig.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "enrich.h"
#include "keys.h"
#include "kstime.h"
#include "log.h"
#include "util.h"

/* An output's filters: min_severity, and rule ids or patterns. */
static int
wanted(const struct output_conf *o, const struct alert *al)
{
	size_t i;

	if ((int)alert_severity(al) < o->min_severity)
		return 0;
	if (o->nrules == 0)
		return 1;
	for (i = 0; i < o->nrules; i++)
		if (fnmatch(o->rules[i], al->rule->id, 0) == 0)
			return 1;
	return 0;
}

static void	on_alert(void *, const struct alert *);

#define MINUTE	(60 * KS_NSEC_PER_SEC)

/* The summary of what the cap held back in its minute, if anything. */
static void
cap_summary(struct engine *e)
{
	const struct rule	*r = ruleset_rule(e->rs, "alerts-suppressed");
	const struct rule	**rules;
	uint64_t		 *counts;
	struct alert		  al;
	size_t			  i, n = 0;

	if (e->cap_supp == 0)
		return;
	rules = ks_xcalloc(e->rs->nrules, sizeof(*rules));
	counts = ks_xcalloc(e->rs->nrules, sizeof(*counts));
	for (i = 0; i < e->rs->nrules; i++)
		if (e->cap_rule[i] > 0) {
			rules[n] = &e->rs->rules[i];
			counts[n++] = e->cap_rule[i];
		}
	memset(&al, 0, sizeof(al));
	al.rule = r;
	al.ts = (e->cap_minute + 1) * MINUTE;
	al.count = e->cap_supp;
	al.first_seen = e->cap_first;
	al.last_seen = e->cap_last;
	al.supp_rules = rules;
	al.supp_counts = counts;
	al.nsupp = n;
	e->cap_supp = 0;
	memset(e->cap_rule, 0, e->rs->nrules * sizeof(*e->cap_rule));
	if (r != NULL && r->enabled)
		on_alert(e, &al);
	free(rules);
	free(counts);
}

/*
 * limits.alerts_per_minute, per minute of event time.  An alert is held
 * back when the minute already had that many of its severity or above,
 * so that a flood of low ones never holds back a critical.  Returns 1 to
 * let it through.
 */
static int
cap_admit(struct engine *e, const struct alert *al)
{
	unsigned int	cap = e->cfg->limits.alerts_per_minute;
	int64_t		minute;
	uint64_t	n = 0;
	int		s, sev = (int)alert_severity(al);

	/*
	 * keysentry's word on itself (a source silent, the store gone,
	 * packets dropped) is rare by construction, and not held back: it
	 * neither counts nor moves the minute, whose alerts a network
	 * store may still be answering.
	 */
	if (cap == 0 || al->nsupp > 0 || e->cap_rule == NULL ||
	    (al->rule->builtin && (strncmp(al->rule->id, "source-", 7) == 0 ||
	    strncmp(al->rule->id, "store-", 6) == 0 ||
	    strcmp(al->rule->id, "capture-drops") == 0)))
		return 1;
	minute = al->ts >= 0 ? al->ts / MINUTE : (al->ts - MINUTE + 1) / MINUTE;
	if (minute > e->cap_minute) {
		cap_summary(e);
		memset(e->cap_count, 0, sizeof(e->cap_count));
		e->cap_minute = minute;
	}
	for (s = sev; s <= SEV_CRITICAL; s++)
		n += e->cap_count[s];
	if (n < cap) {
		e->cap_count[sev]++;
		return 1;
	}
	if (e->cap_supp == 0 || al->ts < e->cap_first)
		e->cap_first = al->ts;
	if (e->cap_supp == 0 || al->ts > e->cap_last)
		e->cap_last = al->ts;
	e->cap_supp++;
	e->cap_total++;
	if (al->rule >= e->rs->rules && al->rule < e->rs->rules +
	    e->rs->nrules)
		e->cap_rule[al->rule - e->rs->rules]++;
	return 0;
}

/* The minute is over by event time: its summary now, not at the next
   alert. */
static void
cap_tick(struct engine *e, int64_t now)
{
	/* (with answers awaited, alerts of the minute may still come) */
	if (e->cap_supp > 0 && now >= (e->cap_minute + 1) * MINUTE &&
	    detect_idle(e->dt))
		cap_summary(e);
}

static void
on_alert(void *arg, const struct alert *al)
{
	struct engine	*e = arg;
	json_t		*doc;
	char		*text, id[33];
	size_t		 i;

	if (e->holding) {	/* warm-up: written before the restart */
		e->held++;
		return;
	}
	alert_id(al, id);
	if (e->gate.gate != NULL && !e->gate.gate(e->gate.arg, id)) {
		e->duplicates++;
		return;
	}
	if (!cap_admit(e, al))
		return;
	e->actx.input_names = (const char *const *)e->inputs;
	e->actx.ninputs = e->ninputs;
	doc = alert_to_json(al, &e->actx);
	text = json_dumps(doc, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(doc);
	if (text == NULL) {
		log_warnx("rule %s: could not serialise an alert",
		    al->rule->id);
		return;
	}
	e->alerts++;
	for (i = 0; i < e->nsinks; i++)
		if (wanted(e->sinks[i]->conf, al))
			sink_write_alert(e->sinks[i], text, strlen(text),
			    (int)alert_severity(al), al->rule->id);
	free(text);
	if (e->gate.written != NULL)
		e->gate.written(e->gate.arg, id);
}

/* The Redis store went away, or came back (see store.h). */
static void
on_store(void *arg, int up, const char *where)
{
	struct engine	*e = arg;
	struct alert	 al;
	const struct rule *r = ruleset_rule(e->rs, up ? "store-recovered" :
			    "store-degraded");

	if (r == NULL || !r->enabled)
		return;
	memset(&al, 0, sizeof(al));
	al.rule = r;
	al.store = where;
	/* event time, as for every alert; wall time before the first event */
	al.ts = detect_clock(e->dt);
	if (al.ts == 0)
		al.ts = kstime_now();
	al.first_seen = al.last_seen = al.ts;
	on_alert(e, &al);
}

static void	use_keys(struct engine *);

/* Opens the sinks a config asks for (or output, or stdout). */
static int
open_sinks(struct engine *e, const struct config *cfg, const char *output,
    struct sink ***sinksp, size_t *np, char *err, size_t errlen)
{
	struct output_conf	 stdout_conf = { .type = "file", .path = "-",
				    .queue = 1000 };
	const struct output_conf *outs;
	struct sink		**sinks;
	size_t			 n, i;

	if (output != NULL) {
		e->override.type = "file";
		e->override.path = (char *)output;
		e->override.queue = 1000;
		outs = &e->override;
		n = 1;
	} else if (cfg->noutputs == 0) {
		e->override = stdout_conf;
		outs = &e->override;
		n = 1;
	} else {
		outs = cfg->outputs;
		n = cfg->noutputs;
	}
	sinks = ks_xcalloc(n, sizeof(*sinks));
	for (i = 0; i < n; i++) {
		if ((sinks[i] = sink_open(&outs[i], e->base, err, errlen)) ==
		    NULL) {
			while (i-- > 0)
				sink_close(sinks[i]);
			free(sinks);
			return -1;
		}
		/* the daemon keeps what an output cannot take (sink.h) */
		if (e->base != NULL)
			sink_set_spool(sinks[i], cfg->state_dir);
	}
	*sinksp = sinks;
	*np = n;
	return 0;
}

int
engine_init(struct engine *e, struct config *cfg, struct ruleset *rs,
    const char *output, char *err, size_t errlen)
{
	return engine_init_base(e, cfg, rs, output, NULL, err, errlen);
}

int
engine_init_base(struct engine *e, struct config *cfg, struct ruleset *rs,
    const char *output, struct event_base *base, char *err, size_t errlen)
{
	struct store_limits	lim;
	char			monitor[512];

	memset(e, 0, sizeof(*e));
	e->cfg = cfg;
	e->rs = rs;
	e->base = base;
	use_keys(e);
	memset(&lim, 0, sizeof(lim));
	lim.entries = cfg->limits.store_entries;
	lim.base = base;
	lim.skew = cfg->max_skew;
	lim.prefix = cfg->key_prefix;
	/*
	 * A daemon is the same monitor after a restart (its warm-up counts
	 * again what it counted before: raised, not added); a replay is a
	 * new one each time.
	 */
	if (base != NULL && cfg->state_dir != NULL) {
		snprintf(monitor, sizeof(monitor), "%s:%s", cfg->hostname,
		    cfg->state_dir);
		lim.monitor = monitor;
	}
	if ((e->store = store_open(cfg->store, &lim, err, errlen)) == NULL)
		return -1;
	e->dt = detect_new(cfg, rs, e->store, on_alert, e);
	e->cap_rule = ks_xcalloc(rs->nrules + 1, sizeof(*e->cap_rule));
	e->cap_minute = INT64_MIN;
	store_set_notify(e->store, on_store, e);
	e->actx.hostname = cfg->hostname;
	e->actx.cfg = cfg;
	return open_sinks(e, cfg, output, &e->sinks, &e->nsinks, err, errlen);
}

int
engine_reload(struct engine *e, struct config *cfg, struct ruleset *rs,
    char *err, size_t errlen)
{
	struct sink	**sinks;
	size_t		  n, i;

	if (open_sinks(e, cfg, NULL, &sinks, &n, err, errlen) == -1)
		return -1;
	for (i = 0; i < e->nsinks; i++)
		sink_close(e->sinks[i]);
	free(e->sinks);
	e->sinks = sinks;
	e->nsinks = n;
	detect_free(e->dt);
	cap_summary(e);		/* (by the old rules' indexes) */
	free(e->cap_rule);
	e->cap_rule = ks_xcalloc(rs->nrules + 1, sizeof(*e->cap_rule));
	ruleset_free(e->rs);
	config_free(e->cfg);
	e->cfg = cfg;
	e->rs = rs;
	use_keys(e);
	e->dt = detect_new(cfg, rs, e->store, on_alert, e);
	e->actx.hostname = cfg->hostname;
	e->actx.cfg = cfg;
	return 0;
}

void
engine_reopen(struct engine *e)
{
	size_t i;

	for (i = 0; i < e->nsinks; i++)
		sink_reopen(e->sinks[i]);
}

void
engine_raise(struct engine *e, const struct rule *r, const char *source,
    int64_t ts, int64_t first_seen, int64_t last_seen)
{
	struct alert al;

	if (!r->enabled)
		return;
	memset(&al, 0, sizeof(al));
	al.rule = r;
	al.source = source;
	al.ts = ts;
	al.first_seen = first_seen;
	al.last_seen = last_seen;
	on_alert(e, &al);
}

/*
 * key-exposed: the tokens of a record (rules.h), hashed; any registered
 * fingerprint among them raises the alert, once per cooldown per
 * fingerprint, with the line masked.  The table is as big as the
 * registry: bounded by the config.
 */
static void
on_tokens(void *arg, const char *input, uint64_t lineno, int64_t ts,
    const char *line, size_t len, const struct keys_span *sp, size_t n)
{
	struct engine		*e = arg;
	const struct rule	*r = ruleset_rule(e->rs, "key-exposed");
	const struct key_gen	*g;
	struct engine_expo	*x;
	struct alert		 al;
	char			 fp[KEYS_FP_LEN + 1], masked[1024];
	size_t			 i, k;
	long			 at;

	if (r == NULL || !r->enabled || e->expo == NULL)
		return;
	if (ts == 0)
		ts = e->base != NULL ? kstime_now() : detect_clock(e->dt);
	for (i = 0; i < n; i++) {
		e->tokens++;
		if (keys_fingerprint(line + sp[i].off, sp[i].len, fp) == -1 ||
		    (at = keyreg_find(e->keys, fp)) < 0)
			continue;
		e->exposures++;
		x = &e->expo[at];
		if (x->count == 0)
			x->first = ts;
		x->last = ts;
		x->count++;
		if (x->until > ts)
			continue;		/* in its cooldown */
		keyreg_lookup(e->keys, fp, &k, &g);
		memset(&al, 0, sizeof(al));
		al.rule = r;
		al.ts = ts;
		al.count = x->count;
		al.first_seen = x->first;
		al.last_seen = ts;
		al.key = &e->cfg->keys[k];
		al.gen = g;
		al.source = input;
		al.line = lineno;
		al.original = keys_mask(line, len, sp, n, masked,
		    sizeof(masked));
		on_alert(e, &al);
		x->until = ts + r->cooldown;
		x->count = 0;
	}
	explicit_bzero(fp, sizeof(fp));
}

static int
has_next(const struct key_conf *k)
{
	size_t i;

	for (i = 0; i < k->ngens; i++)
		if (k->gens[i].state == KEY_NEXT)
			return 1;
	return 0;
}

/*
 * Rotation awareness.  The runbook restarts the sidecar with the new key,
 * then the caller at once: for a few seconds the caller's calls with the
 * current key are refused, then the next key is accepted.  A rotation of
 * a key with a registered next generation is seen at the first of these
 * two; for rotation_grace from then, rejections from allowed sources are
 * "grace" (reload-401-burst does not count them); after it, the current
 * key still presented and refused from an allowed source is "late"
 * (rotation-desync).  Wire events only: logs carry no keys.
 */
static void
rotation(struct engine *e, struct event *ev)
{
	const struct key_conf	*k;
	int64_t			*start;
	int			 rejected, accepted;

	if (e->rot_start == NULL || ev->key_index < 0 ||
	    (size_t)ev->key_index >= e->cfg->nkeys ||
	    !(ev->flags & EV_HAS_STATUS) || !enrich_allowed(e->cfg, ev))
		return;
	k = &e->cfg->keys[ev->key_index];
	if (!has_next(k) || !key_conf_here(e->cfg, k))
		return;
	start = &e->rot_start[ev->key_index];
	rejected = ev->status == 401 || ev->status == 403;
	accepted = ev->status >= 200 && ev->status < 300;
	if (*start == 0 && ((ev->key_state == EKS_CURRENT && rejected) ||
	    (ev->key_state == EKS_NEXT && accepted))) {
		*start = ev->ts;
		log_info("%s: a rotation has begun (%s, from an allowed "
		    "source)", k->name, ev->key_state == EKS_NEXT ?
		    "the next key accepted" : "the current key refused");
	}
	if (*start == 0 || !rejected)
		return;
	if (ev->ts <= *start + e->cfg->rotation_grace)
		ev->rotation = EROT_GRACE;
	else if (ev->key_state == EKS_CURRENT)
		ev->rotation = EROT_LATE;
}

/* The registry, and what key-exposed needs of it, for a config. */
static void
use_keys(struct engine *e)
{
	keyreg_free(e->keys);
	free(e->expo);
	free(e->rot_start);
	e->rot_start = e->cfg->nkeys > 0 ? ks_xcalloc(e->cfg->nkeys,
	    sizeof(*e->rot_start)) : NULL;
	e->keys = keyreg_new(e->cfg);
	e->expo = keyreg_count(e->keys) > 0 ? ks_xcalloc(keyreg_count(e->keys),
	    sizeof(*e->expo)) : NULL;
	e->rs->on_tokens = e->expo != NULL ? on_tokens : NULL;
	e->rs->tokens_arg = e;
}

void
engine_key_age(struct engine *e, int64_t now)
{
	const struct rule	*r = ruleset_rule(e->rs, "key-age");
	const struct key_gen	*g;
	struct alert		 al;
	int64_t			 age;
	size_t			 i;
	int			 due;

	if (r == NULL || !r->enabled)
		return;
	for (i = 0; i < e->cfg->nkeys; i++) {
		const struct key_conf *k = &e->cfg->keys[i];
		if (!key_conf_here(e->cfg, k) ||
		    (due = keys_age(k, now, &g, &age)) == 0)
			continue;
		memset(&al, 0, sizeof(al));
		al.rule = r;
		al.ts = now;
		al.count = 1;
		al.first_seen = g->created;
		al.last_seen = now;
		al.escalated = due == 2;
		al.key = k;
		al.gen = g;
		al.key_age = age;
		on_alert(e, &al);
	}
}

void
engine_raise_alert(struct engine *e, const struct alert *al)
{
	if (al->rule != NULL && al->rule->enabled)
		on_alert(e, al);
}

void
engine_fini(struct engine *e)
{
	size_t i;

	engine_drain(e);
	for (i = 0; i < e->nsinks; i++)
		sink_close(e->sinks[i]);
	free(e->sinks);
	detect_free(e->dt);
	free(e->cap_rule);
	store_close(e->store);
	ruleset_free(e->rs);
	keyreg_free(e->keys);
	free(e->expo);
	free(e->rot_start);
	config_free(e->cfg);
	for (i = 0; i < e->ninputs; i++)
		free(e->inputs[i]);
	free(e->inputs);
	memset(e, 0, sizeof(*e));
}

uint32_t
engine_add_input(struct engine *e, const char *name)
{
	size_t i;

	for (i = 0; i < e->ninputs; i++)
		if (strcmp(e->inputs[i], name) == 0)
			return (uint32_t)i;
	e->inputs = ks_xreallocarray(e->inputs, e->ninputs + 1,
	    sizeof(*e->inputs));
	e->inputs[e->ninputs] = ks_xstrdup(name);
	return (uint32_t)e->ninputs++;
}

void
engine_event(struct engine *e, struct event *ev)
{
	enrich_endpoint(e->cfg, ev);
	enrich_key(e->cfg, e->keys, ev);
	rotation(e, ev);
	if (e->tap != NULL)
		e->tap(e->tap_arg, ev);
	if (e->no_detect)
		return;
	/* a replay: key-age on event time, at the start and every day */
	if (e->base == NULL && e->cfg->nkeys > 0 && (e->next_age == 0 ||
	    ev->ts >= e->next_age)) {
		engine_key_age(e, ev->ts);
		e->next_age = ev->ts + 86400 * KS_NSEC_PER_SEC;
	}
	detect_event(e->dt, ev);
	cap_tick(e, detect_clock(e->dt));
}

void
engine_drain(struct engine *e)
{
	size_t i;

	if (e->store != NULL)
		store_wait(e->store, 0);
	for (i = 0; i < e->nsinks; i++)
		sink_drain(e->sinks[i]);
}

void
engine_flush(struct engine *e)
{
	size_t i;

	for (i = 0; i < e->nsinks; i++)
		sink_flush(e->sinks[i]);
}
