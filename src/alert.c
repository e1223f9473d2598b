/*
 * The alert document (see alert.h).  Strings that came from a log line
 * pass through ks_utf8_sanitize() because jansson accepts only valid
 * UTF-8 and a hostile line may hold anything.
 */
#include "autoconfig.h"

#include <string.h>

#include "alert.h"
#include "kstime.h"
#include "util.h"

void
evidence_from_event(struct evidence *e, const struct event *ev)
{
	memset(e, 0, sizeof(*e));
	e->ts = ev->ts;
	e->line = ev->line;
	e->input = ev->input;
	e->status = ev->status;
	e->flags = ev->flags;
	e->port = ev->src_port;
	e->src = ev->src;
	ks_strlcpy(e->method, ev->method, sizeof(e->method));
	ks_strlcpy(e->path, ev->path, sizeof(e->path));
	memcpy(e->key_fp, ev->key_fp, sizeof(e->key_fp));
	e->key_state = ev->key_state;
	e->key_index = ev->key_index;
	e->rotation = ev->rotation;
}


static json_t *
jstr(const char *s)
{
	char buf[1024];

	ks_utf8_sanitize(s, strlen(s), buf, sizeof(buf));
	return json_string(buf);
}

static json_t *
jtime(int64_t ns)
{
	char buf[KSTIME_STRLEN];

	kstime_format(ns, buf, sizeof(buf));
	return json_string(buf);
}

/* obj[a][b]... = v, creating the intermediate objects. */
static void
jset(json_t *obj, const char *path, json_t *v)
{
	char		 key[64];
	const char	*dot;
	json_t		*sub;

	while ((dot = strchr(path, '.')) != NULL) {
		size_t len = (size_t)(dot - path);
		if (len >= sizeof(key))
			len = sizeof(key) - 1;
		memcpy(key, path, len);
		key[len] = '\0';
		sub = json_object_get(obj, key);
		if (sub == NULL) {
			sub = json_object();
			json_object_set_new(obj, key, sub);
		}
		obj = sub;
		path = dot + 1;
	}
	json_object_set_new(obj, path, v);
}

/* keysentry.key.*: what the event's key is, by fingerprint only. */
static void
key_json(json_t *o, const struct evidence *e, const struct alert_ctx *ctx)
{
	if (e->key_fp[0] != '\0')
		jset(o, "keysentry.key.fingerprint", json_string(e->key_fp));
	if (e->key_state != EKS_NONE)
		jset(o, "keysentry.key.state",
		    json_string(event_key_state_name(e->key_state)));
	if (e->key_index >= 0 && ctx->cfg != NULL &&
	    (size_t)e->key_index < ctx->cfg->nkeys)
		jset(o, "keysentry.key.name",
		    jstr(ctx->cfg->keys[e->key_index].name));
	if (e->rotation != EROT_NONE)
		jset(o, "keysentry.rotation", json_string(e->rotation ==
		    EROT_GRACE ? "grace" : "late"));
}

static json_t *
evidence_json(const struct evidence *e, const struct alert_ctx *ctx)
{
	json_t	*o = json_object();
	char	 a[ADDR_STRLEN];

	jset(o, "@timestamp", jtime(e->ts));
	if (e->flags & EV_HAS_SRC) {
		addr_format(&e->src, a, sizeof(a));
		jset(o, "source.ip", json_string(a));
	}
	if (e->flags & EV_HAS_PORT)
		jset(o, "source.port", json_integer(e->port));
	if (e->method[0] != '\0')
		jset(o, "http.request.method", jstr(e->method));
	jset(o, "url.path", jstr(e->path));
	if (e->flags & EV_HAS_STATUS)
		jset(o, "http.response.status_code", json_integer(e->status));
	if (e->input < ctx->ninputs)
		jset(o, "log.file.path", jstr(ctx->input_names[e->input]));
	if (e->line > 0)
		jset(o, "keysentry.line", json_integer((json_int_t)e->line));
	key_json(o, e, ctx);
	return o;
}

/*
 * A playbook's keysentry.response: built once, then shared by every
 * alert that carries it (a reference each; the documents are only
 * serialised, never changed).
 */
