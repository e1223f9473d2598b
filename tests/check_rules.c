/* Unit tests for rules.c: loading, errors, placeholders, matching. */
#include "autoconfig.h"

#include "check_common.h"
#include "rules.h"

/* Two endpoints: one with an allowlist and a method, one with neither. */
static struct config *
test_config(void)
{
	static const char *text =
	    "endpoints:\n"
	    "  - name: kratos-reload\n"
	    "    method: POST\n"
	    "    path: /internal/kratos/reload\n"
	    "    allowed_sources: [10.89.1.10/32, fd00:89::10/128]\n"
	    "  - name: jwks-refresh\n"
	    "    path: /internal/auth/jwks/refresh\n";
	struct ydiag	 d;
	char		*path = ks_tempfile(".yml", text, strlen(text));
	struct config	*c;

	ydiag_init(&d, path);
	c = config_load(path, &d);
	ck_assert_ptr_nonnull(c);
	ydiag_free(&d);
	unlink(path);
	free(path);
	return c;
}

static struct ruleset *
rules_text(const struct config *c, const char *text, struct ydiag *d)
{
	ydiag_init(d, "r.yml");
	return ruleset_load_buffer(c, "r.yml", text, strlen(text), d);
}

static struct event
mkev(const char *src, const char *method, const char *path, int status)
{
	struct event ev;

	event_clear(&ev);
	if (src != NULL) {
		ck_assert_int_eq(addr_parse(src, strlen(src), &ev.src), 0);
		ev.flags |= EV_HAS_SRC;
	}
	event_set_method(&ev, method, strlen(method));
	event_set_path(&ev, path, strlen(path));
	if (status >= 0) {
		ev.status = status;
		ev.flags |= EV_HAS_STATUS;
	}
	ev.endpoint = 0;
	return ev;
}

