/*
 * The detector (see detect.h).  Each matching event becomes at most two
 * store operations (a window update or query, then a cooldown claim) whose
 * results arrive through callbacks carrying a small heap-allocated "op";
 * nothing here assumes the store answers at once.
 *
 * Store keys are "<type>:<rule id>\037<endpoint>[\037<value>]...", type
 * being w (window), s (sequence: the "first" events) or c (claim), so
 * that monitors sharing a store count into the same keys.
 */
#include "autoconfig.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"
#include "log.h"
#include "lru.h"
#include "util.h"

#define KEY_MAX		(2 + 65 + 65 + RULE_MAX_GROUP * (ALERT_VALUE_MAX + 1))

struct dist_value {
	int64_t		ts;
	uint64_t	ord;		/* the group's event count when first seen */
	char		v[ALERT_VALUE_MAX];
};

/* Local per-group state; evidence and distinct rings follow it. */
struct gstate {
	int64_t		cooldown_until;	/* no alert before; 0: none */
	uint32_t	nev, evhead;	/* evidence ring since last alert */
	uint32_t	ndist, dcap;	/* distinct values since last alert */
	/*
	 * Events remembered, ever.  An alert shows only what was remembered
	 * up to its trigger (op.ord), though a network store answers after
	 * later events of the group were remembered.
	 */
	uint64_t	total;
	/* alerts held back in our cooldown, for its roll-up */
	uint64_t	supp;
	int64_t		supp_first, supp_last;
	struct evidence	supp_ev;	/* the last held back */
};

/*
 * A cooldown this monitor began with an alert: when event time passes its
 * end, what it held back is rolled up into one alert.  One FIFO per rule
 * instance: its cooldown has one length and alerts come in clock order,
 * so each FIFO is in the order of due times.
 */
struct pend {
	struct pend		*next;
	int64_t			 due;
	int			 escalated;
	uint16_t		 voff[RULE_MAX_GROUP];
	uint16_t		 vlen[RULE_MAX_GROUP];
	size_t			 klen;
	char			 key[];
};

/* Per event: the text of each field, computed once, on demand. */
struct evctx {
	const struct event	*ev;
	uint32_t		 have;			/* bit per field */
	char			 text[EVF_COUNT_][ALERT_VALUE_MAX];
};

struct detect {
	const struct config		*cfg;
	const struct ruleset		*rs;
	struct store			*store;
	detect_alert_fn			*fn;
	void				*arg;
	struct lru			*groups;
	int64_t				 clock;
	int				 clock_set;
	unsigned int			 nevidence;
	struct detect_stats		 st;
	struct detect_rule_stats	*rst;
	char				**prefix;	/* per instance */
	size_t				 *prefixlen;
	size_t				  ninsts;
	/*
	 * Store operations not answered yet.  A detector freed (a reload)
	 * while some are in flight is only marked dead; the last answer
	 * frees it, and answers to a dead detector do nothing else.
	 */
	uint64_t			  inflight;
	int				  dead;
	int				  async;	/* the store answers later */
	struct pend			**phead, ***ptail;	/* per instance */
	size_t				  npend;
	int64_t				  next_due;	/* earliest; 0: none */
};

struct dop {
	struct detect			*dt;
	const struct rule_inst		*in;
	struct evidence			 ev;
	int64_t				 now;
	struct store_window		 w;
	int64_t				 cooldown_until; /* group's, when seen */
	uint64_t			 ord;		/* gstate.total, then */
	struct evidence			*snap;		/* async store: the ring */
	uint32_t			 nsnap;		/* as it was, then */
	struct dist_value		*dsnap;		/* and the distinct */
	uint32_t			 ndsnap;	/* values, then */
	/* the group's values: key + voff[i], vlen[i] bytes */
	uint16_t			 voff[RULE_MAX_GROUP];
	uint16_t			 vlen[RULE_MAX_GROUP];
	int				 escalated;	/* rule.escalate matched */
	size_t				 klen;
	char				 key[];		/* group key */
};

