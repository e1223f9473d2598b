/* Unit tests for alert.c: the JSON document. */
#include "autoconfig.h"

#include "alert.h"
#include "check_common.h"
#include "kstime.h"

#define S	INT64_C(1000000000)

static struct rule rule = {
	.id = "reload-401-burst", .name = "Burst", .description = "d",
	.runbook = "docs/runbooks/reload-401-burst.md", .version = 2,
	.severity = SEV_HIGH, .enabled = 1, .cooldown = 600 * S,
	.agg = AGG_COUNT, .window = 60 * S, .threshold = 5,
	.group_by = { EVF_SOURCE_IP }, .ngroup = 1,
};
static struct endpoint_conf ep = { .name = "kratos-reload",
	.path = "/internal/kratos/reload" };

static json_t *
build(const char *srcval, const char *path, size_t nev)
{
	static struct evidence	ev[3];
	static const char	*names[] = { "access.log" };
	struct alert_ctx	 ctx = { "mon-1", names, 1 };
	struct alert		 al;
	struct event		 e;
	size_t			 i;

	for (i = 0; i < 3; i++) {
		event_clear(&e);
		e.ts = (1790000000 + (int64_t)i) * S;
		addr_parse("10.89.1.66", 10, &e.src);
		e.flags = EV_HAS_SRC | EV_HAS_STATUS | EV_HAS_PORT;
		e.src_port = 40000;
		e.status = 401;
		e.line = 10 + i;
		event_set_method(&e, "POST", 4);
		event_set_path(&e, path, strlen(path));
		evidence_from_event(&ev[i], &e);
	}
	memset(&al, 0, sizeof(al));
	al.rule = &rule;
	al.endpoint = &ep;
	al.ts = ev[2].ts;
	al.count = 5;
	al.first_seen = ev[0].ts;
	al.last_seen = ev[2].ts;
	al.trigger = &ev[2];
	al.ngroup = 1;
	al.group_fields[0] = EVF_SOURCE_IP;
	al.group_values[0] = srcval;
	al.evidence = ev;
	al.nevidence = nev;
	return alert_to_json(&al, &ctx);
}

static const char *
str_at(json_t *o, const char *path)
{
	json_t	*v = o;
	char	 buf[256], *p, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = strtok_r(buf, ".", &save); p; p = strtok_r(NULL, ".", &save))
		v = json_object_get(v, p);
	return json_string_value(v);
}

static json_int_t
int_at(json_t *o, const char *path)
{
	json_t	*v = o;
	char	 buf[256], *p, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = strtok_r(buf, ".", &save); p; p = strtok_r(NULL, ".", &save))
		v = json_object_get(v, p);
	ck_assert_msg(json_is_integer(v), "%s is not an integer", path);
	return json_integer_value(v);
}

START_TEST(ecs_fields)
{
	json_t *o = build("10.89.1.66", "/internal/kratos/reload", 3);

	ck_assert_str_eq(json_string_value(json_object_get(o, "@timestamp")),
	    "2026-09-21T14:13:22.000Z");
	ck_assert_str_eq(str_at(o, "event.kind"), "alert");
	ck_assert_int_eq(int_at(o, "event.severity"), 73);
	ck_assert_str_eq(str_at(o, "keysentry.severity"), "high");
	ck_assert_str_eq(str_at(o, "rule.id"), "reload-401-burst");
	ck_assert_str_eq(str_at(o, "rule.version"), "2");
	ck_assert_str_eq(str_at(o, "rule.reference"),
	    "docs/runbooks/reload-401-burst.md");
	ck_assert_str_eq(str_at(o, "source.ip"), "10.89.1.66");
	ck_assert_str_eq(str_at(o, "url.path"), "/internal/kratos/reload");
	ck_assert_str_eq(str_at(o, "http.request.method"), "POST");
	ck_assert_int_eq(int_at(o, "http.response.status_code"), 401);
	ck_assert_str_eq(str_at(o, "observer.hostname"), "mon-1");
	ck_assert_str_eq(str_at(o, "keysentry.endpoint"), "kratos-reload");
	ck_assert_int_eq(int_at(o, "keysentry.count"), 5);
	ck_assert_int_eq(int_at(o, "keysentry.window_seconds"), 60);
	ck_assert_int_eq(int_at(o, "keysentry.schema_version"), 1);
	ck_assert_str_eq(str_at(o, "keysentry.first_seen"),
	    "2026-09-21T14:13:20.000Z");
	ck_assert_str_eq(str_at(o, "keysentry.last_seen"),
	    "2026-09-21T14:13:22.000Z");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(
	    json_object_get(o, "keysentry"), "group"), "source.ip")),
	    "10.89.1.66");
	ck_assert_uint_eq(json_array_size(json_object_get(json_object_get(o,
	    "keysentry"), "evidence")), 3);
	ck_assert_str_eq(str_at(json_array_get(json_object_get(
	    json_object_get(o, "keysentry"), "evidence"), 0), "log.file.path"),
	    "access.log");
	ck_assert_int_eq(int_at(json_array_get(json_object_get(
	    json_object_get(o, "keysentry"), "evidence"), 1), "keysentry.line"),
	    11);
	json_decref(o);
}
END_TEST

