/*
 * Unit tests for detect.c over the memory store: thresholds, windows,
 * cooldowns, distinct counts, sequences, lateness, evidence and bounds.
 * Each test states the events and the alerts it expects.
 */
#include "autoconfig.h"

#include "check_common.h"
#include "detect.h"
#include "enrich.h"

#define S	INT64_C(1000000000)
#define T0	(INT64_C(1790000000) * S)

struct fixture {
	struct config	*cfg;
	struct ruleset	*rs;
	struct store	*store;
	struct detect	*dt;
	int		 nalerts;
	char		 rule[16][64];
	uint64_t	 count[16];
	int64_t		 ts[16], first[16];
	char		 src[16][64];
	size_t		 nevidence[16], ndistinct[16];
	int64_t		 ev_first_ts[16];
	int		 rollup[16];
	int64_t		 last[16];
};

static void
on_alert(void *arg, const struct alert *al)
{
	struct fixture	*f = arg;
	int		 i = f->nalerts;
	size_t		 g;

	ck_assert_int_lt(i, 16);
	snprintf(f->rule[i], sizeof(f->rule[i]), "%s", al->rule->id);
	f->count[i] = al->count;
	f->ts[i] = al->ts;
	f->first[i] = al->first_seen;
	f->last[i] = al->last_seen;
	f->rollup[i] = al->rollup;
	f->src[i][0] = '\0';
	for (g = 0; g < al->ngroup; g++)
		if (al->group_fields[g] == EVF_SOURCE_IP)
			snprintf(f->src[i], sizeof(f->src[i]), "%s",
			    al->group_values[g]);
	f->nevidence[i] = al->nevidence;
	f->ndistinct[i] = al->ndistinct;
	f->ev_first_ts[i] = al->nevidence ? al->evidence[0].ts : 0;
	/* evidence is oldest first */
	for (g = 1; g < al->nevidence; g++)
		ck_assert_int_le(al->evidence[g - 1].ts, al->evidence[g].ts);
	f->nalerts++;
}

static void
setup(struct fixture *f, const char *extra_config)
{
	char			 text[8192], err[256];
	struct ydiag		 d;
	char			*path;
	struct store_limits	 lim;

	memset(&lim, 0, sizeof(lim));
	lim.entries = 1000;
	memset(f, 0, sizeof(*f));
	snprintf(text, sizeof(text),
	    "rules: [%s]\n"
	    "endpoints:\n"
	    "  - name: kratos-reload\n"
	    "    method: POST\n"
	    "    path: /internal/kratos/reload\n"
	    "    allowed_sources: [10.89.1.10/32]\n%s",
	    ks_fixture("rules"), extra_config ? extra_config : "");
	path = ks_tempfile(".yml", text, strlen(text));
	ydiag_init(&d, path);
	f->cfg = config_load(path, &d);
	ck_assert_msg(f->cfg != NULL, "%s", d.n ? d.msgs[0] : "");
	f->rs = ruleset_load(f->cfg, &d);
	ck_assert_msg(f->rs != NULL, "%s", d.n ? d.msgs[0] : "");
	ydiag_free(&d);
	unlink(path);
	free(path);
	lim.entries = f->cfg->limits.store_entries;
	f->store = store_open("memory", &lim, err, sizeof(err));
	f->dt = detect_new(f->cfg, f->rs, f->store, on_alert, f);
}

static void
teardown(struct fixture *f)
{
	detect_free(f->dt);
	store_close(f->store);
	ruleset_free(f->rs);
	config_free(f->cfg);
}

static int
feed(struct fixture *f, int64_t t, const char *src, const char *method,
    int status)
{
	struct event ev;

	event_clear(&ev);
	ev.ts = t;
	ev.flags |= EV_HAS_TIME;
	if (src != NULL) {
		addr_parse(src, strlen(src), &ev.src);
		ev.flags |= EV_HAS_SRC;
	}
	event_set_method(&ev, method, strlen(method));
	event_set_path(&ev, "/internal/kratos/reload", 23);
	ev.status = status;
	ev.flags |= EV_HAS_STATUS;
	enrich_endpoint(f->cfg, &ev);
	return detect_event(f->dt, &ev);
}

static int
count_rule(const struct fixture *f, const char *id)
{
	int i, n = 0;

	for (i = 0; i < f->nalerts; i++)
		n += strcmp(f->rule[i], id) == 0;
	return n;
}