START_TEST(shipped_rules_load)
{
	struct config	*c = test_config();
	struct ydiag	 d;
	struct ruleset	*rs;
	const char	*ids[] = { "key-canary-use",
			    "key-current-unexpected-source", "key-retired-use",
			    "key-revoked-use", "key-unknown",
			    "key-wrong-environment", "reload-401-burst",
			    "reload-401-distributed", "reload-guess-success",
			    "reload-rate", "reload-unexpected-source",
			    "rotation-desync" };
	const struct rule *r;
	size_t		 i;

	free(c->rules[0]);
	c->rules[0] = strdup(ks_fixture("rules"));
	ydiag_init(&d, "rules");
	rs = ruleset_load(c, &d);
	ck_assert_msg(rs != NULL, "%s", d.n ? d.msgs[0] : "?");
	ck_assert_uint_eq(ruleset_nfile_rules(rs), 12);
	ck_assert_uint_eq(rs->nrules, 20);	/* and the seven built in */
	for (i = 0; i < 12; i++)
		ck_assert_str_eq(rs->rules[i].id, ids[i]);	/* name order */
	ck_assert(rs->rules[12].builtin);
	ck_assert_str_eq(rs->rules[12].id, "source-silent");
	ck_assert_int_eq(rs->rules[12].severity, SEV_HIGH);
	ck_assert_str_eq(rs->rules[13].id, "source-resumed");
	ck_assert_int_eq(rs->rules[13].severity, SEV_INFO);
	ck_assert_str_eq(rs->rules[14].id, "store-degraded");
	ck_assert_int_eq(rs->rules[14].severity, SEV_HIGH);
	ck_assert_str_eq(rs->rules[15].id, "store-recovered");
	ck_assert_int_eq(rs->rules[15].severity, SEV_INFO);
	/* a count over a window, so that overrides of both apply */
	ck_assert_str_eq(rs->rules[16].id, "capture-drops");
	ck_assert_int_eq(rs->rules[16].severity, SEV_HIGH);
	ck_assert_int_eq(rs->rules[16].agg, AGG_COUNT);
	ck_assert_int_eq(rs->rules[16].threshold, 1);
	ck_assert_int_eq(rs->rules[16].window, 60 * INT64_C(1000000000));
	ck_assert_int_eq(rs->rules[16].cooldown, 600 * INT64_C(1000000000));
	/* key-age: medium, high when due */
	ck_assert_str_eq(rs->rules[17].id, "key-age");
	ck_assert_int_eq(rs->rules[17].severity, SEV_MEDIUM);
	ck_assert(rs->rules[17].escalates);
	ck_assert_int_eq(rs->rules[17].escalate_severity, SEV_HIGH);
	ck_assert_str_eq(rs->rules[18].id, "key-exposed");
	ck_assert_int_eq(rs->rules[18].severity, SEV_CRITICAL);
	ck_assert_int_eq(rs->rules[18].cooldown, 600 * INT64_C(1000000000));
	ck_assert_str_eq(rs->rules[19].id, "alerts-suppressed");
	ck_assert_int_eq(rs->rules[19].severity, SEV_HIGH);
	/* the leak-response playbook, for the rules whose alert means the
	   key may be exposed, built-in key-* rules included */
	ck_assert_uint_eq(rs->nplaybooks, 1);
	ck_assert_str_eq(rs->playbooks[0].name, "leak-response");
	ck_assert_uint_eq(rs->playbooks[0].nsteps, 9);
	ck_assert_str_eq(rs->playbooks[0].steps[5].name, "review-logs");
	for (i = 0; i < rs->nrules; i++) {
		const char *id = rs->rules[i].id;
		int want = strncmp(id, "key-", 4) == 0 ||
		    strcmp(id, "reload-unexpected-source") == 0 ||
		    strcmp(id, "reload-guess-success") == 0 ||
		    strcmp(id, "reload-rate") == 0;
		ck_assert_msg((rs->rules[i].response != NULL) == want,
		    "%s: response %p", id, (void *)rs->rules[i].response);
	}
	/*
	 * The two that need allowed_sources skip jwks, which has none;
	 * key-canary-use is for every event (one instance, any endpoint).
	 */
	ck_assert_uint_eq(rs->ninsts, 21);
	ck_assert_uint_eq(rs->nby_ep[0], 11);
	ck_assert_uint_eq(rs->nby_ep[1], 9);
	ck_assert_uint_eq(rs->nany, 1);
	ck_assert_uint_eq(rs->nwarnings, 2);
	ck_assert_ptr_nonnull(strstr(rs->warnings[0],
	    "key-current-unexpected-source does not apply to endpoint "
	    "jwks-refresh"));
	ck_assert_ptr_nonnull(strstr(rs->warnings[1],
	    "reload-unexpected-source does not apply to endpoint "
	    "jwks-refresh"));
	/* a rule for every event that needs a key keeps the fast path */
	ck_assert(rs->fastpath);
	ck_assert_uint_eq(rs->nneedles, 2);
	ck_assert_str_eq(rs->needles[0], "/reload");
	ck_assert_str_eq(rs->needles[1], "/refresh");
	r = ruleset_rule(rs, "reload-401-burst");
	ck_assert_int_eq(r->threshold, 5);
	ck_assert_int_eq(r->window, 60 * INT64_C(1000000000));
	ck_assert_int_eq(r->agg, AGG_COUNT);
	ck_assert_int_eq(ruleset_rule(rs, "reload-401-distributed")->agg,
	    AGG_DISTINCT);
	ck_assert_int_eq(ruleset_rule(rs, "reload-guess-success")->agg,
	    AGG_SEQUENCE);
	r = ruleset_rule(rs, "reload-unexpected-source");
	ck_assert_int_eq(r->agg, AGG_NONE);
	ck_assert_int_eq(r->severity, SEV_CRITICAL);
	ck_assert_int_eq(r->cooldown, 600 * INT64_C(1000000000));
	r = ruleset_rule(rs, "key-retired-use");
	ck_assert_int_eq(r->severity, SEV_HIGH);
	ck_assert(r->escalates);
	ck_assert_int_eq(r->escalate_severity, SEV_CRITICAL);
	ck_assert_int_eq(ruleset_rule(rs, "key-unknown")->severity, SEV_MEDIUM);
	ruleset_free(rs);
	ydiag_free(&d);
	config_free(c);
}
END_TEST