static struct evidence *
gs_evidence(struct gstate *g)
{
	return (struct evidence *)(void *)(g + 1);
}

static struct dist_value *
gs_dist(struct gstate *g, unsigned int nev)
{
	return (struct dist_value *)(void *)(gs_evidence(g) + nev);
}

struct detect *
detect_new(const struct config *cfg, const struct ruleset *rs,
    struct store *store, detect_alert_fn *fn, void *arg)
{
	struct detect	*dt = ks_xcalloc(1, sizeof(*dt));
	size_t		 i;

	dt->cfg = cfg;
	dt->rs = rs;
	dt->store = store;
	dt->fn = fn;
	dt->arg = arg;
	dt->groups = lru_new(cfg->limits.groups, NULL, NULL);
	dt->nevidence = cfg->limits.evidence;
	dt->rst = ks_xcalloc(rs->nrules ? rs->nrules : 1, sizeof(*dt->rst));
	/* "<rule id>\037<endpoint>", the start of every group key */
	dt->prefix = ks_xcalloc(rs->ninsts + 1, sizeof(*dt->prefix));
	dt->prefixlen = ks_xcalloc(rs->ninsts + 1, sizeof(*dt->prefixlen));
	dt->ninsts = rs->ninsts;
	dt->phead = ks_xcalloc(rs->ninsts + 1, sizeof(*dt->phead));
	dt->ptail = ks_xcalloc(rs->ninsts + 1, sizeof(*dt->ptail));
	for (i = 0; i < rs->ninsts; i++)
		dt->ptail[i] = &dt->phead[i];
	dt->async = strcmp(store_name(store), "memory") != 0;
	for (i = 0; i < rs->ninsts; i++) {
		const struct rule_inst *in = &rs->insts[i];
		const char *ep = in->endpoint >= 0 ?
		    cfg->endpoints[in->endpoint].name : "";
		size_t n = strlen(in->rule->id) + strlen(ep) + 2;
		dt->prefix[i] = ks_xmalloc(n);
		snprintf(dt->prefix[i], n, "%s\037%s", in->rule->id, ep);
		dt->prefixlen[i] = n - 1;
	}
	return dt;
}

static void
destroy(struct detect *dt)
{
	size_t i;

	for (i = 0; i < dt->ninsts; i++) {
		struct pend *p, *next;
		for (p = dt->phead[i]; p != NULL; p = next) {
			next = p->next;
			free(p);
		}
		free(dt->prefix[i]);
	}
	free(dt->phead);
	free(dt->ptail);
	free(dt->prefix);
	free(dt->prefixlen);
	lru_free(dt->groups);
	free(dt->rst);
	free(dt);
}

void
detect_free(struct detect *dt)
{
	if (dt == NULL)
		return;
	if (dt->inflight > 0)
		dt->dead = 1;
	else
		destroy(dt);
}

/* One store answer is in; a dead detector goes with its last one. */
static int
answered(struct detect *dt)
{
	dt->inflight--;
	if (dt->dead) {
		if (dt->inflight == 0)
			destroy(dt);
		return 1;
	}
	return 0;
}

int64_t
detect_clock(const struct detect *dt)
{
	return dt->clock;
}

int
detect_idle(const struct detect *dt)
{
	return dt->inflight == 0;
}

void
detect_stats(const struct detect *dt, struct detect_stats *st)
{
	*st = dt->st;
	st->group_evictions = lru_evictions(dt->groups);
	st->groups = lru_count(dt->groups);
}

const struct detect_rule_stats *
detect_rule_stats(const struct detect *dt)
{
	return dt->rst;
}

static size_t
rule_index(const struct detect *dt, const struct rule_inst *in)
{
	return (size_t)(in->rule - dt->rs->rules);
}

/* The text of a field, for group keys and distinct values ("" if absent). */
static void
field_text_raw(const struct detect *dt, const struct event *ev,
    enum ev_field f, char *out, size_t size)
{
	struct field_value	fv;
	size_t			i;