START_TEST(burst_fires_once_at_the_fifth_rejection)
{
	struct fixture	f;
	int		i;

	setup(&f, NULL);
	for (i = 0; i < 4; i++)
		feed(&f, T0 + i * S, "10.89.1.10", "POST", 401);
	ck_assert_int_eq(count_rule(&f, "reload-401-burst"), 0);
	feed(&f, T0 + 4 * S, "10.89.1.10", "POST", 401);
	ck_assert_int_eq(f.nalerts, 1);
	ck_assert_str_eq(f.rule[0], "reload-401-burst");
	ck_assert_str_eq(f.src[0], "10.89.1.10");
	ck_assert_uint_eq(f.count[0], 5);
	ck_assert_int_eq(f.ts[0], T0 + 4 * S);
	ck_assert_int_eq(f.first[0], T0);
	ck_assert_uint_eq(f.nevidence[0], 5);
	/* more in the cooldown: suppressed, not raised */
	for (i = 5; i < 50; i++)
		feed(&f, T0 + i * S, "10.89.1.10", "POST", 401);
	ck_assert_int_eq(count_rule(&f, "reload-401-burst"), 1);
	/*
	 * The first event after the 10 min cooldown ends it: one roll-up
	 * of the 45 held back, at the cooldown's end, then a new burst
	 * raises again.
	 */
	for (i = 0; i < 5; i++)
		feed(&f, T0 + 700 * S + i * S, "10.89.1.10", "POST", 403);
	ck_assert_int_eq(count_rule(&f, "reload-401-burst"), 3);
	ck_assert(f.rollup[1] && !f.rollup[0] && !f.rollup[2]);
	ck_assert_uint_eq(f.count[1], 45);
	ck_assert_int_eq(f.ts[1], T0 + 604 * S);
	ck_assert_int_eq(f.first[1], T0 + 5 * S);
	ck_assert_int_eq(f.last[1], T0 + 49 * S);
	ck_assert_str_eq(f.src[1], "10.89.1.10");
	ck_assert_uint_eq(f.nevidence[1], 1);	/* the last held back */
	ck_assert_int_eq(f.ev_first_ts[1], T0 + 49 * S);
	ck_assert_int_eq(f.ts[2], T0 + 704 * S);
	ck_assert_int_eq(detect_rule_stats(f.dt)[ruleset_rule(f.rs,
	    "reload-401-burst") - f.rs->rules].suppressed, 45);
	ck_assert_int_eq(detect_rule_stats(f.dt)[ruleset_rule(f.rs,
	    "reload-401-burst") - f.rs->rules].rollups, 1);
	teardown(&f);
}
END_TEST

/*
 * A cooldown that held nothing back ends without a roll-up; one that did
 * rolls up once, each group on its own, however long event time jumps.
 */
START_TEST(rollup_only_when_something_was_held_back)
{
	struct fixture	f;

	setup(&f, NULL);
	feed(&f, T0, "10.89.1.98", "POST", 200);	/* unexpected source */
	feed(&f, T0 + S, "10.89.1.99", "POST", 200);
	feed(&f, T0 + 2 * S, "10.89.1.99", "POST", 200);	/* held */
	feed(&f, T0 + 3 * S, "10.89.1.99", "POST", 401);	/* held */
	ck_assert_int_eq(f.nalerts, 2);
	/* an hour later: both cooldowns are over, .99 held back two */
	feed(&f, T0 + 3600 * S, "10.89.1.10", "POST", 200);
	ck_assert_int_eq(f.nalerts, 3);
	ck_assert(f.rollup[2]);
	ck_assert_str_eq(f.rule[2], "reload-unexpected-source");
	ck_assert_str_eq(f.src[2], "10.89.1.99");
	ck_assert_uint_eq(f.count[2], 2);
	ck_assert_int_eq(f.first[2], T0 + 2 * S);
	ck_assert_int_eq(f.last[2], T0 + 3 * S);
	ck_assert_int_eq(f.ts[2], T0 + S + 600 * S);
	/* nothing more: the roll-up is not repeated */
	feed(&f, T0 + 7200 * S, "10.89.1.10", "POST", 200);
	ck_assert_int_eq(f.nalerts, 3);
	teardown(&f);
}
END_TEST

START_TEST(burst_needs_the_same_source_and_the_window)
{
	struct fixture	f;
	int		i;
	char		ip[32];

	/* 5 rejections within 10 s, but from 5 sources */
	setup(&f, "rule_overrides: {reload-unexpected-source: "
	    "{enabled: false}}\n");
	for (i = 0; i < 5; i++) {
		snprintf(ip, sizeof(ip), "10.89.2.%d", i + 1);
		feed(&f, T0 + i * S, ip, "POST", 401);
	}
	ck_assert_int_eq(count_rule(&f, "reload-401-burst"), 0);
	teardown(&f);

	/* 5 from one source but spread over 61 s: 4 in any 60 s window */
	setup(&f, NULL);
	for (i = 0; i < 5; i++)
		feed(&f, T0 + i * 15 * S + (i == 4) * S, "10.89.1.10", "POST",
		    401);
	ck_assert_int_eq(count_rule(&f, "reload-401-burst"), 0);
	teardown(&f);
}
END_TEST