/* One match case: a rule body, an event, the expected verdict. */
static void
verdict(const char *body, struct event ev, int want)
{
	struct config	*c = test_config();
	struct ydiag	 d;
	struct ruleset	*rs;
	char		 text[4096];

	snprintf(text, sizeof(text), "id: t\nname: t\ndescription: t\n"
	    "severity: low\nendpoints: [kratos-reload]\n%s", body);
	rs = rules_text(c, text, &d);
	ck_assert_msg(rs != NULL, "%s: %s", body, d.n ? d.msgs[0] : "?");
	ck_assert_uint_eq(rs->ninsts, 1);
	ck_assert_msg(inst_match(&rs->insts[0], &ev, c) == want,
	    "%s: want %d", body, want);
	ruleset_free(rs);
	ydiag_free(&d);
	config_free(c);
}

START_TEST(matching)
{
	struct event e401 = mkev("10.89.1.66", "POST",
	    "/internal/kratos/reload", 401);
	struct event eok = mkev("10.89.1.10", "post",
	    "/internal/kratos/reload", 200);
	struct event e6 = mkev("fd00:89::10", "POST",
	    "/internal/kratos/reload", 200);
	struct event nosrc = mkev(NULL, "GET", "/internal/kratos/reload", -1);

	strcpy(eok.user_agent, "Axios/1.13.2");
	verdict("match: {http.response.status_code: [401, 403]}\n", e401, 1);
	verdict("match: {http.response.status_code: [401, 403]}\n", eok, 0);
	verdict("match: {http.response.status_code: 401}\n", nosrc, 0);
	verdict("match: {http.response.status_code|gte: 200, "
	    "http.response.status_code|lt: 300}\n", eok, 1);
	verdict("match: {http.response.status_code|gte: 200, "
	    "http.response.status_code|lt: 300}\n", e401, 0);
	verdict("match: {http.response.status_code|gt: 400, "
	    "http.response.status_code|lte: 401}\n", e401, 1);
	/* placeholders */
	verdict("not: {source.ip|cidr: '%endpoint.allowed_sources%'}\n",
	    e401, 1);
	verdict("not: {source.ip|cidr: '%endpoint.allowed_sources%'}\n",
	    eok, 0);
	verdict("not: {source.ip|cidr: '%endpoint.allowed_sources%'}\n",
	    e6, 0);
	/* no source at all: it cannot be proved allowed */
	verdict("not: {source.ip|cidr: '%endpoint.allowed_sources%'}\n",
	    nosrc, 1);
	verdict("match: {http.request.method: '%endpoint.method%'}\n", eok, 1);
	verdict("match: {http.request.method: '%endpoint.method%'}\n", nosrc,
	    0);
	verdict("match: {url.path: '%endpoint.path%', keysentry.endpoint: "
	    "'%endpoint.name%'}\n", e401, 1);
	/* strings: case-insensitive unless |cased; modifiers */
	verdict("match: {user_agent.original|startswith: axios/}\n", eok, 1);
	verdict("match: {user_agent.original|startswith|cased: axios/}\n",
	    eok, 0);
	verdict("match: {user_agent.original|contains: '1.13'}\n", eok, 1);
	verdict("match: {user_agent.original|endswith: '.2'}\n", eok, 1);
	verdict("match: {user_agent.original|re: '^Axios/[0-9]+'}\n", eok, 1);
	verdict("match: {user_agent.original|re: '^axios/'}\n", eok, 0);
	verdict("match: {user_agent.original|re|i: '^axios/'}\n", eok, 1);
	verdict("match: {user_agent.original|exists: true}\n", eok, 1);
	verdict("match: {user_agent.original|exists: false}\n", e401, 1);
	verdict("match: {source.ip|exists: false}\n", nosrc, 1);
	verdict("match: {user_agent.original|contains|all: [axios, '13']}\n",
	    eok, 1);
	verdict("match: {user_agent.original|contains|all: [axios, curl]}\n",
	    eok, 0);
	/* addresses: equality and prefixes */
	verdict("match: {source.ip: 10.89.1.66}\n", e401, 1);
	verdict("match: {source.ip: '::ffff:10.89.1.66'}\n", e401, 1);
	verdict("match: {source.ip|cidr: [192.0.2.0/24, 10.89.0.0/16]}\n",
	    e401, 1);
	/* not: a list means any of them vetoes */
	verdict("not:\n  - {http.response.status_code: 200}\n"
	    "  - {source.ip: 10.89.1.66}\n", e401, 0);
	verdict("not:\n  - {http.response.status_code: 200}\n"
	    "  - {source.ip: 10.89.1.67}\n", e401, 1);
}
END_TEST