	out[0] = '\0';
	field_value(ev, f, dt->cfg, &fv);
	if (!fv.present)
		return;
	if (fv.s != NULL) {
		ks_strlcpy(out, fv.s, size);
		for (i = 0; out[i] != '\0'; i++)
			if (out[i] == '\037')	/* the key separator */
				out[i] = '?';
	} else if (event_field_info(f)->type == EVT_ADDR)
		addr_format(fv.addr, out, size);
	else
		snprintf(out, size, "%lld", fv.num);
}

/* The text of a field of the current event, computed once per event. */
static const char *
field_text(const struct detect *dt, struct evctx *cx, enum ev_field f)
{
	if (!(cx->have & (1u << f))) {
		field_text_raw(dt, cx->ev, f, cx->text[f], sizeof(cx->text[f]));
		cx->have |= 1u << f;
	}
	return cx->text[f];
}

static void
dop_free(struct detect *dt, struct dop *op)
{
	(void)dt;
	if (op == NULL)
		return;
	free(op->snap);
	free(op->dsnap);
	free(op);
}

static struct dop *
dop_new(struct detect *dt, const struct rule_inst *in, struct evctx *cx)
{
	struct dop	*op;
	char		 key[KEY_MAX];
	uint16_t	 voff[RULE_MAX_GROUP], vlen[RULE_MAX_GROUP];
	size_t		 i, n, klen;
	int		 esc;

	klen = dt->prefixlen[in->index];
	memcpy(key, dt->prefix[in->index], klen);
	for (i = 0; i < in->rule->ngroup; i++) {
		key[klen++] = '\037';
		n = ks_strlcpy(key + klen, field_text(dt, cx,
		    in->rule->group_by[i]), ALERT_VALUE_MAX);
		if (n >= ALERT_VALUE_MAX)
			n = ALERT_VALUE_MAX - 1;
		voff[i] = (uint16_t)klen;
		vlen[i] = (uint16_t)n;
		klen += n;
	}
	/*
	 * An escalated event (a retired key that was accepted) is a group
	 * of its own: a lower alert's cooldown does not hold it back.
	 */
	esc = in->rule->escalates && selection_match(&in->escalate, cx->ev,
	    dt->cfg);
	if (esc && klen + 2 < KEY_MAX) {
		key[klen++] = '\037';
		key[klen++] = '!';
	}
	key[klen] = '\0';
	op = ks_xmalloc(sizeof(*op) + klen + 1);
	op->escalated = esc;
	op->dt = dt;
	op->snap = NULL;
	op->nsnap = 0;
	op->dsnap = NULL;
	op->ndsnap = 0;
	op->in = in;
	op->now = dt->clock;
	memset(&op->w, 0, sizeof(op->w));
	evidence_from_event(&op->ev, cx->ev);
	memcpy(op->voff, voff, sizeof(voff));
	memcpy(op->vlen, vlen, sizeof(vlen));
	op->klen = klen;
	memcpy(op->key, key, klen + 1);
	return op;
}

/* A store key: type letter, ':', group key. */
static size_t
store_key(const struct dop *op, char type, char *buf)
{
	buf[0] = type;
	buf[1] = ':';
	memcpy(buf + 2, op->key, op->klen);
	return op->klen + 2;
}

static size_t
gstate_size(const struct detect *dt, const struct rule *r)
{
	size_t d = r->agg == AGG_DISTINCT ? (r->threshold < ALERT_MAX_DISTINCT ?
	    r->threshold : ALERT_MAX_DISTINCT) : 0;

	return sizeof(struct gstate) + dt->nevidence *
	    sizeof(struct evidence) + d * sizeof(struct dist_value);
}

/* An answer that comes later must see the values as they are now. */
static void
snap_distinct(struct detect *dt, struct dop *op, struct gstate *g)
{
	if (!dt->async || g->ndist == 0 || op->cooldown_until > op->now)
		return;
	op->dsnap = ks_xcalloc(g->ndist, sizeof(*op->dsnap));
	memcpy(op->dsnap, gs_dist(g, dt->nevidence), g->ndist *
	    sizeof(*op->dsnap));
	op->ndsnap = g->ndist;
}

