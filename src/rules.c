/*
 * Rule loading, compilation and matching (see rules.h and
 * docs/keysentry.rules.5).  Loading is two-phase: every file is parsed and
 * checked first, so that one run of "keysentry check" reports every error
 * in every file; instances are compiled only from rules that passed.
 */
#include "autoconfig.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <jansson.h>

#include "rules.h"
#include "util.h"

#define DEFAULT_COOLDOWN	(600 * KS_NSEC_PER_SEC)

static const char *rule_keys[] = {
	"id", "version", "name", "description", "severity", "endpoints",
	"match", "not", "group_by", "aggregate", "cooldown", "runbook", "tags",
	"enabled", "escalate", "response", NULL
};
static const char *playbook_keys[] = {
	"playbook", "name", "runbook", "steps", NULL
};
static const char *pb_step_keys[] = { "name", "action", NULL };
static const char *escalate_keys[] = { "match", "severity", NULL };
static const char *agg_keys[] = {
	"type", "window", "threshold", "field", "first", "then", NULL
};
static const char *step_keys[] = { "match", "not", NULL };

/*
 * Rules keysentry applies itself, because no event trips them: a source
 * that produces nothing, a shared store that is gone.  They can be tuned
 * with rule_overrides like any.
 */
static const struct {
	const char	*id, *name, *description, *runbook;
	enum severity	 severity;
	/* a count over a window (capture-drops); else none */
	int64_t		 window, cooldown;
	unsigned int	 threshold;
} builtins[] = {
	{ "source-silent", "A watched log has gone silent",
	  "No line has come from a watched source for silence_after (5 "
	  "minutes by default). A sidecar's health checks keep its log busy, "
	  "so silence means the service, its logging, or keysentry's view "
	  "of the file has stopped: the monitor is blind there.",
	  "docs/runbooks/source-silent.md", SEV_HIGH, 0, 0, 0 },
	{ "source-resumed", "A silent source is producing lines again",
	  "Lines are coming again from a source that had gone silent.",
	  "docs/runbooks/source-silent.md", SEV_INFO, 0, 0, 0 },
	{ "store-degraded", "The shared counter store is unavailable",
	  "The Redis store did not answer (down, hanging, or unreachable). "
	  "Detection goes on with this monitor's own counters, which see only "
	  "this host's events: attacks spread over several hosts may stay "
	  "under the thresholds until the store is back.",
	  "docs/runbooks/store-degraded.md", SEV_HIGH, 0, 0, 0 },
	{ "store-recovered", "The shared counter store is back",
	  "The Redis store answers again; what this monitor counted meanwhile "
	  "has been added to it.",
	  "docs/runbooks/store-degraded.md", SEV_INFO, 0, 0, 0 },
	{ "capture-drops", "A live capture is losing packets",
	  "The kernel (its capture buffer was full) or the interface dropped "
	  "packets of a live capture: at least threshold within the window. "
	  "Requests in them were not seen, and connections they cut are "
	  "followed past a gap: the wire witness has holes.",
	  "docs/runbooks/capture-drops.md", SEV_HIGH,
	  60 * KS_NSEC_PER_SEC, 600 * KS_NSEC_PER_SEC, 1 },
	{ "key-age", "A key is due for rotation",
	  "The current generation of a key registered for this environment "
	  "is older than its max_age (90 days by default): high. Within 14 "
	  "days of it: medium, a warning. The runbook says to rotate at most "
	  "every 90 days. Checked when keysentry run starts and every day, "
	  "and in a replay every day of event time.",
	  "docs/runbooks/key-age.md", SEV_MEDIUM, 0, 0, 0 },
	{ "key-exposed", "A key was written into a log",
	  "A watched log line holds, in plain text, a value whose "
	  "fingerprint is registered (any key, any generation, any "
	  "environment): 64 hex digits, or 32 bytes in base64. Whoever can "
	  "read that log, or anything it is shipped to, has the key. The "
	  "alert shows the line with the value masked.",
	  "docs/runbooks/key-exposed.md", SEV_CRITICAL, 0, 0, 0 },
	{ "alerts-suppressed", "Alerts were held back by the global cap",
	  "More alerts than limits.alerts_per_minute came within one minute "
	  "of event time; the rest of that minute's alerts of that severity "
	  "and below were not written. This summary gives how many, of which "
	  "rules, and when. A higher severity is never held back by a lower "
	  "one's flood: each severity counts the alerts of its own level and "
	  "above. A storm of alerts is itself a sign: read the first ones.",
	  "docs/runbooks/alerts-suppressed.md", SEV_HIGH, 0, 0, 0 },
};

/* A rule as parsed, before compilation: it still points into its YAML. */
struct proto {
	struct rule		 rule;
	const struct ydoc_node	*match, *not, *first, *then, *endpoints;
	const struct ydoc_node	*escalate;	/* its match */
	const struct ydoc_node	*response;	/* a playbook's name */
	struct ydoc		*doc;		/* owner of the nodes */
	int			 ok;
};

struct loader {
	const struct config	*cfg;
	struct ydiag		*diag;		/* everything, across files */
	struct proto		*protos;
	size_t			 nprotos;
	struct ydoc		**docs;
	size_t			 ndocs;
	struct ruleset		*rs;
};

const char *
agg_type_name(enum agg_type t)
{
	switch (t) {
	case AGG_COUNT:
		return "count";
	case AGG_DISTINCT:
		return "distinct";
	case AGG_SEQUENCE:
		return "sequence";
	default:
		return "none";
	}
}