static json_t *
response_json(struct playbook *pb)
{
	json_t	*o, *steps;
	size_t	 i;

	if (pb->doc != NULL)
		return pb->doc;
	o = json_object();
	steps = json_array();
	for (i = 0; i < pb->nsteps; i++) {
		json_t *st = json_object();
		json_object_set_new(st, "name", jstr(pb->steps[i].name));
		json_object_set_new(st, "action", jstr(pb->steps[i].action));
		json_array_append_new(steps, st);
	}
	json_object_set_new(o, "playbook", jstr(pb->name));
	if (pb->title != NULL)
		json_object_set_new(o, "name", jstr(pb->title));
	if (pb->runbook != NULL)
		json_object_set_new(o, "runbook", jstr(pb->runbook));
	json_object_set_new(o, "steps", steps);
	pb->doc = o;
	return o;
}

enum severity
alert_severity(const struct alert *al)
{
	return al->escalated && al->rule->escalates ?
	    al->rule->escalate_severity : al->rule->severity;
}

/* A stable id: the same alert from the same input has the same id. */
void
alert_id(const struct alert *al, char out[33])
{
	char	buf[2048], ts[KSTIME_STRLEN];
	uint8_t	md[32];
	size_t	i, o;

	kstime_format(al->ts, ts, sizeof(ts));
	o = (size_t)snprintf(buf, sizeof(buf), "%s%s\037%s\037%s\037%s",
	    al->rollup ? "rollup\037" : "", al->rule->id, al->endpoint ? al->endpoint->name : "",
	    al->source ? al->source : al->store ? al->store :
	    al->interface ? al->interface : al->gen ? al->gen->fp : "", ts);
	for (i = 0; i < al->ngroup && o < sizeof(buf); i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "\037%s",
		    al->group_values[i]);
	if (o >= sizeof(buf))
		o = sizeof(buf) - 1;
	if (ks_sha256(buf, o, md) == -1)
		memset(md, 0, sizeof(md));
	ks_hex(md, 16, out);
}