/* Records the event in its group's local state. */
static void
remember(struct detect *dt, struct dop *op, struct evctx *cx)
{
	const struct rule	*r = op->in->rule;
	const struct event	*ev = cx->ev;
	struct gstate		*g;
	struct dist_value	*dv;
	const char		*val;
	int			 created;
	uint32_t		 i, oldest;

	g = lru_put(dt->groups, op->key, op->klen, gstate_size(dt, r),
	    &created);
	if (created)
		g->dcap = r->agg == AGG_DISTINCT ? (uint32_t)(r->threshold <
		    ALERT_MAX_DISTINCT ? r->threshold : ALERT_MAX_DISTINCT) : 0;
	op->cooldown_until = g->cooldown_until;
	op->ord = ++g->total;
	if (dt->nevidence > 0) {
		gs_evidence(g)[g->evhead] = op->ev;
		g->evhead = (g->evhead + 1) % dt->nevidence;
		if (g->nev < dt->nevidence)
			g->nev++;
		if (dt->async && op->cooldown_until <= op->now) {
			/*
			 * The answer comes after later events: keep the ring
			 * (not needed in a cooldown: no alert can come).
			 */
			op->snap = ks_xcalloc(g->nev, sizeof(*op->snap));
			for (i = 0; i < g->nev; i++)
				op->snap[i] = gs_evidence(g)[(g->evhead +
				    dt->nevidence - g->nev + i) % dt->nevidence];
			op->nsnap = g->nev;
		}
	}
	if (g->dcap == 0)
		return;
	val = field_text(dt, cx, r->distinct);
	if (val[0] == '\0')
		return;
	dv = gs_dist(g, dt->nevidence);
	for (i = 0; i < g->ndist; i++) {
		if (strcmp(dv[i].v, val) == 0) {
			if (dv[i].ts < ev->ts)
				dv[i].ts = ev->ts;
			snap_distinct(dt, op, g);
			return;
		}
	}
	if (g->ndist < g->dcap)
		i = g->ndist++;
	else {
		for (i = 0, oldest = 0; i < g->ndist; i++)
			if (dv[i].ts < dv[oldest].ts)
				oldest = i;
		i = oldest;
	}
	dv[i].ts = ev->ts;
	dv[i].ord = op->ord;
	ks_strlcpy(dv[i].v, val, sizeof(dv[i].v));
	snap_distinct(dt, op, g);
}

/* Remembers a cooldown that began with our alert, for its roll-up. */
static void
pend_add(struct detect *dt, const struct dop *op, int64_t due)
{
	struct pend	*p;
	size_t		 i = op->in->index;

	if (dt->npend >= dt->cfg->limits.groups) {
		dt->st.rollups_dropped++;	/* bounded like the groups */
		return;
	}
	p = ks_xmalloc(sizeof(*p) + op->klen + 1);
	p->next = NULL;
	p->due = due;
	p->escalated = op->escalated;
	memcpy(p->voff, op->voff, sizeof(p->voff));
	memcpy(p->vlen, op->vlen, sizeof(p->vlen));
	p->klen = op->klen;
	memcpy(p->key, op->key, op->klen + 1);
	*dt->ptail[i] = p;
	dt->ptail[i] = &p->next;
	dt->npend++;
	if (dt->next_due == 0 || due < dt->next_due)
		dt->next_due = due;
}