static void
warn(struct ruleset *rs, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
warn(struct ruleset *rs, const char *fmt, ...)
{
	char	buf[512];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	rs->warnings = ks_xreallocarray(rs->warnings, rs->nwarnings + 1,
	    sizeof(*rs->warnings));
	rs->warnings[rs->nwarnings++] = ks_xstrdup(buf);
}

static int
valid_id(const char *s)
{
	size_t i;

	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')) ||
	    strlen(s) > 64)
		return 0;
	for (i = 1; s[i] != '\0'; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return 1;
}

static const struct ev_field_info *
want_field(struct ydiag *d, const struct ydoc_node *n, const char *what)
{
	const struct ev_field_info	*fi;
	const char			*s;

	if ((s = ydoc_str(d, n, what)) == NULL)
		return NULL;
	if ((fi = event_field_lookup(s)) == NULL)
		ydiag_add(d, n, "%s: unknown field \"%s\" (see "
		    "keysentry.rules(5) for the field list)", what, s);
	return fi;
}

/* Checks a selection's shape without compiling it (no endpoint yet). */
static void check_selection_shape(struct ydiag *, const struct ydoc_node *,
    const char *);
static void validate_selections(struct ydiag *, struct proto *);

static void
parse_group_by(struct ydiag *d, struct proto *p, const struct ydoc_node *v)
{
	struct rule			*r = &p->rule;
	const struct ev_field_info	*fi;
	size_t				 i;

	if (ydoc_want(d, v, YDOC_SEQ, "group_by") == -1)
		p->ok = 0;
	else if (v->n > RULE_MAX_GROUP) {
		ydiag_add(d, v, "group_by takes at most %d fields",
		    RULE_MAX_GROUP);
		p->ok = 0;
	} else {
		for (i = 0; i < v->n; i++) {
			fi = want_field(d, v->items[i], "group_by");
			if (fi == NULL) {
				p->ok = 0;
				continue;
			}
			if (fi->id == EVF_ENDPOINT)
				continue;	/* always grouped */
			r->group_by[r->ngroup++] = fi->id;
		}
	}
}

static void
parse_aggregate(struct loader *L, struct ydiag *d, struct proto *p,
    const struct ydoc_node *n)
{
	struct rule		*r = &p->rule;
	const struct ydoc_node	*v;
	const struct ev_field_info *fi;
	const char		*t;
	unsigned long long	 u;
	size_t			 i;

	if (ydoc_want(d, n, YDOC_MAP, "aggregate") == -1) {
		p->ok = 0;
		return;
	}
	if (ydoc_check_keys(d, n, agg_keys, "aggregate") == -1)
		p->ok = 0;
	v = ydoc_get(n, "type");
	t = ydoc_str(d, v ? v : n, "aggregate type");
	if (t == NULL)
		p->ok = 0;
	else if (strcmp(t, "count") == 0)
		r->agg = AGG_COUNT;
	else if (strcmp(t, "distinct") == 0)
		r->agg = AGG_DISTINCT;
	else if (strcmp(t, "sequence") == 0)
		r->agg = AGG_SEQUENCE;
	else {
		ydiag_add(d, v, "aggregate type must be count, distinct or "
		    "sequence");
		p->ok = 0;
		return;
	}
	v = ydoc_get(n, "window");
	if (ydoc_duration(d, v ? v : n, "aggregate window", &r->window) == -1)
		p->ok = 0;
	else if (r->window <= 0) {
		ydiag_add(d, v, "aggregate window must be positive");
		p->ok = 0;
	}
	v = ydoc_get(n, "threshold");
	if (ydoc_uint(d, v ? v : n, "aggregate threshold", 1,
	    L->cfg->limits.max_threshold, &u) == -1)
		p->ok = 0;
	else
		r->threshold = (unsigned int)u;
	v = ydoc_get(n, "field");
	if (r->agg == AGG_DISTINCT) {
		if ((fi = want_field(d, v ? v : n, "distinct field")) == NULL)
			p->ok = 0;
		else
			r->distinct = fi->id;
	} else if (v != NULL) {
		ydiag_add(d, v, "\"field\" is only for aggregate type "
		    "distinct");
		p->ok = 0;
	}
	p->first = ydoc_get(n, "first");
	p->then = ydoc_get(n, "then");
	if (r->agg == AGG_SEQUENCE) {
		const struct ydoc_node *steps[2] = { p->first, p->then };
		const char *names[2] = { "first", "then" };
		for (i = 0; i < 2; i++) {
			if (steps[i] == NULL) {
				ydiag_add(d, n, "a sequence needs \"%s\"",
				    names[i]);
				p->ok = 0;
				continue;
			}
			if (ydoc_want(d, steps[i], YDOC_MAP, names[i]) == -1 ||
			    ydoc_check_keys(d, steps[i], step_keys,
			    names[i]) == -1) {
				p->ok = 0;
				continue;
			}
			check_selection_shape(d, ydoc_get(steps[i], "match"),
			    "match");
			check_selection_shape(d, ydoc_get(steps[i], "not"),
			    "not");
		}
	} else if (p->first != NULL || p->then != NULL) {
		ydiag_add(d, p->first ? p->first : p->then, "\"first\" and "
		    "\"then\" are only for aggregate type sequence");
		p->ok = 0;
	}
}

static void
check_selection_shape(struct ydiag *d, const struct ydoc_node *n,
    const char *what)
{
	size_t i;

	if (n == NULL)
		return;
	if (n->type == YDOC_SEQ && strcmp(what, "not") == 0) {
		for (i = 0; i < n->n; i++)
			ydoc_want(d, n->items[i], YDOC_MAP, "a \"not\" item");
		return;
	}
	if (!ydoc_is_null(n))
		ydoc_want(d, n, YDOC_MAP, what);
}

/* escalate: {match: {...}, severity: critical} */
static void
parse_escalate(struct ydiag *d, struct proto *p, const struct ydoc_node *v)
{
	struct rule		*r = &p->rule;
	const struct ydoc_node	*sv;
	const char		*s;

	if (ydoc_want(d, v, YDOC_MAP, "escalate") == -1 ||
	    ydoc_check_keys(d, v, escalate_keys, "escalate") == -1) {
		p->ok = 0;
		return;
	}
	if (r->agg != AGG_NONE) {
		ydiag_add(d, v, "escalate applies to rules without an aggregate");
		p->ok = 0;
		return;
	}
	sv = ydoc_get(v, "severity");
	if ((s = ydoc_str(d, sv ? sv : v, "escalate severity")) == NULL ||
	    severity_parse(s) < 0) {
		if (s != NULL)
			ydiag_add(d, sv, "severity must be info, low, medium, "
			    "high or critical");
		p->ok = 0;
		return;
	}
	r->escalate_severity = (enum severity)severity_parse(s);
	if (r->escalate_severity <= r->severity) {
		ydiag_add(d, sv, "escalate severity must be above the rule's "
		    "(%s)", severity_name(r->severity));
		p->ok = 0;
	}
	p->escalate = ydoc_get(v, "match");
	if (p->escalate == NULL || ydoc_is_null(p->escalate)) {
		ydiag_add(d, v, "escalate needs a match");
		p->ok = 0;
		return;
	}
	check_selection_shape(d, p->escalate, "escalate match");
	r->escalates = 1;
}

static void
parse_rule(struct loader *L, struct ydiag *d, struct ydoc *doc,
    const struct ydoc_node *n)
{
	struct proto		*p;
	struct rule		*r;
	const struct ydoc_node	*v;
	const char		*s;
	unsigned long long	 u;
	size_t			 i;
	int			 b;

	if (ydoc_want(d, n, YDOC_MAP, "a rule") == -1)
		return;
	L->protos = ks_xreallocarray(L->protos, L->nprotos + 1,
	    sizeof(*L->protos));
	p = &L->protos[L->nprotos++];
	memset(p, 0, sizeof(*p));
	p->doc = doc;
	p->ok = 1;
	r = &p->rule;
	r->file = ks_xstrdup(doc->file);
	r->severity = SEV_MEDIUM;
	r->enabled = 1;
	r->cooldown = DEFAULT_COOLDOWN;
	r->threshold = 1;
	r->version = 1;

	if (ydoc_check_keys(d, n, rule_keys, "rule") == -1)
		p->ok = 0;
	v = ydoc_get(n, "id");
	if ((s = ydoc_str(d, v ? v : n, "rule id")) == NULL) {
		p->ok = 0;
		r->id = ks_xstrdup("");
	} else {
		if (!valid_id(s)) {
			ydiag_add(d, v, "rule id \"%s\" must be lower-case "
			    "letters, digits and '-'", s);
			p->ok = 0;
		}
		for (i = 0; i + 1 < L->nprotos; i++) {
			if (strcmp(L->protos[i].rule.id, s) == 0) {
				ydiag_add(d, v, "rule id \"%s\" is already "
				    "defined in %s", s, L->protos[i].rule.file);
				p->ok = 0;
			}
		}
		r->id = ks_xstrdup(s);
	}
	v = ydoc_get(n, "name");
	s = ydoc_str(d, v ? v : n, "rule name");
	r->name = ks_xstrdup(s ? s : "");
	p->ok &= s != NULL;
	v = ydoc_get(n, "description");
	s = ydoc_str(d, v ? v : n, "rule description");
	r->description = ks_xstrdup(s ? s : "");
	p->ok &= s != NULL;
	v = ydoc_get(n, "severity");
	if ((s = ydoc_str(d, v ? v : n, "rule severity")) == NULL)
		p->ok = 0;
	else if (severity_parse(s) < 0) {
		ydiag_add(d, v, "severity must be info, low, medium, high or "
		    "critical");
		p->ok = 0;
	} else
		r->severity = (enum severity)severity_parse(s);
	if ((v = ydoc_get(n, "version")) != NULL) {
		if (ydoc_uint(d, v, "rule version", 1, 1000000, &u) == -1)
			p->ok = 0;
		else
			r->version = (unsigned int)u;
	}
	if ((v = ydoc_get(n, "runbook")) != NULL) {
		if ((s = ydoc_str(d, v, "runbook")) == NULL)
			p->ok = 0;
		else
			r->runbook = ks_xstrdup(s);
	}
	if ((v = ydoc_get(n, "cooldown")) != NULL &&
	    ydoc_duration(d, v, "cooldown", &r->cooldown) == -1)
		p->ok = 0;
	if ((v = ydoc_get(n, "enabled")) != NULL) {
		if (ydoc_bool(d, v, "enabled", &b) == -1)
			p->ok = 0;
		else
			r->enabled = b;
	}
	if ((v = ydoc_get(n, "tags")) != NULL &&
	    ydoc_want(d, v, YDOC_SEQ, "tags") == -1)
		p->ok = 0;
	if ((v = ydoc_get(n, "response")) != NULL) {
		if (ydoc_str(d, v, "response") == NULL)
			p->ok = 0;
		else
			p->response = v;	/* resolved when all are loaded */
	}
	p->endpoints = ydoc_get(n, "endpoints");
	if (p->endpoints != NULL) {
		v = p->endpoints;
		if (v->type == YDOC_SCALAR) {
			if (strcmp(v->str, "all") != 0 &&
			    strcmp(v->str, "none") != 0) {
				ydiag_add(d, v, "endpoints must be all, none "
				    "or a list of endpoint names");
				p->ok = 0;
			}
		} else if (ydoc_want(d, v, YDOC_SEQ, "endpoints") == -1)
			p->ok = 0;
		else {
			for (i = 0; i < v->n; i++) {
				if ((s = ydoc_str(d, v->items[i],
				    "an endpoint name")) == NULL)
					p->ok = 0;
				else if (config_endpoint(L->cfg, s) == NULL) {
					ydiag_add(d, v->items[i], "no endpoint "
					    "named \"%s\" in %s", s,
					    L->cfg->file);
					p->ok = 0;
				}
			}
		}
	}
	p->match = ydoc_get(n, "match");
	p->not = ydoc_get(n, "not");
	check_selection_shape(d, p->match, "match");
	check_selection_shape(d, p->not, "not");
	if ((v = ydoc_get(n, "group_by")) != NULL)
		parse_group_by(d, p, v);
	if ((v = ydoc_get(n, "aggregate")) != NULL)
		parse_aggregate(L, d, p, v);
	if ((v = ydoc_get(n, "escalate")) != NULL)
		parse_escalate(d, p, v);
	validate_selections(d, p);
}

static int
has_suffix(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
playbook_free(struct playbook *pb)
{
	size_t i;

	for (i = 0; i < pb->nsteps; i++) {
		free(pb->steps[i].name);
		free(pb->steps[i].action);
	}
	free(pb->steps);
	if (pb->doc != NULL)
		json_decref((json_t *)pb->doc);
	free(pb->name);
	free(pb->title);
	free(pb->runbook);
	free(pb->file);
}

static const struct playbook *
find_playbook(const struct ruleset *rs, const char *name)
{
	size_t i;

	for (i = 0; i < rs->nplaybooks; i++)
		if (strcmp(rs->playbooks[i].name, name) == 0)
			return &rs->playbooks[i];
	return NULL;
}

/* playbook: NAME, name: TITLE, runbook: REF, steps: [{name, action}] */
static void
parse_playbook(struct loader *L, struct ydiag *d, struct ydoc *doc,
    const struct ydoc_node *n)
{
	struct ruleset		*rs = L->rs;
	const struct ydoc_node	*v, *st;
	const char		*s, *name, *action;
	struct playbook		 pb;
	size_t			 i, errs = d->total;

	memset(&pb, 0, sizeof(pb));
	ydoc_check_keys(d, n, playbook_keys, "playbook");
	v = ydoc_get(n, "playbook");
	if ((s = ydoc_str(d, v, "playbook")) != NULL) {
		if (!valid_id(s))
			ydiag_add(d, v, "playbook name \"%s\" must be "
			    "lower-case letters, digits and '-'", s);
		else if (find_playbook(rs, s) != NULL)
			ydiag_add(d, v, "playbook \"%s\" is already defined "
			    "in %s", s, find_playbook(rs, s)->file);
		pb.name = ks_xstrdup(s);
	}
	if ((v = ydoc_get(n, "name")) != NULL &&
	    (s = ydoc_str(d, v, "playbook name")) != NULL)
		pb.title = ks_xstrdup(s);
	if ((v = ydoc_get(n, "runbook")) != NULL &&
	    (s = ydoc_str(d, v, "runbook")) != NULL)
		pb.runbook = ks_xstrdup(s);
	v = ydoc_get(n, "steps");
	if (v == NULL)
		ydiag_add(d, n, "a playbook needs steps");
	else if (ydoc_want(d, v, YDOC_SEQ, "steps") == 0) {
		if (v->n == 0)
			ydiag_add(d, v, "a playbook needs steps");
		pb.steps = ks_xcalloc(v->n + 1, sizeof(*pb.steps));
		for (i = 0; i < v->n; i++) {
			st = v->items[i];
			if (ydoc_want(d, st, YDOC_MAP, "a step") == -1)
				continue;
			ydoc_check_keys(d, st, pb_step_keys, "step");
			name = ydoc_str(d, ydoc_get(st, "name") ?
			    ydoc_get(st, "name") : st, "step name");
			action = ydoc_str(d, ydoc_get(st, "action") ?
			    ydoc_get(st, "action") : st, "step action");
			if (name == NULL || action == NULL)
				continue;
			pb.steps[pb.nsteps].name = ks_xstrdup(name);
			pb.steps[pb.nsteps++].action = ks_xstrdup(action);
		}
	}
	if (d->total > errs || pb.name == NULL) {
		playbook_free(&pb);
		return;
	}
	pb.file = ks_xstrdup(doc->file);
	rs->playbooks = ks_xreallocarray(rs->playbooks, rs->nplaybooks + 1,
	    sizeof(*rs->playbooks));
	rs->playbooks[rs->nplaybooks++] = pb;
}

/* A document is a rule, or a playbook. */
static void
parse_doc(struct loader *L, struct ydiag *d, struct ydoc *doc,
    const struct ydoc_node *n)
{
	if (n->type == YDOC_MAP && ydoc_get(n, "playbook") != NULL &&
	    ydoc_get(n, "id") == NULL)
		parse_playbook(L, d, doc, n);
	else
		parse_rule(L, d, doc, n);
}

static void
load_file(struct loader *L, const char *path)
{
	struct ydoc	*doc;
	struct ydiag	 d;
	char		 err[1024];
	size_t		 i;

	if ((doc = ydoc_load_file(path, err, sizeof(err))) == NULL) {
		ydiag_add_text(L->diag, err);
		return;
	}
	L->docs = ks_xreallocarray(L->docs, L->ndocs + 1, sizeof(*L->docs));
	L->docs[L->ndocs++] = doc;
	ydiag_init(&d, doc->file);
	for (i = 0; i < doc->ndocs; i++)
		if (!ydoc_is_null(doc->docs[i]))
			parse_doc(L, &d, doc, doc->docs[i]);
	ydiag_move(L->diag, &d);
}

static void
load_path(struct loader *L, const char *path)
{
	struct stat	  st;
	DIR		 *dir;
	struct dirent	 *de;
	char		**names = NULL, *full;
	size_t		  n = 0, i;
	char		  err[1024];

	if (stat(path, &st) == -1) {
		snprintf(err, sizeof(err), "%s: %s", path, strerror(errno));
		ydiag_add_text(L->diag, err);
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		load_file(L, path);
		return;
	}
	if ((dir = opendir(path)) == NULL) {
		snprintf(err, sizeof(err), "%s: %s", path, strerror(errno));
		ydiag_add_text(L->diag, err);
		return;
	}
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.' || !(has_suffix(de->d_name, ".yml") ||
		    has_suffix(de->d_name, ".yaml")))
			continue;
		names = ks_xreallocarray(names, n + 1, sizeof(*names));
		names[n++] = ks_xstrdup(de->d_name);
	}
	closedir(dir);
	if (n > 1)
		qsort(names, n, sizeof(*names), name_cmp);
	for (i = 0; i < n; i++) {
		full = ks_xmalloc(strlen(path) + strlen(names[i]) + 2);
		sprintf(full, "%s/%s", path, names[i]);
		load_file(L, full);
		free(full);
		free(names[i]);
	}
	free(names);
}