/*
 * allowed_sources that name hosts: the rule reads the endpoint's resolved
 * set when it matches, so what the resolver writes later counts.
 */
START_TEST(names_match_what_they_resolve_to)
{
	static const char *text =
	    "endpoints:\n"
	    "  - name: kratos-reload\n"
	    "    path: /internal/kratos/reload\n"
	    "    allowed_sources: [ciam-athena]\n";
	static const char *rule =
	    "id: t\nname: t\ndescription: t\nseverity: low\n"
	    "endpoints: [kratos-reload]\n"
	    "not: {source.ip|cidr: '%endpoint.allowed_sources%'}\n";
	struct event	 ev = mkev("172.18.0.5", "POST",
			    "/internal/kratos/reload", 200);
	struct event	 ev6 = mkev("fd00::5", "POST",
			    "/internal/kratos/reload", 200);
	struct ydiag	 d;
	char		*path = ks_tempfile(".yml", text, strlen(text));
	struct config	*c;
	struct ruleset	*rs;
	struct ks_addr	 a;

	ydiag_init(&d, path);
	c = config_load(path, &d);
	ck_assert_ptr_nonnull(c);
	ydiag_free(&d);
	rs = rules_text(c, rule, &d);
	ck_assert_msg(rs != NULL, "%s", d.n ? d.msgs[0] : "?");
	/* a name only: the rule is not "empty", it binds */
	ck_assert_uint_eq(rs->ninsts, 1);
	/* not resolved yet: nothing is allowed */
	ck_assert_int_eq(inst_match(&rs->insts[0], &ev, c), 1);
	addr_parse("172.18.0.5", 10, &a);
	addrset_add(&c->endpoints[0].resolved, &a);
	ck_assert_int_eq(inst_match(&rs->insts[0], &ev, c), 0);
	ck_assert_int_eq(inst_match(&rs->insts[0], &ev6, c), 1);
	addr_parse("fd00::5", 7, &a);
	addrset_add(&c->endpoints[0].resolved, &a);
	ck_assert_int_eq(inst_match(&rs->insts[0], &ev6, c), 0);
	/* the name moved */
	c->endpoints[0].resolved.n = 0;
	ck_assert_int_eq(inst_match(&rs->insts[0], &ev, c), 1);
	ruleset_free(rs);
	ydiag_free(&d);
	/* |all with the placeholder makes no sense and is refused */
	rs = rules_text(c, "id: t\nname: t\ndescription: t\nseverity: low\n"
	    "endpoints: [kratos-reload]\n"
	    "not: {source.ip|cidr|all: '%endpoint.allowed_sources%'}\n", &d);
	ck_assert_ptr_null(rs);
	ck_assert_msg(d.n > 0 && strstr(d.msgs[0], "cannot be used with "
	    "|all") != NULL, "%s", d.n ? d.msgs[0] : "?");
	ydiag_free(&d);
	config_free(c);
	unlink(path);
	free(path);
}
END_TEST

static void
want_error(const char *text, const char *needle)
{
	struct config	*c = test_config();
	struct ydiag	 d;
	struct ruleset	*rs = rules_text(c, text, &d);
	size_t		 i;

	ck_assert_msg(rs == NULL, "accepted: %s", text);
	for (i = 0; i < d.n; i++)
		if (strstr(d.msgs[i], needle) != NULL)
			break;
	ck_assert_msg(i < d.n, "no \"%s\" among %zu messages; first: %s",
	    needle, d.n, d.n ? d.msgs[0] : "");
	ydiag_free(&d);
	config_free(c);
}

#define HEAD "id: t\nname: t\ndescription: t\nseverity: low\n"