/* The roll-up of a cooldown that has ended, if it held anything back. */
static void
rollup(struct detect *dt, const struct rule_inst *in, const struct pend *p)
{
	const struct rule	*r = in->rule;
	struct gstate		*g;
	struct alert		 al;
	char			 values[RULE_MAX_GROUP][ALERT_VALUE_MAX];
	uint32_t		 i;

	g = lru_get(dt->groups, p->key, p->klen, NULL);
	if (g == NULL || g->supp == 0)
		return;
	memset(&al, 0, sizeof(al));
	al.rule = r;
	al.endpoint = in->endpoint >= 0 ?
	    &dt->cfg->endpoints[in->endpoint] : NULL;
	al.ts = p->due;
	al.escalated = p->escalated;
	al.rollup = 1;
	al.count = g->supp;
	al.first_seen = g->supp_first;
	al.last_seen = g->supp_last;
	al.ngroup = r->ngroup;
	for (i = 0; i < r->ngroup; i++) {
		memcpy(values[i], p->key + p->voff[i], p->vlen[i]);
		values[i][p->vlen[i]] = '\0';
		al.group_fields[i] = r->group_by[i];
		al.group_values[i] = values[i];
	}
	/*
	 * The evidence: the last alert held back.  (Not the group's ring: a
	 * network store answers after later events have entered it, and the
	 * roll-up must not depend on how late.)
	 */
	al.trigger = &g->supp_ev;
	al.evidence = &g->supp_ev;
	al.nevidence = dt->nevidence > 0 ? 1 : 0;
	g->supp = 0;
	dt->st.rollups++;
	dt->rst[rule_index(dt, in)].rollups++;
	dt->fn(dt->arg, &al);
}

/*
 * Rolls up every cooldown that ended by now.  now is the time of the
 * event whose store answer is being handled, or the clock when no answer
 * is awaited: a network store answers in the order it was asked, so every
 * event before a cooldown's end has been counted when its roll-up is
 * made, and the roll-up is the same as over the memory store.
 */
static void
rollups_due(struct detect *dt, int64_t now)
{
	struct pend	*p;
	size_t		 i;
	int64_t		 next = 0;

	if (dt->next_due == 0 || now < dt->next_due)
		return;
	for (i = 0; i < dt->ninsts; i++) {
		while ((p = dt->phead[i]) != NULL && p->due <= now) {
			dt->phead[i] = p->next;
			if (p->next == NULL)
				dt->ptail[i] = &dt->phead[i];
			dt->npend--;
			rollup(dt, &dt->rs->insts[i], p);
			free(p);
		}
		if (p != NULL && (next == 0 || p->due < next))
			next = p->due;
	}
	dt->next_due = next;
}

static void
emit(struct detect *dt, struct dop *op, struct gstate *g)
{
	const struct rule	*r = op->in->rule;
	struct alert		 al;
	struct evidence		*ev = NULL;
	const char		*dist[ALERT_MAX_DISTINCT];
	char			 values[RULE_MAX_GROUP][ALERT_VALUE_MAX];
	struct dist_value	*dv;
	int64_t			 since;
	uint32_t		 i, k;
	size_t			 n = 0, nd = 0;

	memset(&al, 0, sizeof(al));
	al.rule = r;
	al.endpoint = op->in->endpoint >= 0 ?
	    &dt->cfg->endpoints[op->in->endpoint] : NULL;
	al.ts = op->ev.ts;
	al.trigger = &op->ev;
	al.escalated = op->escalated;
	al.ngroup = r->ngroup;
	for (i = 0; i < r->ngroup; i++) {
		memcpy(values[i], op->key + op->voff[i], op->vlen[i]);
		values[i][op->vlen[i]] = '\0';
		al.group_fields[i] = r->group_by[i];
		al.group_values[i] = values[i];
	}
	if (r->agg == AGG_NONE) {
		al.count = 1;
		al.first_seen = al.last_seen = op->ev.ts;
	} else {
		al.count = op->w.count;
		al.first_seen = op->w.oldest;
		al.last_seen = op->w.newest > op->ev.ts ? op->w.newest :
		    op->ev.ts;
	}
	since = r->window > 0 ? op->now - r->window : INT64_MIN;
	if (op->snap != NULL) {
		ev = ks_xcalloc(op->nsnap, sizeof(*ev));
		for (k = 0; k < op->nsnap; k++)
			if (op->snap[k].ts > since)
				ev[n++] = op->snap[k];
	} else if (g != NULL && g->nev > 0) {
		/* the ring, oldest first, within the window */
		ev = ks_xcalloc(g->nev, sizeof(*ev));
		for (k = 0; k < g->nev; k++) {
			i = (g->evhead + dt->nevidence - g->nev + k) %
			    dt->nevidence;
			if (g->total - g->nev + 1 + k > op->ord)
				break;		/* after the trigger */
			if (gs_evidence(g)[i].ts > since)
				ev[n++] = gs_evidence(g)[i];
		}
	}
	if (op->dsnap != NULL) {
		for (i = 0; i < op->ndsnap; i++)
			if (op->dsnap[i].ts > since)
				dist[nd++] = op->dsnap[i].v;
	} else if (g != NULL && g->dcap > 0) {
		dv = gs_dist(g, dt->nevidence);
		for (i = 0; i < g->ndist; i++)
			if (dv[i].ts > since && dv[i].ord <= op->ord)
				dist[nd++] = dv[i].v;
	}
	al.evidence = ev;
	al.nevidence = n;
	al.distinct = dist;
	al.ndistinct = nd;
	dt->st.alerts++;
	dt->rst[rule_index(dt, op->in)].alerts++;
	dt->fn(dt->arg, &al);
	free(ev);
	if (g != NULL && r->cooldown > 0 && g->cooldown_until > op->now) {
		g->supp = 0;
		pend_add(dt, op, g->cooldown_until);
	}
	if (g != NULL) {
		/* the next alert of this group shows what came after */
		uint64_t after = g->total - op->ord;
		if (after < g->nev)
			g->nev = (uint32_t)after;
		dv = gs_dist(g, dt->nevidence);
		for (i = 0, k = 0; i < g->ndist; i++)
			if (dv[i].ord > op->ord)
				dv[k++] = dv[i];
		g->ndist = k;
	}
}

