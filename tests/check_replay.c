/*
 * Unit tests for replay.c: event-time merge across files, the decoder a
 * file gets, and the exit status for unreadable or truncated inputs.
 */
#include "autoconfig.h"

#include "check_common.h"
#include "replay.h"

/* A config whose only rule fires on every event, without cooldown. */
static struct engine *
engine_for(const char *out, const char *extra)
{
	static struct engine	 e;
	struct ydiag		 d;
	struct config		*cfg;
	struct ruleset		*rs;
	char			 text[1024], err[256], *path;
	const char		*rule = "id: every\nname: e\ndescription: e\n"
				    "severity: low\nendpoints: none\n"
				    "cooldown: 0s\n";

	snprintf(text, sizeof(text), "sources:\n  - {type: file, path: "
	    "/var/log/sidecar/access.log, format: clf}\n%s", extra);
	path = ks_tempfile(".yml", text, strlen(text));
	ydiag_init(&d, path);
	cfg = config_load(path, &d);
	ck_assert_msg(cfg != NULL, "%s", d.n ? d.msgs[0] : "");
	rs = ruleset_load_buffer(cfg, "r.yml", rule, strlen(rule), &d);
	ck_assert_ptr_nonnull(rs);
	ck_assert_int_eq(engine_init(&e, cfg, rs, out, err, sizeof(err)), 0);
	ydiag_free(&d);
	unlink(path);
	free(path);
	return &e;
}

static char *
line(int sec, const char *p)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), "{\"time\":\"2026-11-20T10:00:%02dZ\","
	    "\"path\":\"%s\",\"status\":200}\n", sec, p);
	return buf;
}

START_TEST(merges_in_event_time)
{
	char			 a[4096] = "", b[4096] = "", *pa, *pb, *paths[2];
	char			 out[] = "/tmp/ksreplay-XXXXXX", *text, *p;
	struct engine		*e;
	struct replay_opts	 ro = { NULL, 0, 1 };
	int			 i, n = 0;
	char			 last[64] = "";

	/* a.log has the even seconds, b.log the odd ones */
	for (i = 0; i < 30; i += 2)
		strcat(a, line(i, "/a"));
	for (i = 1; i < 30; i += 2)
		strcat(b, line(i, "/b"));
	pa = ks_tempfile(".log", a, strlen(a));
	pb = ks_tempfile(".log", b, strlen(b));
	close(mkstemp(out));
	e = engine_for(out, "");
	paths[0] = pa;
	paths[1] = pb;
	ck_assert_int_eq(replay_run(e, paths, 2, &ro), 0);
	engine_fini(e);
	text = ks_slurp(out, NULL);
	/* one alert a line, in event-time order, alternating files */
	for (p = text; p != NULL && *p != '\0'; p = strchr(p, '\n')) {
		char ts[64];
		if (*p == '\n')
			p++;
		if (*p == '\0')
			break;
		ck_assert_int_eq(strncmp(p, "{\"@timestamp\":\"", 15), 0);
		snprintf(ts, sizeof(ts), "%.24s", p + 15);
		ck_assert_msg(strcmp(last, ts) < 0, "%s after %s", ts, last);
		strcpy(last, ts);
		ck_assert_ptr_nonnull(strstr(p, n % 2 ? "\"url\":{\"path\":"
		    "\"/b\"}" : "\"url\":{\"path\":\"/a\"}"));
		n++;
	}
	ck_assert_int_eq(n, 30);
	free(text);
	unlink(out);
	unlink(pa);
	unlink(pb);
	free(pa);
	free(pb);
}
END_TEST

START_TEST(unreadable_file_gives_status_2)
{
	char			 out[] = "/tmp/ksreplay-XXXXXX";
	char			*good = ks_tempfile(".log", line(1, "/x"),
				    strlen(line(1, "/x")));
	char			*paths[2] = { "/nonexistent/a.log", good };
	char			*text;
	struct engine		*e;
	struct replay_opts	 ro = { NULL, 0, 1 };

	close(mkstemp(out));
	e = engine_for(out, "");
	ck_assert_int_eq(replay_run(e, paths, 2, &ro), 2);
	engine_fini(e);
	text = ks_slurp(out, NULL);
	ck_assert_ptr_nonnull(strstr(text, "\"rule\":{\"id\":\"every\""));
	free(text);
	unlink(out);
	unlink(good);
	free(good);
}
END_TEST

START_TEST(decoder_follows_the_config_source)
{
	struct engine		*e = engine_for("-", "");
	const struct decoder_opts *o;

	o = replay_decoder_opts(e->cfg, "/tmp/incident/access.log.2.gz");
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(o->format, "clf");
	ck_assert_ptr_nonnull(replay_decoder_opts(e->cfg, "access.log"));
	ck_assert_ptr_null(replay_decoder_opts(e->cfg, "access.logger"));
	ck_assert_ptr_null(replay_decoder_opts(e->cfg, "error.log"));
	engine_fini(e);
}
END_TEST

static Suite *
replay_suite(void)
{
	Suite	*s = suite_create("replay");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, merges_in_event_time);
	tcase_add_test(tc, unreadable_file_gives_status_2);
	tcase_add_test(tc, decoder_follows_the_config_source);
	suite_add_tcase(s, tc);
	return s;
}

KS_CHECK_MAIN(replay_suite)