START_TEST(errors)
{
	want_error(HEAD "match: {source.address: 1.2.3.4}\n",
	    "r.yml:5:9: unknown field \"source.address\"");
	want_error(HEAD "match: {url.path|matches: x}\n",
	    "r.yml:5:9: unknown modifier \"|matches\"");
	want_error(HEAD "match: {url.path|cidr: 10.0.0.0/8}\n",
	    "|cidr does not apply to url.path");
	want_error(HEAD "match: {source.ip|cidr: 10.0.0.0/33}\n",
	    "r.yml:5:25: \"10.0.0.0/33\" is not an address or CIDR prefix");
	want_error(HEAD "match: {http.response.status_code: two}\n",
	    "\"two\" is not a whole number");
	want_error(HEAD "match: {url.path|re: '(unclosed'}\n",
	    "bad regular expression");
	want_error(HEAD "match: {url.path|contains|startswith: x}\n",
	    "only one of");
	want_error(HEAD "endpoints: [nope]\n",
	    "r.yml:5:13: no endpoint named \"nope\"");
	want_error(HEAD "endpoints: none\nmatch: {http.request.method: "
	    "'%endpoint.method%'}\n", "needs an endpoint");
	want_error(HEAD "match: {url.path: '%endpoint.secret%'}\n",
	    "unknown placeholder");
	want_error(HEAD "match: {url.path|cidr: '%endpoint.allowed_sources%'}\n",
	    "|cidr does not apply");
	want_error(HEAD "severity: urgent\n", "duplicate key");
	want_error("id: t\nname: t\ndescription: t\nseverity: urgent\n",
	    "r.yml:4:11: severity must be");
	want_error("id: Bad_Id\nname: t\ndescription: t\nseverity: low\n",
	    "rule id \"Bad_Id\" must be");
	want_error("name: t\ndescription: t\nseverity: low\n",
	    "rule id must be");
	want_error(HEAD "aggregate: {type: count, window: 60s}\n",
	    "aggregate threshold must be");
	want_error(HEAD "aggregate: {type: count, window: 0s, threshold: 1}\n",
	    "window must be positive");
	want_error(HEAD "aggregate: {type: distinct, window: 1m, threshold: "
	    "2}\n", "distinct field must be");
	want_error(HEAD "aggregate: {type: sequence, window: 1m, threshold: "
	    "2, first: {match: {}}}\n", "a sequence needs \"then\"");
	want_error(HEAD "aggregate: {type: count, window: 1m, threshold: 2, "
	    "first: {}}\n", "only for aggregate type sequence");
	want_error(HEAD "aggregate: {type: average}\n", "count, distinct or "
	    "sequence");
	want_error(HEAD "group_by: [a, b, c, d, e]\n", "at most 4 fields");
	want_error(HEAD "colour: red\n", "rule: unknown key \"colour\"");
	want_error(HEAD "---\n" HEAD, "rule id \"t\" is already defined");
	want_error(HEAD "match: [1, 2]\n", "match must be a mapping");
	/* escalate: only above the rule's severity, only without an
	   aggregate, with a match */
	want_error(HEAD "match: {url.path: /a}\nescalate: {match: "
	    "{http.response.status_code: 200}, severity: low}\n",
	    "escalate severity must be above the rule's (low)");
	want_error(HEAD "match: {url.path: /a}\nescalate: {severity: high}\n",
	    "escalate needs a match");
	want_error(HEAD "match: {url.path: /a}\nescalate: {match: {x.y: 1}, "
	    "severity: high}\n", "unknown field \"x.y\"");
	want_error(HEAD "match: {url.path: /a}\nescalate: {match: "
	    "{url.path: /b}, severity: high, when: now}\n",
	    "escalate: unknown key \"when\"");
	want_error(HEAD "endpoints: all\naggregate: {type: count, window: 1m, "
	    "threshold: 5}\nescalate: {match: {url.path: /b}, severity: "
	    "high}\n", "escalate applies to rules without an aggregate");
	/* response: a playbook loaded from any file; playbooks' own errors */
	want_error(HEAD "response: leak-response\n",
	    "r.yml:5:11: no playbook named \"leak-response\" was loaded");
	want_error(HEAD "response: [a]\n", "r.yml:5:11: response must be a non-empty string");
	want_error("playbook: p\nname: P\n", "r.yml:1:1: a playbook needs "
	    "steps");
	want_error("playbook: p\nsteps: []\n", "a playbook needs steps");
	want_error("playbook: P_1\nsteps: [{name: a, action: b}]\n",
	    "r.yml:1:11: playbook name \"P_1\" must be");
	want_error("playbook: p\nsteps: [{name: a}]\n", "step action must be");
	want_error("playbook: p\nsteps: [{name: a, action: b, when: c}]\n",
	    "step: unknown key \"when\"");
	want_error("playbook: p\nsteps: [{name: a, action: b}]\n---\n"
	    "playbook: p\nsteps: [{name: a, action: b}]\n",
	    "r.yml:4:11: playbook \"p\" is already defined");
}
END_TEST

