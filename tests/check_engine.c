/*
 * Unit tests for engine.c: outputs chosen by -o, the config or stdout;
 * events classified by endpoint before detection; errors at start-up.
 */
#include "autoconfig.h"

#include "check_common.h"
#include "engine.h"

static struct config *
conf(const char *extra)
{
	char		 text[1024], *path;
	struct ydiag	 d;
	struct config	*c;

	snprintf(text, sizeof(text), "endpoints:\n  - {name: r, path: /r}\n%s",
	    extra);
	path = ks_tempfile(".yml", text, strlen(text));
	ydiag_init(&d, path);
	c = config_load(path, &d);
	ck_assert_msg(c != NULL, "%s", d.n ? d.msgs[0] : "");
	ydiag_free(&d);
	unlink(path);
	free(path);
	return c;
}

static struct ruleset *
rules(struct config *c)
{
	const char	*text = "id: calls\nname: n\ndescription: d\n"
			    "severity: low\ncooldown: 0s\n";
	struct ydiag	 d;
	struct ruleset	*rs;

	ydiag_init(&d, "r.yml");
	rs = ruleset_load_buffer(c, "r.yml", text, strlen(text), &d);
	ck_assert_ptr_nonnull(rs);
	ydiag_free(&d);
	return rs;
}

static void
feed(struct engine *e, const char *path, int64_t t)
{
	struct event ev;

	event_clear(&ev);
	ev.ts = t;
	ev.flags = EV_HAS_TIME;
	event_set_path(&ev, path, strlen(path));
	engine_event(e, &ev);
}

START_TEST(endpoint_calls_reach_the_output)
{
	char		 out[] = "/tmp/ksengine-XXXXXX", err[256], *text;
	struct engine	 e;
	struct config	*c = conf("");

	close(mkstemp(out));
	ck_assert_int_eq(engine_init(&e, c, rules(c), out, err, sizeof(err)),
	    0);
	ck_assert_uint_eq(e.nsinks, 1);
	ck_assert_uint_eq(engine_add_input(&e, "a.log"), 0);
	ck_assert_uint_eq(engine_add_input(&e, "b.log"), 1);
	feed(&e, "/r", INT64_C(1790000000000000000));
	feed(&e, "/other", INT64_C(1790000001000000000));	/* no endpoint */
	feed(&e, "/r/", INT64_C(1790000002000000000));
	ck_assert_uint_eq(e.alerts, 2);
	engine_fini(&e);
	text = ks_slurp(out, NULL);
	ck_assert_ptr_nonnull(strstr(text, "\"rule\":{\"id\":\"calls\""));
	ck_assert_ptr_nonnull(strstr(text, "\"keysentry\":{\"schema_version\""));
	ck_assert_ptr_null(strstr(text, "/other"));
	free(text);
	unlink(out);
}
END_TEST

START_TEST(outputs_from_the_config)
{
	char		 dir[] = "/tmp/ksengine-XXXXXX", extra[1024], err[256];
	char		 p1[300], p2[300], *t1, *t2;
	struct engine	 e;
	struct config	*c;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(p1, sizeof(p1), "%s/one.jsonl", dir);
	snprintf(p2, sizeof(p2), "%s/two.jsonl", dir);
	snprintf(extra, sizeof(extra), "outputs:\n  - {type: file, path: %s}\n"
	    "  - {type: file, path: %s}\n", p1, p2);
	c = conf(extra);
	ck_assert_int_eq(engine_init(&e, c, rules(c), NULL, err, sizeof(err)),
	    0);
	ck_assert_uint_eq(e.nsinks, 2);
	feed(&e, "/r", INT64_C(1790000000000000000));
	engine_fini(&e);
	t1 = ks_slurp(p1, NULL);
	t2 = ks_slurp(p2, NULL);
	ck_assert_str_eq(t1, t2);		/* every output gets every alert */
	ck_assert_uint_gt(strlen(t1), 100);
	free(t1);
	free(t2);
	unlink(p1);
	unlink(p2);
	rmdir(dir);
}
END_TEST