START_TEST(distributed_counts_sources)
{
	struct fixture	f;
	char		ip[32];
	int		i;

	setup(&f, "rule_overrides: {reload-unexpected-source: "
	    "{enabled: false}}\n");
	for (i = 0; i < 9; i++) {
		snprintf(ip, sizeof(ip), "192.0.2.%d", i + 1);
		feed(&f, T0 + i * 60 * S, ip, "POST", 401);
		feed(&f, T0 + i * 60 * S + S, ip, "POST", 401);
	}
	ck_assert_int_eq(f.nalerts, 0);
	feed(&f, T0 + 9 * 60 * S, "192.0.2.200", "POST", 401);
	ck_assert_int_eq(f.nalerts, 1);
	ck_assert_str_eq(f.rule[0], "reload-401-distributed");
	ck_assert_uint_eq(f.count[0], 10);
	ck_assert_str_eq(f.src[0], "");		/* grouped by endpoint only */
	ck_assert_uint_eq(f.ndistinct[0], 10);
	teardown(&f);

	/* the same ten sources spread over more than 10 minutes: nothing */
	setup(&f, "rule_overrides: {reload-unexpected-source: "
	    "{enabled: false}}\n");
	for (i = 0; i < 10; i++) {
		snprintf(ip, sizeof(ip), "192.0.2.%d", i + 1);
		feed(&f, T0 + i * 67 * S, ip, "POST", 401);
	}
	ck_assert_int_eq(f.nalerts, 0);
	teardown(&f);
}
END_TEST

START_TEST(rate_counts_accepted_posts)
{
	struct fixture	f;
	int		i;

	setup(&f, NULL);
	/* an admin saving five connections in two minutes: nothing */
	for (i = 0; i < 5; i++)
		feed(&f, T0 + i * 24 * S, "10.89.1.10", "POST", 200);
	ck_assert_int_eq(f.nalerts, 0);
	/* a GET that happens to succeed is not a reload */
	feed(&f, T0 + 130 * S, "10.89.1.10", "GET", 200);
	ck_assert_int_eq(f.nalerts, 0);
	feed(&f, T0 + 140 * S, "10.89.1.10", "POST", 204);
	ck_assert_int_eq(f.nalerts, 1);
	ck_assert_str_eq(f.rule[0], "reload-rate");
	ck_assert_uint_eq(f.count[0], 6);
	teardown(&f);
}
END_TEST

START_TEST(unexpected_source)
{
	struct fixture	f;

	setup(&f, NULL);
	feed(&f, T0, "10.89.1.10", "POST", 200);
	ck_assert_int_eq(f.nalerts, 0);
	feed(&f, T0 + S, "10.89.1.99", "POST", 401);
	ck_assert_int_eq(f.nalerts, 1);
	ck_assert_str_eq(f.rule[0], "reload-unexpected-source");
	ck_assert_str_eq(f.src[0], "10.89.1.99");
	feed(&f, T0 + 2 * S, "10.89.1.99", "GET", 404);	/* cooldown */
	ck_assert_int_eq(f.nalerts, 1);
	feed(&f, T0 + 3 * S, "10.89.1.98", "POST", 200);	/* other group */
	ck_assert_int_eq(f.nalerts, 2);
	teardown(&f);
}
END_TEST

START_TEST(guess_success_sequence)
{
	struct fixture	f;

	setup(&f, NULL);
	/* success first, then rejections: no sequence */
	feed(&f, T0, "10.89.1.10", "POST", 200);
	feed(&f, T0 + S, "10.89.1.10", "POST", 401);
	feed(&f, T0 + 2 * S, "10.89.1.10", "POST", 401);
	ck_assert_int_eq(count_rule(&f, "reload-guess-success"), 0);
	/* a third rejection, then success: fires */
	feed(&f, T0 + 3 * S, "10.89.1.10", "POST", 401);
	feed(&f, T0 + 4 * S, "10.89.1.10", "POST", 200);
	ck_assert_int_eq(count_rule(&f, "reload-guess-success"), 1);
	ck_assert_uint_eq(f.count[0], 3);
	ck_assert_int_eq(f.first[0], T0 + S);
	teardown(&f);

	/* rejections older than 10 minutes do not count */
	setup(&f, NULL);
	feed(&f, T0, "10.89.1.10", "POST", 401);
	feed(&f, T0 + S, "10.89.1.10", "POST", 401);
	feed(&f, T0 + 2 * S, "10.89.1.10", "POST", 401);
	feed(&f, T0 + 601 * S, "10.89.1.10", "POST", 200);
	ck_assert_int_eq(f.nalerts, 0);
	/* rejections of another source do not count either */
	feed(&f, T0 + 602 * S, "10.89.1.10", "POST", 401);
	feed(&f, T0 + 603 * S, "10.89.1.10", "POST", 401);
	feed(&f, T0 + 604 * S, "10.89.1.11", "POST", 401);
	f.nalerts = 0;
	feed(&f, T0 + 605 * S, "10.89.1.10", "POST", 200);
	ck_assert_int_eq(count_rule(&f, "reload-guess-success"), 0);
	teardown(&f);
}
END_TEST