/* A rule names a playbook of the same file or another; alerts carry it. */
START_TEST(response_playbook)
{
	struct config	*c = test_config();
	struct ruleset	*rs;
	struct ydiag	 d;
	const char	*text = HEAD "response: pb\n---\nplaybook: pb\n"
			    "name: The playbook\nsteps:\n"
			    "  - {name: one, action: first}\n"
			    "  - {name: two, action: second}\n";

	ydiag_init(&d, "r.yml");
	rs = ruleset_load_buffer(c, "r.yml", text, strlen(text), &d);
	ck_assert_msg(rs != NULL, "%s", d.n ? d.msgs[0] : "?");
	ck_assert_ptr_nonnull(ruleset_rule(rs, "t")->response);
	ck_assert_str_eq(ruleset_rule(rs, "t")->response->title,
	    "The playbook");
	ck_assert_uint_eq(ruleset_rule(rs, "t")->response->nsteps, 2);
	ck_assert_str_eq(ruleset_rule(rs, "t")->response->steps[1].action,
	    "second");
	/* no leak-response loaded: the built-in key rules go without */
	ck_assert_ptr_null(ruleset_rule(rs, "key-exposed")->response);
	ruleset_free(rs);
	ydiag_free(&d);
	config_free(c);
}
END_TEST

START_TEST(overrides)
{
	struct config	*c = test_config();
	struct ydiag	 d;
	struct ruleset	*rs;
	const char	*text = HEAD "endpoints: all\naggregate: {type: count, "
			    "window: 1m, threshold: 5}\n";

	c->overrides = calloc(1, sizeof(*c->overrides));
	c->noverrides = 1;
	c->overrides[0].id = strdup("t");
	c->overrides[0].enabled = -1;
	c->overrides[0].severity = SEV_CRITICAL;
	c->overrides[0].window = 120 * INT64_C(1000000000);
	c->overrides[0].cooldown = -1;
	c->overrides[0].threshold = 9;
	rs = rules_text(c, text, &d);
	ck_assert_ptr_nonnull(rs);
	ck_assert_uint_eq(rs->rules[0].threshold, 9);
	ck_assert_int_eq(rs->rules[0].window, 120 * INT64_C(1000000000));
	ck_assert_int_eq(rs->rules[0].severity, SEV_CRITICAL);
	ruleset_free(rs);
	ydiag_free(&d);

	c->overrides[0].enabled = 0;
	rs = rules_text(c, text, &d);
	ck_assert_ptr_nonnull(rs);
	ck_assert_uint_eq(ruleset_nfile_rules(rs), 1);
	ck_assert_uint_eq(rs->ninsts, 0);	/* disabled: no instances */
	ruleset_free(rs);
	ydiag_free(&d);

	/* built-in rules take overrides too */
	free(c->overrides[0].id);
	c->overrides[0].id = strdup("source-silent");
	c->overrides[0].enabled = 0;
	c->overrides[0].window = c->overrides[0].threshold = -1;
	rs = rules_text(c, text, &d);
	ck_assert_ptr_nonnull(rs);
	ck_assert(!ruleset_rule(rs, "source-silent")->enabled);
	ck_assert_int_eq(ruleset_rule(rs, "source-silent")->severity,
	    SEV_CRITICAL);
	ruleset_free(rs);
	ydiag_free(&d);

	/* capture-drops counts over a window: threshold and window apply */
	free(c->overrides[0].id);
	c->overrides[0].id = strdup("capture-drops");
	c->overrides[0].enabled = -1;
	c->overrides[0].severity = -1;
	c->overrides[0].window = 300 * INT64_C(1000000000);
	c->overrides[0].threshold = 100;
	c->overrides[0].cooldown = 1800 * INT64_C(1000000000);
	rs = rules_text(c, text, &d);
	ck_assert_msg(rs != NULL, "%s", d.n ? d.msgs[0] : "?");
	ck_assert_uint_eq(ruleset_rule(rs, "capture-drops")->threshold, 100);
	ck_assert_int_eq(ruleset_rule(rs, "capture-drops")->window,
	    300 * INT64_C(1000000000));
	ck_assert_int_eq(ruleset_rule(rs, "capture-drops")->cooldown,
	    1800 * INT64_C(1000000000));
	ck_assert_int_eq(ruleset_rule(rs, "capture-drops")->severity,
	    SEV_HIGH);
	ruleset_free(rs);
	ydiag_free(&d);
	c->overrides[0].cooldown = -1;

	free(c->overrides[0].id);
	c->overrides[0].id = strdup("other");
	rs = rules_text(c, text, &d);
	ck_assert_ptr_null(rs);
	ck_assert_ptr_nonnull(strstr(d.msgs[0], "no rule with id \"other\""));
	ydiag_free(&d);
	config_free(c);
}
END_TEST