START_TEST(id_is_stable_and_distinct)
{
	json_t	*a = build("10.89.1.66", "/x", 0);
	json_t	*b = build("10.89.1.66", "/x", 3);
	json_t	*c = build("10.89.1.67", "/x", 0);

	ck_assert_uint_eq(strlen(str_at(a, "event.id")), 32);
	ck_assert_str_eq(str_at(a, "event.id"), str_at(b, "event.id"));
	ck_assert_str_ne(str_at(a, "event.id"), str_at(c, "event.id"));
	json_decref(a);
	json_decref(b);
	json_decref(c);
}
END_TEST

START_TEST(invalid_utf8_is_repaired)
{
	json_t	*o = build("10.89.1.66", "/caf\xe9\xff", 1);
	char	*text = json_dumps(o, JSON_COMPACT);

	ck_assert_ptr_nonnull(text);
	ck_assert_str_eq(str_at(o, "url.path"), "/caf\xef\xbf\xbd\xef\xbf\xbd");
	free(text);
	json_decref(o);
}
END_TEST

/* The key by fingerprint, its state and name: in the alert (from the
 * tripping event) and in each piece of evidence. */
START_TEST(key_fields)
{
	static struct evidence	 ev;
	static const char	*names[] = { "wire" };
	struct key_conf		 k = { .name = "CIAM_RELOAD_API_KEY" };
	struct config		 cfg;
	struct alert_ctx	 ctx = { "mon-1", names, 1, &cfg };
	struct alert		 al;
	struct event		 e;
	json_t			*o, *evj;

	memset(&cfg, 0, sizeof(cfg));
	cfg.keys = &k;
	cfg.nkeys = 1;
	event_clear(&e);
	e.ts = 1790000000 * S;
	e.flags = EV_HAS_STATUS;
	e.status = 401;
	event_set_path(&e, "/r", 2);
	ks_strlcpy(e.key_fp, "sha256:00000000000000a0", sizeof(e.key_fp));
	e.key_state = EKS_RETIRED;
	e.key_index = 0;
	evidence_from_event(&ev, &e);
	memset(&al, 0, sizeof(al));
	al.rule = &rule;
	al.ts = e.ts;
	al.trigger = &ev;
	al.evidence = &ev;
	al.nevidence = 1;
	o = alert_to_json(&al, &ctx);
	ck_assert_str_eq(str_at(o, "keysentry.key.fingerprint"),
	    "sha256:00000000000000a0");
	ck_assert_str_eq(str_at(o, "keysentry.key.state"), "retired");
	ck_assert_str_eq(str_at(o, "keysentry.key.name"),
	    "CIAM_RELOAD_API_KEY");
	evj = json_array_get(json_object_get(json_object_get(o, "keysentry"),
	    "evidence"), 0);
	ck_assert_str_eq(str_at(evj, "keysentry.key.state"), "retired");
	ck_assert_str_eq(str_at(evj, "keysentry.key.fingerprint"),
	    "sha256:00000000000000a0");
	json_decref(o);
	/* nothing known of a key: no keysentry.key at all */
	event_clear(&e);
	evidence_from_event(&ev, &e);
	o = alert_to_json(&al, &ctx);
	ck_assert_ptr_null(json_object_get(json_object_get(o, "keysentry"),
	    "key"));
	json_decref(o);
}
END_TEST

static Suite *
alert_suite(void)
{
	Suite	*s = suite_create("alert");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, ecs_fields);
	tcase_add_test(tc, key_fields);
	tcase_add_test(tc, id_is_stable_and_distinct);
	tcase_add_test(tc, invalid_utf8_is_repaired);
	suite_add_tcase(s, tc);
	return s;
}

KS_CHECK_MAIN(alert_suite)