START_TEST(late_events_are_dropped_and_counted)
{
	struct fixture		f;
	struct detect_stats	st;

	setup(&f, NULL);
	ck_assert_int_eq(feed(&f, T0 + 100 * S, "10.89.1.10", "POST", 200), 0);
	ck_assert_int_eq(feed(&f, T0 + 96 * S, "10.89.1.10", "POST", 200), 0);
	ck_assert_int_eq(feed(&f, T0 + 94 * S, "10.89.1.10", "POST", 200), 1);
	detect_stats(f.dt, &st);
	ck_assert_uint_eq(st.events, 3);
	ck_assert_uint_eq(st.late, 1);
	ck_assert_int_eq(detect_clock(f.dt), T0 + 100 * S);
	teardown(&f);
}
END_TEST

START_TEST(evidence_is_bounded_and_in_window)
{
	struct fixture	f;
	int		i;

	setup(&f, "limits: {evidence: 3}\n");
	feed(&f, T0, "10.89.1.10", "POST", 401);	/* leaves the window */
	for (i = 0; i < 5; i++)
		feed(&f, T0 + 100 * S + i * S, "10.89.1.10", "POST", 401);
	ck_assert_int_eq(count_rule(&f, "reload-401-burst"), 1);
	ck_assert_uint_eq(f.nevidence[0], 3);
	ck_assert_int_eq(f.ev_first_ts[0], T0 + 102 * S);
	teardown(&f);
}
END_TEST

START_TEST(groups_are_bounded)
{
	struct fixture		f;
	struct detect_stats	st;
	char			ip[32];
	int			i;

	setup(&f, "limits: {groups: 100, store_entries: 100}\n"
	    "rule_overrides: {reload-unexpected-source: {enabled: false}}\n");
	for (i = 0; i < 5000; i++) {
		snprintf(ip, sizeof(ip), "fd00:66::%x", i);
		feed(&f, T0 + i * (S / 1000), ip, "POST", 401);
	}
	detect_stats(f.dt, &st);
	ck_assert_uint_le(st.groups, 100);
	ck_assert_uint_gt(st.group_evictions, 4000);
	teardown(&f);
}
END_TEST

START_TEST(override_changes_threshold)
{
	struct fixture	f;
	int		i;

	setup(&f, "rule_overrides: {reload-401-burst: {threshold: 2, "
	    "window: 5s, cooldown: 0s}}\n");
	feed(&f, T0, "10.89.1.10", "POST", 401);
	feed(&f, T0 + 6 * S, "10.89.1.10", "POST", 401);
	ck_assert_int_eq(count_rule(&f, "reload-401-burst"), 0);
	for (i = 0; i < 3; i++)
		feed(&f, T0 + 7 * S + i * S, "10.89.1.10", "POST", 401);
	/* cooldown 0: every event at or over the threshold alerts */
	ck_assert_int_eq(count_rule(&f, "reload-401-burst"), 3);
	teardown(&f);
}
END_TEST

static Suite *
detect_suite(void)
{
	Suite	*s = suite_create("detect");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, burst_fires_once_at_the_fifth_rejection);
	tcase_add_test(tc, rollup_only_when_something_was_held_back);
	tcase_add_test(tc, burst_needs_the_same_source_and_the_window);
	tcase_add_test(tc, distributed_counts_sources);
	tcase_add_test(tc, rate_counts_accepted_posts);
	tcase_add_test(tc, unexpected_source);
	tcase_add_test(tc, guess_success_sequence);
	tcase_add_test(tc, late_events_are_dropped_and_counted);
	tcase_add_test(tc, evidence_is_bounded_and_in_window);
	tcase_add_test(tc, groups_are_bounded);
	tcase_add_test(tc, override_changes_threshold);
	suite_add_tcase(s, tc);
	return s;
}

KS_CHECK_MAIN(detect_suite)