json_t *
alert_to_json(const struct alert *al, const struct alert_ctx *ctx)
{
	const struct rule	*r = al->rule;
	json_t			*o = json_object(), *arr, *grp;
	char			 id[33];
	size_t			 i;

	jset(o, "@timestamp", jtime(al->ts));
	alert_id(al, id);
	jset(o, "event.kind", json_string("alert"));
	jset(o, "event.id", json_string(id));
	jset(o, "event.module", json_string("keysentry"));
	jset(o, "event.dataset", json_string("keysentry.alert"));
	jset(o, "event.severity", json_integer(severity_number(
	    alert_severity(al))));

	jset(o, "rule.id", json_string(r->id));
	jset(o, "rule.name", jstr(r->name));
	jset(o, "rule.description", jstr(r->description));
	jset(o, "rule.version", json_sprintf("%u", r->version));
	jset(o, "rule.ruleset", json_string("keysentry"));
	if (r->runbook != NULL)
		jset(o, "rule.reference", jstr(r->runbook));

	for (i = 0; i < al->ngroup; i++) {
		if (al->group_fields[i] == EVF_SOURCE_IP &&
		    al->group_values[i][0] != '\0')
			jset(o, "source.ip", json_string(al->group_values[i]));
	}
	if (al->source != NULL)
		jset(o, "log.file.path", jstr(al->source));
	if (al->store != NULL)
		jset(o, "keysentry.store", jstr(al->store));
	if (al->interface != NULL)
		jset(o, "observer.ingress.interface.name", jstr(al->interface));
	if (al->trigger != NULL) {
		jset(o, "url.path", jstr(al->trigger->path));
		if (al->trigger->method[0] != '\0')
			jset(o, "http.request.method",
			    jstr(al->trigger->method));
		if (al->trigger->flags & EV_HAS_STATUS)
			jset(o, "http.response.status_code",
			    json_integer(al->trigger->status));
		key_json(o, al->trigger, ctx);
	}
	if (al->key != NULL && al->gen != NULL) {
		jset(o, "keysentry.key.name", jstr(al->key->name));
		jset(o, "keysentry.key.fingerprint", json_string(al->gen->fp));
		jset(o, "keysentry.key.state", json_string(key_state_name(
		    al->gen->state)));
		if (al->key->environment != NULL)
			jset(o, "keysentry.key.environment",
			    jstr(al->key->environment));
	}
	if (al->key != NULL && al->gen != NULL && al->original == NULL) {
		jset(o, "keysentry.key.created", jtime(al->gen->created));
		jset(o, "keysentry.key.age_days", json_integer(al->key_age /
		    (86400 * KS_NSEC_PER_SEC)));
		jset(o, "keysentry.key.max_age_days", json_integer(
		    al->key->max_age / (86400 * KS_NSEC_PER_SEC)));
	}
	if (al->original != NULL)
		jset(o, "event.original", jstr(al->original));
	if (al->line > 0)
		jset(o, "keysentry.line", json_integer((json_int_t)al->line));
	jset(o, "observer.hostname", jstr(ctx->hostname ? ctx->hostname :
	    ""));
	jset(o, "observer.product", json_string("keysentry"));
	jset(o, "observer.type", json_string("ids"));
	jset(o, "observer.version", json_string(PACKAGE_VERSION));

	jset(o, "keysentry.schema_version", json_integer(ALERT_SCHEMA_VERSION));
	jset(o, "keysentry.severity", json_string(severity_name(
	    alert_severity(al))));
	if (al->endpoint != NULL)
		jset(o, "keysentry.endpoint", json_string(al->endpoint->name));
	jset(o, "keysentry.aggregate", json_string(agg_type_name(r->agg)));
	jset(o, "keysentry.count", json_integer((json_int_t)al->count));
	jset(o, "keysentry.threshold", json_integer(r->threshold));
	jset(o, "keysentry.window_seconds",
	    json_integer(r->window / KS_NSEC_PER_SEC));
	jset(o, "keysentry.cooldown_seconds",
	    json_integer(r->cooldown / KS_NSEC_PER_SEC));
	jset(o, "keysentry.first_seen", jtime(al->first_seen));
	jset(o, "keysentry.last_seen", jtime(al->last_seen));
	if (r->response != NULL)
		jset(o, "keysentry.response", json_incref(response_json(
		    (struct playbook *)(uintptr_t)r->response)));
	if (al->nsupp > 0) {
		json_t *per = json_object();
		for (i = 0; i < al->nsupp; i++)
			json_object_set_new(per, al->supp_rules[i]->id,
			    json_integer((json_int_t)al->supp_counts[i]));
		jset(o, "keysentry.suppressed.count",
		    json_integer((json_int_t)al->count));
		jset(o, "keysentry.suppressed.first", jtime(al->first_seen));
		jset(o, "keysentry.suppressed.last", jtime(al->last_seen));
		jset(o, "keysentry.suppressed.rules", per);
	}
	if (al->rollup) {
		jset(o, "keysentry.rollup", json_true());
		jset(o, "keysentry.suppressed.count",
		    json_integer((json_int_t)al->count));
		jset(o, "keysentry.suppressed.first", jtime(al->first_seen));
		jset(o, "keysentry.suppressed.last", jtime(al->last_seen));
	}
	grp = json_object();
	if (al->endpoint != NULL)
		json_object_set_new(grp, "keysentry.endpoint",
		    json_string(al->endpoint->name));
	for (i = 0; i < al->ngroup; i++)
		json_object_set_new(grp,
		    event_field_info(al->group_fields[i])->name,
		    jstr(al->group_values[i]));
	jset(o, "keysentry.group", grp);
	if (r->agg == AGG_DISTINCT) {
		arr = json_array();
		for (i = 0; i < al->ndistinct; i++)
			json_array_append_new(arr, jstr(al->distinct[i]));
		jset(o, "keysentry.distinct.field",
		    json_string(event_field_info(r->distinct)->name));
		jset(o, "keysentry.distinct.values", arr);
	}
	arr = json_array();
	for (i = 0; i < al->nevidence; i++)
		json_array_append_new(arr, evidence_json(&al->evidence[i],
		    ctx));
	jset(o, "keysentry.evidence", arr);
	jset(o, "ecs.version", json_string(ALERT_ECS_VERSION));
	return o;
}