static void
suppressed(struct detect *dt, const struct dop *op)
{
	struct gstate *g;

	dt->st.suppressed++;
	dt->rst[rule_index(dt, op->in)].suppressed++;
	/* in a cooldown of ours: counted for its roll-up */
	g = lru_get(dt->groups, op->key, op->klen, NULL);
	if (g == NULL || g->cooldown_until <= op->now)
		return;
	if (g->supp == 0 || op->ev.ts < g->supp_first)
		g->supp_first = op->ev.ts;
	if (g->supp == 0 || op->ev.ts >= g->supp_last) {
		g->supp_last = op->ev.ts;
		g->supp_ev = op->ev;
	}
	g->supp++;
}

static void
on_claim(void *arg, int err, int claimed)
{
	struct dop	*op = arg;
	struct detect	*dt = op->dt;
	struct gstate	*g;

	if (answered(dt)) {
		free(op->snap);
		free(op->dsnap);
		free(op);
		return;
	}
	rollups_due(dt, op->now);
	if (err) {
		/* a duplicate alert is better than a missed one */
		dt->st.store_errors++;
		claimed = 1;
	}
	g = lru_get(dt->groups, op->key, op->klen, NULL);
	/*
	 * Our claim: we know when it ends.  A refused one says only that
	 * someone holds the group (with a network store, perhaps our own
	 * earlier claim whose answer came first): its end is not ours to
	 * guess, and the store is asked again next time.
	 */
	if (g != NULL && claimed && g->cooldown_until < op->now +
	    op->in->rule->cooldown)
		g->cooldown_until = op->now + op->in->rule->cooldown;
	if (claimed)
		emit(dt, op, g);
	else
		suppressed(dt, op);
	dop_free(dt, op);
}

static void
trigger(struct detect *dt, struct dop *op)
{
	struct gstate	*g;
	char		 key[KEY_MAX + 2];
	size_t		 klen;

	/*
	 * In a cooldown this monitor knows of: no need to ask the store.
	 * (Learnt when the group was touched; a stale "no" only costs a
	 * claim, which the store then refuses.)
	 */
	if (op->cooldown_until <= op->now && dt->async &&
	    (g = lru_get(dt->groups, op->key, op->klen, NULL)) != NULL)
		op->cooldown_until = g->cooldown_until;	/* learnt since */
	if (op->cooldown_until > op->now) {
		suppressed(dt, op);
		dop_free(dt, op);
		return;
	}
	klen = store_key(op, 'c', key);
	dt->inflight++;
	store_claim(dt->store, key, klen, op->now, op->in->rule->cooldown,
	    on_claim, op);
}