/* ------------------------------------------------------------------ */
/* compilation of selections for one endpoint                          */

enum { EXPAND_OK = 0, EXPAND_EMPTY = 1, EXPAND_ERR = -1 };

struct ccx {
	struct ydiag			*d;
	const struct endpoint_conf	*ep;	/* NULL: endpoints none */
};

static void
cond_free_values(struct cond *c)
{
	size_t i;

	for (i = 0; i < c->nvals; i++) {
		free(c->vals[i].s);
		if (c->vals[i].re != NULL) {
			regfree(c->vals[i].re);
			free(c->vals[i].re);
		}
	}
	free(c->vals);
	c->vals = NULL;
	c->nvals = 0;
}

static void
selection_free(struct selection *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		cond_free_values(&s->conds[i]);
	free(s->conds);
	s->conds = NULL;
	s->n = 0;
}

static int
parse_ll(const char *s, long long *out)
{
	char		*end;
	long long	 v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

/* Compiles one literal value into c->vals[c->nvals]. */
static int
add_value(struct ccx *cx, struct cond *c, const struct ydoc_node *at,
    const char *s)
{
	struct cond_value	*v;
	size_t			 i;
	int			 rc;

	c->vals = ks_xreallocarray(c->vals, c->nvals + 1, sizeof(*c->vals));
	v = &c->vals[c->nvals];
	memset(v, 0, sizeof(*v));
	switch (c->op) {
	case OP_CIDR:
		if (cidr_parse(s, strlen(s), &v->cidr) == -1) {
			ydiag_add(cx->d, at, "\"%s\" is not an address or CIDR "
			    "prefix", s);
			return -1;
		}
		break;
	case OP_GT: case OP_GTE: case OP_LT: case OP_LTE:
		if (parse_ll(s, &v->num) == -1) {
			ydiag_add(cx->d, at, "\"%s\" is not a whole number", s);
			return -1;
		}
		break;
	case OP_RE:
		v->re = ks_xmalloc(sizeof(*v->re));
		rc = regcomp(v->re, s, REG_EXTENDED | REG_NOSUB |
		    (c->cased ? 0 : REG_ICASE));
		if (rc != 0) {
			char msg[128];
			regerror(rc, v->re, msg, sizeof(msg));
			free(v->re);
			v->re = NULL;
			ydiag_add(cx->d, at, "bad regular expression: %s", msg);
			return -1;
		}
		break;
	default:
		if (c->ftype == EVT_INT) {
			if (parse_ll(s, &v->num) == -1) {
				ydiag_add(cx->d, at, "\"%s\" is not a whole "
				    "number", s);
				return -1;
			}
		} else if (c->ftype == EVT_ADDR) {
			if (addr_parse(s, strlen(s), &v->addr) == -1) {
				ydiag_add(cx->d, at, "\"%s\" is not an IP "
				    "address (for a prefix, use |cidr)", s);
				return -1;
			}
		}
		break;
	}
	v->s = ks_xstrdup(s);
	v->len = strlen(s);
	if (!c->cased && c->op != OP_RE)
		for (i = 0; i < v->len; i++)
			if (v->s[i] >= 'A' && v->s[i] <= 'Z')
				v->s[i] = (char)(v->s[i] + 32);
	c->nvals++;
	return 0;
}

/* Adds a value that may be a %endpoint.*% placeholder. */
static int
add_scalar(struct ccx *cx, struct cond *c, const struct ydoc_node *n)
{
	const char	*s;
	char		 buf[ADDR_STRLEN + 8];
	size_t		 i;

	if (n->type != YDOC_SCALAR || ydoc_is_null(n)) {
		ydiag_add(cx->d, n, "a match value must be a non-empty scalar");
		return EXPAND_ERR;
	}
	s = n->str;
	if (s[0] != '%' || s[n->len - 1] != '%' || n->len < 3)
		return add_value(cx, c, n, s) == 0 ? EXPAND_OK : EXPAND_ERR;
	if (strncmp(s, "%endpoint.", 10) != 0) {
		/* a literal that happens to look like a placeholder */
		return add_value(cx, c, n, s) == 0 ? EXPAND_OK : EXPAND_ERR;
	}
	if (cx->ep == NULL) {
		ydiag_add(cx->d, n, "%s needs an endpoint, but the rule has "
		    "\"endpoints: none\"", s);
		return EXPAND_ERR;
	}
	if (strcmp(s, "%endpoint.allowed_sources%") == 0) {
		if (c->ftype != EVT_ADDR || c->op != OP_CIDR) {
			ydiag_add(cx->d, n, "%%endpoint.allowed_sources%% "
			    "needs an address field with |cidr");
			return EXPAND_ERR;
		}
		if (c->all) {
			ydiag_add(cx->d, n, "%%endpoint.allowed_sources%% "
			    "cannot be used with |all");
			return EXPAND_ERR;
		}
		if (cx->ep->nallowed == 0 && cx->ep->nnames == 0)
			return EXPAND_EMPTY;
		/* names: what they resolve to now, read at match time */
		if (cx->ep->nnames > 0)
			c->dyn = &cx->ep->resolved;
		for (i = 0; i < cx->ep->nallowed; i++) {
			cidr_format(&cx->ep->allowed[i], buf, sizeof(buf));
			if (add_value(cx, c, n, buf) == -1)
				return EXPAND_ERR;
		}
		return EXPAND_OK;
	}
	if (strcmp(s, "%endpoint.method%") == 0) {
		if (cx->ep->method == NULL)
			return EXPAND_EMPTY;
		return add_value(cx, c, n, cx->ep->method) == 0 ? EXPAND_OK :
		    EXPAND_ERR;
	}
	if (strcmp(s, "%endpoint.path%") == 0)
		return add_value(cx, c, n, cx->ep->path) == 0 ? EXPAND_OK :
		    EXPAND_ERR;
	if (strcmp(s, "%endpoint.name%") == 0)
		return add_value(cx, c, n, cx->ep->name) == 0 ? EXPAND_OK :
		    EXPAND_ERR;
	ydiag_add(cx->d, n, "unknown placeholder %s (expected "
	    "%%endpoint.allowed_sources%%, %%endpoint.method%%, "
	    "%%endpoint.path%% or %%endpoint.name%%)", s);
	return EXPAND_ERR;
}

static const struct {
	const char	*name;
	enum cond_op	 op;
	unsigned int	 types;		/* bit per enum ev_ftype */
} modifiers[] = {
	{ "contains",	OP_CONTAINS,	1u << EVT_STRING },
	{ "startswith",	OP_STARTSWITH,	1u << EVT_STRING },
	{ "endswith",	OP_ENDSWITH,	1u << EVT_STRING },
	{ "re",		OP_RE,		1u << EVT_STRING },
	{ "cidr",	OP_CIDR,	1u << EVT_ADDR },
	{ "gt",		OP_GT,		1u << EVT_INT },
	{ "gte",	OP_GTE,		1u << EVT_INT },
	{ "lt",		OP_LT,		1u << EVT_INT },
	{ "lte",	OP_LTE,		1u << EVT_INT },
	{ "exists",	OP_EXISTS,	7 },
};

/*
 * Compiles "field|mod|mod: value(s)".  Returns EXPAND_OK, EXPAND_EMPTY
 * (a placeholder had nothing to offer: the condition can never hold with
 * this endpoint, or, for %endpoint.method% of an any-method endpoint,
 * always holds; *drop says which) or EXPAND_ERR.
 */
static int
compile_cond(struct ccx *cx, const struct ydoc_node *k,
    const struct ydoc_node *v, struct cond *c, int *always)
{
	char				 key[256], *mod, *save = NULL;
	const struct ev_field_info	*fi;
	size_t				 i;
	int				 rc, opset = 0, any_empty = 0;

	memset(c, 0, sizeof(*c));
	*always = 0;
	if (k->type != YDOC_SCALAR || k->len >= sizeof(key)) {
		ydiag_add(cx->d, k, "a match key must be \"field\" or "
		    "\"field|modifier\"");
		return EXPAND_ERR;
	}
	memcpy(key, k->str, k->len + 1);
	mod = strtok_r(key, "|", &save);
	if (mod == NULL || (fi = event_field_lookup(mod)) == NULL) {
		ydiag_add(cx->d, k, "unknown field \"%s\" (see "
		    "keysentry.rules(5) for the field list)", mod ? mod : "");
		return EXPAND_ERR;
	}
	c->field = fi->id;
	c->ftype = fi->type;
	c->op = OP_EQ;
	while ((mod = strtok_r(NULL, "|", &save)) != NULL) {
		if (strcmp(mod, "all") == 0) {
			c->all = 1;
			continue;
		}
		if (strcmp(mod, "cased") == 0) {
			c->cased = 1;
			continue;
		}
		if (strcmp(mod, "i") == 0) {	/* re|i */
			c->cased = 0;
			continue;
		}
		if (strcmp(mod, "expand") == 0)
			continue;		/* placeholders always expand */
		for (i = 0; i < KS_ARRAY_LEN(modifiers); i++)
			if (strcmp(modifiers[i].name, mod) == 0)
				break;
		if (i == KS_ARRAY_LEN(modifiers)) {
			ydiag_add(cx->d, k, "unknown modifier \"|%s\"", mod);
			return EXPAND_ERR;
		}
		if (opset) {
			ydiag_add(cx->d, k, "only one of contains, "
			    "startswith, endswith, re, cidr, gt, gte, lt, "
			    "lte, exists per condition");
			return EXPAND_ERR;
		}
		if (!(modifiers[i].types & (1u << fi->type))) {
			ydiag_add(cx->d, k, "|%s does not apply to %s", mod,
			    fi->name);
			return EXPAND_ERR;
		}
		c->op = modifiers[i].op;
		opset = 1;
		if (c->op == OP_RE && !strstr(k->str, "|i"))
			c->cased = 1;		/* Sigma: re is case-sensitive */
	}
	if (c->op == OP_EXISTS) {
		if (ydoc_bool(cx->d, v, "|exists", &c->exists) == -1)
			return EXPAND_ERR;
		return EXPAND_OK;
	}
	if (v->type == YDOC_SEQ) {
		if (v->n == 0) {
			ydiag_add(cx->d, v, "an empty list matches nothing");
			return EXPAND_ERR;
		}
		for (i = 0; i < v->n; i++) {
			rc = add_scalar(cx, c, v->items[i]);
			if (rc == EXPAND_ERR)
				return EXPAND_ERR;
			if (rc == EXPAND_EMPTY)
				any_empty = 1;
		}
	} else {
		rc = add_scalar(cx, c, v);
		if (rc == EXPAND_ERR)
			return EXPAND_ERR;
		if (rc == EXPAND_EMPTY)
			any_empty = 1;
	}
	if (any_empty && c->nvals == 0) {
		/* %endpoint.method% of an endpoint that takes any method */
		if (c->field == EVF_METHOD)
			*always = 1;
		return EXPAND_EMPTY;
	}
	return EXPAND_OK;
}

/*
 * Compiles a mapping into a selection.  Returns EXPAND_EMPTY if it can
 * never hold with this endpoint.
 */
static int
compile_selection(struct ccx *cx, const struct ydoc_node *map,
    struct selection *sel)
{
	size_t	i;
	int	rc, always, result = EXPAND_OK;

	memset(sel, 0, sizeof(*sel));
	if (map == NULL || ydoc_is_null(map))
		return EXPAND_OK;
	if (map->type != YDOC_MAP)
		return EXPAND_ERR;		/* shape already reported */
	sel->conds = ks_xcalloc(map->n, sizeof(*sel->conds));
	for (i = 0; i < map->n; i++) {
		struct cond *c = &sel->conds[sel->n];
		rc = compile_cond(cx, map->items[2 * i], map->items[2 * i + 1],
		    c, &always);
		if (rc == EXPAND_ERR) {
			cond_free_values(c);
			result = EXPAND_ERR;
			continue;
		}
		if (rc == EXPAND_EMPTY) {
			cond_free_values(c);
			if (!always && result == EXPAND_OK)
				result = EXPAND_EMPTY;
			continue;
		}
		sel->n++;
	}
	return result;
}

/*
 * Checks every selection of a rule once, as parsed, so that a rule with
 * several mistakes reports them all in one run of "keysentry check".
 * Placeholders expand against a stand-in endpoint that has every value.
 */
static void
validate_selections(struct ydiag *d, struct proto *p)
{
	struct ks_cidr		 any;
	struct endpoint_conf	 stand_in = { "endpoint", "POST", "/", NULL,
				    &any, 1, NULL, 0, { NULL, 0 } };
	struct ccx		 cx = { d, &stand_in };
	const struct ydoc_node	*sels[5], *n;
	struct selection	 sel;
	size_t			 i, j, before = d->total;

	if (p->endpoints != NULL && p->endpoints->type == YDOC_SCALAR &&
	    strcmp(p->endpoints->str, "none") == 0)
		cx.ep = NULL;
	cidr_parse("0.0.0.0/0", 9, &any);
	sels[0] = p->match;
	sels[1] = p->not;
	sels[2] = p->first ? ydoc_get(p->first, "match") : NULL;
	sels[3] = p->then ? ydoc_get(p->then, "match") : NULL;
	sels[4] = p->escalate;
	for (i = 0; i < 5; i++) {
		if ((n = sels[i]) == NULL || ydoc_is_null(n))
			continue;
		if (n->type == YDOC_SEQ) {
			for (j = 0; j < n->n; j++) {
				compile_selection(&cx, n->items[j], &sel);
				selection_free(&sel);
			}
		} else {
			compile_selection(&cx, n, &sel);
			selection_free(&sel);
		}
	}
	if (d->total > before)
		p->ok = 0;
}

static void
inst_free(struct rule_inst *in)
{
	size_t i;

	selection_free(&in->match);
	for (i = 0; i < in->nnots; i++)
		selection_free(&in->nots[i]);
	free(in->nots);
	selection_free(&in->first);
	selection_free(&in->then);
	selection_free(&in->escalate);
}

/*
 * Compiles a rule for one endpoint (ep == NULL: every event).  Returns
 * 0 (added), 1 (not applicable to this endpoint) or -1 (errors).
 */
static int
compile_inst(struct loader *L, struct ydiag *d, struct proto *p,
    const struct rule *rule, const struct endpoint_conf *ep, int epidx)
{
	struct ccx		 cx = { d, ep };
	struct rule_inst	 in;
	struct selection	 s;
	const struct ydoc_node	*nots = p->not;
	size_t			 i, count;
	int			 rc, bad = 0, empty = 0;

	memset(&in, 0, sizeof(in));
	in.rule = rule;
	in.endpoint = epidx;
	rc = compile_selection(&cx, p->match, &in.match);
	bad |= rc == EXPAND_ERR;
	empty |= rc == EXPAND_EMPTY;
	if (nots != NULL && !ydoc_is_null(nots)) {
		count = nots->type == YDOC_SEQ ? nots->n : 1;
		in.nots = ks_xcalloc(count, sizeof(*in.nots));
		for (i = 0; i < count; i++) {
			rc = compile_selection(&cx, nots->type == YDOC_SEQ ?
			    nots->items[i] : nots, &s);
			bad |= rc == EXPAND_ERR;
			if (rc == EXPAND_OK)
				in.nots[in.nnots++] = s;
			else
				selection_free(&s);
			/*
			 * An empty "not" (e.g. no allowed_sources) cannot
			 * veto anything, so the rule would fire on every
			 * call: treat it as not applicable and warn.
			 */
			empty |= rc == EXPAND_EMPTY;
		}
	}
	if (rule->agg == AGG_SEQUENCE) {
		rc = compile_selection(&cx, ydoc_get(p->first, "match"),
		    &in.first);
		bad |= rc == EXPAND_ERR;
		empty |= rc == EXPAND_EMPTY;
		rc = compile_selection(&cx, ydoc_get(p->then, "match"),
		    &in.then);
		bad |= rc == EXPAND_ERR;
		empty |= rc == EXPAND_EMPTY;
		if (ydoc_get(p->first, "not") != NULL ||
		    ydoc_get(p->then, "not") != NULL) {
			ydiag_add(d, ydoc_get(p->first, "not") ?
			    ydoc_get(p->first, "not") : ydoc_get(p->then,
			    "not"), "\"not\" inside a sequence step is not "
			    "supported; put it at the rule's top level");
			bad = 1;
		}
	}
	if (rule->escalates) {
		rc = compile_selection(&cx, p->escalate, &in.escalate);
		bad |= rc == EXPAND_ERR;
		empty |= rc == EXPAND_EMPTY;
	}
	if (bad || empty) {
		inst_free(&in);
		if (!bad && ep != NULL)
			warn(L->rs, "rule %s does not apply to endpoint %s: a "
			    "placeholder it uses is empty there (for "
			    "example, no allowed_sources)", rule->id,
			    ep->name);
		return bad ? -1 : 1;
	}
	L->rs->insts = ks_xreallocarray(L->rs->insts, L->rs->ninsts + 1,
	    sizeof(*L->rs->insts));
	in.index = L->rs->ninsts;
	L->rs->insts[L->rs->ninsts++] = in;
	return 0;
}

static void
apply_override(struct loader *L, struct rule *r)
{
	const struct rule_override	*o;
	char				 msg[512];

	if ((o = config_override(L->cfg, r->id)) == NULL)
		return;
	if (o->enabled >= 0)
		r->enabled = o->enabled;
	if (o->severity >= 0)
		r->severity = (enum severity)o->severity;
	if (o->cooldown >= 0)
		r->cooldown = o->cooldown;
	if (o->window < 0 && o->threshold < 0)
		return;
	if (r->agg == AGG_NONE) {
		snprintf(msg, sizeof(msg), "%s: rule_overrides: rule %s has no "
		    "aggregate, so window and threshold do not apply",
		    L->cfg->file, r->id);
		ydiag_add_text(L->diag, msg);
		return;
	}
	if (o->window > 0)
		r->window = o->window;
	if (o->threshold > 0)
		r->threshold = (unsigned int)o->threshold;
}

/* Does every event the selection matches present a key? */
static int
needs_key(const struct selection *sel)
{
	size_t i;

	for (i = 0; i < sel->n; i++) {
		const struct cond *c = &sel->conds[i];
		if ((c->field == EVF_KEY_FP || c->field == EVF_KEY_STATE ||
		    c->field == EVF_KEY_NAME || c->field == EVF_ROTATION) &&
		    (c->op != OP_EXISTS ||
		    c->exists))
			return 1;
	}
	return 0;
}

static void
compute_fastpath(struct ruleset *rs, const struct config *cfg)
{
	size_t		 e, i;
	const char	*path, *last;

	/*
	 * A rule for every event (endpoints: none) could match any line,
	 * unless it needs a presented key: log lines carry none (only the
	 * wire's events do, and they do not pass through the fast path).
	 */
	rs->fastpath = 1;
	for (i = 0; i < rs->nany; i++)
		if (!needs_key(&rs->insts[rs->any[i]].match))
			rs->fastpath = 0;
	for (e = 0; e < rs->nendpoints; e++) {
		if (rs->nby_ep[e] == 0)
			continue;
		path = cfg->endpoints[e].path;
		last = strrchr(path, '/');
		if (last == NULL || last[1] == '\0') {
			/* "/" or a trailing slash: no selective literal */
			rs->fastpath = 0;
			continue;
		}
		rs->needles = ks_xreallocarray(rs->needles, rs->nneedles + 1,
		    sizeof(*rs->needles));
		rs->needles[rs->nneedles++] = ks_xstrdup(last);
	}
}

static struct ruleset *
finish(struct loader *L)
{
	const struct config	*cfg = L->cfg;
	struct ruleset		*rs = L->rs;
	struct ydiag		 d;
	size_t			 i, j, e, before;
	const struct ydoc_node	*eps;

	/* overrides must name a loaded or built-in rule */
	for (i = 0; i < cfg->noverrides; i++) {
		for (j = 0; j < L->nprotos; j++)
			if (strcmp(L->protos[j].rule.id, cfg->overrides[i].id)
			    == 0)
				break;
		for (e = 0; e < KS_ARRAY_LEN(builtins); e++)
			if (strcmp(builtins[e].id, cfg->overrides[i].id) == 0)
				j = SIZE_MAX;
		if (j == L->nprotos) {
			char msg[512];
			snprintf(msg, sizeof(msg), "%s: rule_overrides: no "
			    "rule with id \"%s\" was loaded", cfg->file,
			    cfg->overrides[i].id);
			ydiag_add_text(L->diag, msg);
		}
	}
	/* an output's rules must name rules (patterns may match none yet) */
	for (i = 0; i < cfg->noutputs; i++) {
		const struct output_conf *o = &cfg->outputs[i];
		size_t k;
		for (k = 0; k < o->nrules; k++) {
			if (strpbrk(o->rules[k], "*?[") != NULL)
				continue;
			for (j = 0; j < L->nprotos; j++)
				if (strcmp(L->protos[j].rule.id, o->rules[k]) ==
				    0)
					break;
			for (e = 0; e < KS_ARRAY_LEN(builtins); e++)
				if (strcmp(builtins[e].id, o->rules[k]) == 0)
					j = SIZE_MAX;
			if (j == L->nprotos) {
				char msg[512];
				snprintf(msg, sizeof(msg), "%s: outputs: %s: no "
				    "rule with id \"%s\" was loaded",
				    cfg->file, o->path ? o->path : o->type,
				    o->rules[k]);
				ydiag_add_text(L->diag, msg);
			}
		}
	}
	/* full size now, so instances may point into it */
	rs->rules = ks_xcalloc(L->nprotos + KS_ARRAY_LEN(builtins),
	    sizeof(*rs->rules));
	for (i = 0; i < L->nprotos; i++) {
		struct proto	*p = &L->protos[i];
		struct rule	*r = &rs->rules[rs->nrules];

		if (!p->ok)
			continue;
		*r = p->rule;
		memset(&p->rule, 0, sizeof(p->rule));	/* moved */
		rs->nrules++;
		apply_override(L, r);
		ydiag_init(&d, p->doc->file);
		if (p->response != NULL && (r->response = find_playbook(rs,
		    p->response->str)) == NULL)
			ydiag_add(&d, p->response, "no playbook named \"%s\" "
			    "was loaded", p->response->str);
		before = rs->ninsts;
		eps = p->endpoints;
		if (eps != NULL && eps->type == YDOC_SCALAR &&
		    strcmp(eps->str, "none") == 0)
			compile_inst(L, &d, p, r, NULL, -1);
		else if (eps == NULL || eps->type == YDOC_SCALAR) {
			for (e = 0; e < cfg->nendpoints; e++)
				compile_inst(L, &d, p, r, &cfg->endpoints[e],
				    (int)e);
		} else {
			for (j = 0; j < eps->n; j++) {
				const struct endpoint_conf *ep =
				    config_endpoint(cfg, eps->items[j]->str);
				compile_inst(L, &d, p, r, ep,
				    (int)(ep - cfg->endpoints));
			}
		}
		if (!r->enabled) {
			/* compiled all the same, so that check sees errors */
			for (j = before; j < rs->ninsts; j++)
				inst_free(&rs->insts[j]);
			rs->ninsts = before;
		} else if (rs->ninsts == before && d.total == 0)
			warn(rs, "rule %s applies to no endpoint", r->id);
		ydiag_move(L->diag, &d);
	}
	for (i = 0; i < KS_ARRAY_LEN(builtins); i++) {
		struct rule *r = &rs->rules[rs->nrules++];
		memset(r, 0, sizeof(*r));
		r->id = ks_xstrdup(builtins[i].id);
		r->name = ks_xstrdup(builtins[i].name);
		r->description = ks_xstrdup(builtins[i].description);
		r->runbook = ks_xstrdup(builtins[i].runbook);
		r->file = ks_xstrdup("(built in)");
		r->version = 1;
		r->severity = builtins[i].severity;
		r->enabled = 1;
		r->threshold = 1;
		r->builtin = 1;
		if (strcmp(r->id, "key-exposed") == 0)
			r->cooldown = 600 * KS_NSEC_PER_SEC;
		if (strncmp(r->id, "key-", 4) == 0)	/* key-age, key-exposed */
			r->response = find_playbook(rs, "leak-response");
		if (strcmp(r->id, "key-age") == 0) {
			/* past max_age: the warning's severity raised */
			r->escalates = 1;
			r->escalate_severity = SEV_HIGH;
		}
		if (builtins[i].window > 0) {
			r->agg = AGG_COUNT;
			r->window = builtins[i].window;
			r->cooldown = builtins[i].cooldown;
			r->threshold = builtins[i].threshold;
		}
		apply_override(L, r);
	}
	rs->nendpoints = cfg->nendpoints;
	rs->by_ep = ks_xcalloc(cfg->nendpoints + 1, sizeof(*rs->by_ep));
	rs->nby_ep = ks_xcalloc(cfg->nendpoints + 1, sizeof(*rs->nby_ep));
	for (j = 0; j < rs->ninsts; j++) {
		int ep = rs->insts[j].endpoint;
		size_t **list = ep < 0 ? &rs->any : &rs->by_ep[ep];
		size_t *n = ep < 0 ? &rs->nany : &rs->nby_ep[ep];
		*list = ks_xreallocarray(*list, *n + 1, sizeof(**list));
		(*list)[(*n)++] = j;
	}
	compute_fastpath(rs, cfg);
	for (e = 0; e < cfg->nendpoints; e++)
		for (j = 0; j < e; j++)
			if (strcmp(cfg->endpoints[e].path,
			    cfg->endpoints[j].path) == 0)
				warn(rs, "endpoints %s and %s have the same "
				    "path; calls count for %s only",
				    cfg->endpoints[j].name,
				    cfg->endpoints[e].name,
				    cfg->endpoints[j].name);
	return rs;
}

static void
rule_free(struct rule *r)
{
	free(r->id);
	free(r->name);
	free(r->description);
	free(r->runbook);
	free(r->file);
}

static struct ruleset *
loader_done(struct loader *L)
{
	struct ruleset	*rs = NULL;
	size_t		 i;

	if (L->diag->total == 0)
		rs = finish(L);
	for (i = 0; i < L->nprotos; i++)
		rule_free(&L->protos[i].rule);
	free(L->protos);
	for (i = 0; i < L->ndocs; i++)
		ydoc_free(L->docs[i]);
	free(L->docs);
	if (L->diag->total > 0) {
		ruleset_free(rs != NULL ? rs : L->rs);
		return NULL;
	}
	return rs;
}

struct ruleset *
ruleset_load(const struct config *cfg, struct ydiag *diag)
{
	struct loader	L;
	size_t		i;

	memset(&L, 0, sizeof(L));
	L.cfg = cfg;
	L.diag = diag;
	L.rs = ks_xcalloc(1, sizeof(*L.rs));
	for (i = 0; i < cfg->nrules; i++)
		load_path(&L, cfg->rules[i]);
	return loader_done(&L);
}

struct ruleset *
ruleset_load_buffer(const struct config *cfg, const char *name,
    const char *buf, size_t len, struct ydiag *diag)
{
	struct loader	 L;
	struct ydoc	*doc;
	struct ydiag	 d;
	char		 err[1024];
	size_t		 i;

	memset(&L, 0, sizeof(L));
	L.cfg = cfg;
	L.diag = diag;
	L.rs = ks_xcalloc(1, sizeof(*L.rs));
	if ((doc = ydoc_load_buffer(name, buf, len, err, sizeof(err))) ==
	    NULL)
		ydiag_add_text(diag, err);
	else {
		L.docs = ks_xcalloc(1, sizeof(*L.docs));
		L.docs[L.ndocs++] = doc;
		ydiag_init(&d, doc->file);
		for (i = 0; i < doc->ndocs; i++)
			if (!ydoc_is_null(doc->docs[i]))
				parse_doc(&L, &d, doc, doc->docs[i]);
		ydiag_move(diag, &d);
	}
	return loader_done(&L);
}

void
ruleset_free(struct ruleset *rs)
{
	size_t i;

	if (rs == NULL)
		return;
	for (i = 0; i < rs->ninsts; i++)
		inst_free(&rs->insts[i]);
	free(rs->insts);
	for (i = 0; i < rs->nrules; i++)
		rule_free(&rs->rules[i]);
	free(rs->rules);
	if (rs->by_ep != NULL)
		for (i = 0; i <= rs->nendpoints; i++)
			free(rs->by_ep[i]);
	free(rs->by_ep);
	free(rs->nby_ep);
	free(rs->any);
	for (i = 0; i < rs->nneedles; i++)
		free(rs->needles[i]);
	free(rs->needles);
	for (i = 0; i < rs->nwarnings; i++)
		free(rs->warnings[i]);
	free(rs->warnings);
	for (i = 0; i < rs->nplaybooks; i++)
		playbook_free(&rs->playbooks[i]);
	free(rs->playbooks);
	free(rs);
}

size_t
ruleset_nfile_rules(const struct ruleset *rs)
{
	size_t i, n = 0;

	for (i = 0; i < rs->nrules; i++)
		n += !rs->rules[i].builtin;
	return n;
}

const struct rule *
ruleset_rule(const struct ruleset *rs, const char *id)
{
	size_t i;

	for (i = 0; i < rs->nrules; i++)
		if (strcmp(rs->rules[i].id, id) == 0)
			return &rs->rules[i];
	return NULL;
}

/* ------------------------------------------------------------------ */
/* matching                                                            */

static int
memcmp_eq(const void *a, const void *b, size_t n)
{
	return memcmp(a, b, n) == 0;
}

/* n bytes of a equal the lower-case pattern b, ignoring ASCII case */
static int
eq_fold(const void *a, const void *b, size_t n)
{
	const char	*s = a, *p = b;
	size_t		 i;

	for (i = 0; i < n; i++) {
		char c = s[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c + 32);
		if (c != p[i])
			return 0;
	}
	return 1;
}

static int
match_string(const struct cond *c, const struct cond_value *v, const char *s,
    size_t len)
{
	/* case-insensitive values are stored lower case; s is as sent */
	int (*eq)(const void *, const void *, size_t) = c->cased ? memcmp_eq :
	    eq_fold;
	switch (c->op) {
	case OP_EQ:
		return len == v->len && eq(s, v->s, len);
	case OP_STARTSWITH:
		return len >= v->len && eq(s, v->s, v->len);
	case OP_ENDSWITH:
		return len >= v->len && eq(s + len - v->len, v->s, v->len);
	case OP_CONTAINS:
		return ks_memmem(s, len, v->s, v->len) != NULL;
	case OP_RE:
		return regexec(v->re, s, 0, NULL, 0) == 0;
	default:
		return 0;
	}
}

static int
match_int(const struct cond *c, const struct cond_value *v, long long x)
{
	switch (c->op) {
	case OP_EQ:
		return x == v->num;
	case OP_GT:
		return x > v->num;
	case OP_GTE:
		return x >= v->num;
	case OP_LT:
		return x < v->num;
	case OP_LTE:
		return x <= v->num;
	default:
		return 0;
	}
}

void
field_value(const struct event *ev, enum ev_field f, const struct config *cfg,
    struct field_value *v)
{
	v->present = 0;
	v->s = NULL;
	v->num = 0;
	v->addr = &ev->src;
	switch (f) {
	case EVF_SOURCE_IP:
		v->present = (ev->flags & EV_HAS_SRC) != 0;
		return;
	case EVF_SOURCE_PORT:
		v->present = (ev->flags & EV_HAS_PORT) != 0;
		v->num = ev->src_port;
		return;
	case EVF_STATUS:
		v->present = (ev->flags & EV_HAS_STATUS) != 0;
		v->num = ev->status;
		return;
	case EVF_METHOD:
		v->s = ev->method;
		break;
	case EVF_PATH:
		v->s = ev->path;
		break;
	case EVF_USER_AGENT:
		v->s = ev->user_agent;
		break;
	case EVF_ENDPOINT:
		v->s = ev->endpoint >= 0 && (size_t)ev->endpoint <
		    cfg->nendpoints ? cfg->endpoints[ev->endpoint].name : "";
		break;
	case EVF_KEY_FP:
		v->s = ev->key_fp;
		break;
	case EVF_KEY_STATE:
		v->s = event_key_state_name(ev->key_state);
		break;
	case EVF_KEY_NAME:
		v->s = ev->key_index >= 0 && (size_t)ev->key_index <
		    cfg->nkeys ? cfg->keys[ev->key_index].name : "";
		break;
	case EVF_ROTATION:
		v->s = ev->rotation == EROT_GRACE ? "grace" :
		    ev->rotation == EROT_LATE ? "late" : "";
		break;
	default:
		return;
	}
	v->present = v->s[0] != '\0';
}

static int
cond_match(const struct cond *c, const struct event *ev,
    const struct config *cfg)
{
	struct field_value	 fv;
	const char		*s;
	char			 lower[EV_PATH_MAX];
	int			 r;
	size_t			 i, len = 0;

	field_value(ev, c->field, cfg, &fv);
	if (c->op == OP_EXISTS)
		return fv.present == c->exists;
	if (!fv.present)
		return 0;
	s = fv.s;
	if (s != NULL)
		len = strlen(s);
	/* only |contains needs a lower-case copy; the rest compare in place */
	if (s != NULL && !c->cased && c->op == OP_CONTAINS) {
		for (i = 0; i < len && i < sizeof(lower) - 1; i++)
			lower[i] = (s[i] >= 'A' && s[i] <= 'Z') ?
			    (char)(s[i] + 32) : s[i];
		lower[i] = '\0';
		s = lower;
		len = i;
	}
	for (i = 0; i < c->nvals; i++) {
		const struct cond_value *v = &c->vals[i];
		if (c->ftype == EVT_STRING)
			r = match_string(c, v, s, len);
		else if (c->ftype == EVT_INT)
			r = match_int(c, v, fv.num);
		else if (c->op == OP_CIDR)
			r = cidr_contains(&v->cidr, fv.addr);
		else
			r = addr_equal(&v->addr, fv.addr);
		if (c->all && !r)
			return 0;
		if (!c->all && r)
			return 1;
	}
	if (c->dyn != NULL && fv.addr != NULL)
		return addrset_contains(c->dyn, fv.addr);
	return c->all;
}

int
selection_match(const struct selection *sel, const struct event *ev,
    const struct config *cfg)
{
	size_t i;

	for (i = 0; i < sel->n; i++)
		if (!cond_match(&sel->conds[i], ev, cfg))
			return 0;
	return 1;
}

int
inst_match(const struct rule_inst *in, const struct event *ev,
    const struct config *cfg)
{
	size_t i;

	if (!selection_match(&in->match, ev, cfg))
		return 0;
	for (i = 0; i < in->nnots; i++)
		if (selection_match(&in->nots[i], ev, cfg))
			return 0;
	return 1;
}

/*
 * Does the line contain the needle?  Needles start with '/', a byte that
 * a log line holds only a few times, so memchr() to each '/' and compare
 * beats a general substring search here.
 */
static int
find_needle(const char *line, size_t len, const char *needle)
{
	const char	*p = line, *end = line + len;
	size_t		 n = strlen(needle);

	while ((size_t)(end - p) >= n &&
	    (p = memchr(p, needle[0], (size_t)(end - p) - n + 1)) != NULL) {
		if (memcmp(p + 1, needle + 1, n - 1) == 0)
			return 1;
		p++;
	}
	return 0;
}

int
ruleset_line_relevant(const struct ruleset *rs, const char *line, size_t len)
{
	size_t i;

	if (!rs->fastpath)
		return 1;
	for (i = 0; i < rs->nneedles; i++)
		if (find_needle(line, len, rs->needles[i]))
			return 1;
	/* escapes could hide a needle: such a line is decoded to be sure */
	return memchr(line, '\\', len) != NULL || memchr(line, '%', len) !=
	    NULL;
}