START_TEST(start_up_errors)
{
	char		 err[256];
	struct engine	 e;
	struct config	*c = conf("");

	ck_assert_int_eq(engine_init(&e, c, rules(c), "/nonexistent/a.jsonl",
	    err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/a.jsonl"));
	engine_fini(&e);

	c = conf("");
	free(c->store);
	c->store = strdup("etcd://x");	/* past the config's own check */
	ck_assert_int_eq(engine_init(&e, c, rules(c), NULL, err, sizeof(err)),
	    -1);
	ck_assert_ptr_nonnull(strstr(err, "etcd://x"));
	engine_fini(&e);
}
END_TEST

/*
 * limits.alerts_per_minute: 3.  Ten low alerts in one minute: three
 * written, seven held back; a critical one in that minute still goes out
 * (a flood of low ones holds back no higher severity); the summary comes
 * when event time leaves the minute, before the next minute's alert.
 */
START_TEST(global_cap_per_minute)
{
	char		 out[] = "/tmp/ksengine-XXXXXX", err[256], *text, *p;
	struct engine	 e;
	struct config	*c = conf("limits: {alerts_per_minute: 3}\n");
	int64_t		 t0 = INT64_C(1790000040000000000);	/* :00 */
	json_t		*doc;
	json_error_t	 je;
	int		 i, lows = 0, crit = 0, summaries = 0;

	close(mkstemp(out));
	ck_assert_int_eq(engine_init(&e, c, rules(c), out, err, sizeof(err)),
	    0);
	for (i = 0; i < 10; i++) {
		feed(&e, "/r", t0 + i * INT64_C(1000000000));
		if (i == 5)
			engine_raise(&e, ruleset_rule(e.rs, "key-exposed"),
			    "x.log", t0 + i * INT64_C(1000000000), t0, t0);
	}
	ck_assert_uint_eq(e.alerts, 4);
	ck_assert_uint_eq(e.cap_total, 7);
	feed(&e, "/r", t0 + 70 * INT64_C(1000000000));	/* the next minute */
	ck_assert_uint_eq(e.alerts, 6);
	engine_fini(&e);
	text = ks_slurp(out, NULL);
	for (p = strtok(text, "\n"); p != NULL; p = strtok(NULL, "\n")) {
		const char *id;
		ck_assert_ptr_nonnull(doc = json_loads(p, 0, &je));
		id = json_string_value(json_object_get(json_object_get(doc,
		    "rule"), "id"));
		if (strcmp(id, "calls") == 0)
			lows++;
		else if (strcmp(id, "key-exposed") == 0)
			crit++;
		else {
			json_t *sup = json_object_get(json_object_get(doc,
			    "keysentry"), "suppressed");
			ck_assert_str_eq(id, "alerts-suppressed");
			ck_assert_int_eq(lows, 3);	/* before the 4th */
			ck_assert_int_eq(json_integer_value(json_object_get(
			    sup, "count")), 7);
			ck_assert_int_eq(json_integer_value(json_object_get(
			    json_object_get(sup, "rules"), "calls")), 7);
			ck_assert_str_eq(json_string_value(json_object_get(
			    sup, "first")), "2026-09-21T14:14:03.000Z");
			ck_assert_str_eq(json_string_value(json_object_get(
			    sup, "last")), "2026-09-21T14:14:09.000Z");
			ck_assert_str_eq(json_string_value(json_object_get(
			    doc, "@timestamp")), "2026-09-21T14:15:00.000Z");
			summaries++;
		}
		json_decref(doc);
	}
	ck_assert_int_eq(lows, 4);
	ck_assert_int_eq(crit, 1);
	ck_assert_int_eq(summaries, 1);
	free(text);
	unlink(out);
}
END_TEST

static Suite *
engine_suite(void)
{
	Suite	*s = suite_create("engine");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, endpoint_calls_reach_the_output);
	tcase_add_test(tc, outputs_from_the_config);
	tcase_add_test(tc, start_up_errors);
	tcase_add_test(tc, global_cap_per_minute);
	suite_add_tcase(s, tc);
	return s;
}

KS_CHECK_MAIN(engine_suite)