static void
on_window(void *arg, int err, const struct store_window *w)
{
	struct dop	*op = arg;
	struct detect	*dt = op->dt;

	if (answered(dt)) {
		free(op->snap);
		free(op->dsnap);
		free(op);
		return;
	}
	rollups_due(dt, op->now);
	if (err) {
		dt->st.store_errors++;
		dop_free(dt, op);
		return;
	}
	if (w->count < op->in->rule->threshold) {
		dop_free(dt, op);
		return;
	}
	op->w = *w;
	trigger(dt, op);
}

/* Completion of an update whose result nobody waits for. */
static void
on_added(void *arg, int err, const struct store_window *w)
{
	struct detect *dt = arg;

	(void)w;
	if (answered(dt))
		return;
	if (err)
		dt->st.store_errors++;
}

static void
apply(struct detect *dt, const struct rule_inst *in, struct evctx *cx)
{
	const struct rule	*r = in->rule;
	const struct event	*ev = cx->ev;
	struct dop		*op;
	char			 key[KEY_MAX + 2];
	const char		*val;
	size_t			 klen, mlen;
	int			 is_first, is_then;

	op = dop_new(dt, in, cx);
	remember(dt, op, cx);
	switch (r->agg) {
	case AGG_NONE:
		trigger(dt, op);
		return;
	case AGG_COUNT:
		klen = store_key(op, 'w', key);
		dt->inflight++;
		store_count_add(dt->store, key, klen, ev->ts, op->now,
		    r->window, r->threshold, on_window, op);
		return;
	case AGG_DISTINCT:
		val = field_text(dt, cx, r->distinct);
		mlen = strlen(val);
		if (mlen == 0) {	/* no value: nothing to count */
			dop_free(dt, op);
			return;
		}
		klen = store_key(op, 'w', key);
		dt->inflight++;
		store_window_add(dt->store, key, klen, val, mlen, ev->ts,
		    op->now, r->window, r->threshold, on_window, op);
		return;
	case AGG_SEQUENCE:
		is_then = selection_match(&in->then, ev, dt->cfg);
		is_first = selection_match(&in->first, ev, dt->cfg);
		klen = store_key(op, 's', key);
		/* ask before adding: the "first" events must come before */
		if (is_then) {
			dt->inflight++;
			store_count_get(dt->store, key, klen, op->now,
			    r->window, r->threshold, on_window, op);
		} else
			dop_free(dt, op);
		if (is_first) {
			dt->inflight++;
			store_count_add(dt->store, key, klen, ev->ts,
			    dt->clock, r->window, r->threshold, on_added, dt);
		}
		return;
	}
}

int
detect_event(struct detect *dt, const struct event *ev)
{
	const struct ruleset	*rs = dt->rs;
	const struct rule_inst	*in;
	struct evctx		 cx;
	size_t			 i;

	dt->st.events++;
	cx.ev = ev;
	cx.have = 0;
	if (dt->clock_set && ev->ts < dt->clock - dt->cfg->lateness) {
		dt->st.late++;
		return 1;
	}
	if (!dt->clock_set || ev->ts > dt->clock) {
		dt->clock = ev->ts;
		dt->clock_set = 1;
		if (dt->inflight == 0)
			rollups_due(dt, dt->clock);
	}
	if (ev->endpoint >= 0 && (size_t)ev->endpoint < rs->nendpoints) {
		for (i = 0; i < rs->nby_ep[ev->endpoint]; i++) {
			in = &rs->insts[rs->by_ep[ev->endpoint][i]];
			if (inst_match(in, ev, dt->cfg)) {
				dt->rst[rule_index(dt, in)].matched++;
				apply(dt, in, &cx);
			}
		}
	}
	for (i = 0; i < rs->nany; i++) {
		in = &rs->insts[rs->any[i]];
		if (inst_match(in, ev, dt->cfg)) {
			dt->rst[rule_index(dt, in)].matched++;
			apply(dt, in, &cx);
		}
	}
	return 0;
}