/* An output's rules name loaded or built-in rules; patterns may match
 * none. */
START_TEST(output_rule_ids)
{
	struct config		*c = test_config();
	struct ydiag		 d;
	struct ruleset		*rs;
	struct output_conf	 o;
	char			*ids[] = { "t", "key-*", "capture-drops",
				    "reload-rat" };
	const char		*text = HEAD "endpoints: all\n";

	memset(&o, 0, sizeof(o));
	o.type = "file";
	o.path = "/a";
	o.rules = ids;
	o.nrules = 3;
	c->outputs = &o;
	c->noutputs = 1;
	rs = rules_text(c, text, &d);
	ck_assert_msg(rs != NULL, "%s", d.n ? d.msgs[0] : "?");
	ruleset_free(rs);
	ydiag_free(&d);
	o.nrules = 4;
	rs = rules_text(c, text, &d);
	ck_assert_ptr_null(rs);
	ck_assert_ptr_nonnull(strstr(d.msgs[0], "outputs: /a: no rule with "
	    "id \"reload-rat\""));
	ydiag_free(&d);
	c->outputs = NULL;
	c->noutputs = 0;
	config_free(c);
}
END_TEST

START_TEST(fast_path)
{
	struct config	*c = test_config();
	struct ydiag	 d;
	struct ruleset	*rs = rules_text(c, HEAD "endpoints: all\n", &d);
	const char	*l1 = "{\"path\":\"/healthz\",\"status\":200}";
	const char	*l2 = "{\"path\":\"/internal/kratos/reload\"}";
	const char	*l3 = "{\"path\":\"\\/internal\\/kratos\\/reload\"}";
	const char	*l4 = "{\"path\":\"/internal/kratos/%72eload\"}";

	ck_assert_ptr_nonnull(rs);
	ck_assert(rs->fastpath);
	ck_assert(!ruleset_line_relevant(rs, l1, strlen(l1)));
	ck_assert(ruleset_line_relevant(rs, l2, strlen(l2)));
	ck_assert(ruleset_line_relevant(rs, l3, strlen(l3)));	/* escapes */
	ck_assert(ruleset_line_relevant(rs, l4, strlen(l4)));
	ruleset_free(rs);
	ydiag_free(&d);

	/* a rule over every event turns the fast path off */
	rs = rules_text(c, HEAD "endpoints: none\n", &d);
	ck_assert_ptr_nonnull(rs);
	ck_assert(!rs->fastpath);
	ck_assert_uint_eq(rs->nany, 1);
	ck_assert(ruleset_line_relevant(rs, l1, strlen(l1)));
	ruleset_free(rs);
	ydiag_free(&d);
	config_free(c);
}
END_TEST

static Suite *
rules_suite(void)
{
	Suite	*s = suite_create("rules");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, shipped_rules_load);
	tcase_add_test(tc, matching);
	tcase_add_test(tc, names_match_what_they_resolve_to);
	tcase_add_test(tc, errors);
	tcase_add_test(tc, response_playbook);
	tcase_add_test(tc, overrides);
	tcase_add_test(tc, output_rule_ids);
	tcase_add_test(tc, fast_path);
	suite_add_tcase(s, tc);
	return s;
}

KS_CHECK_MAIN(rules_suite)
