/*
 * Unit tests for stats.c: the Prometheus textfile is well formed (every
 * sample has a TYPE before it, label values are escaped), carries the
 * daemon's figures, and is replaced whole.
 */
#include "autoconfig.h"

#include <dirent.h>
#include <sys/stat.h>
#include <event2/event.h>

#include "check_common.h"
#include "config.h"
#include "engine.h"
#include "follow.h"
#include "rules.h"
#include "state.h"
#include "stats.h"
#include "util.h"

struct fx {
	char			 dir[64], prom[128];
	struct engine		 e;
	struct event_base	*base;
	struct state		*state;
	struct follow		*follow;
};

static void	h_event(void *a, struct event *ev, int w)
		    { (void)a; (void)ev; (void)w; }
static uint32_t	h_input(void *a, const char *n) { (void)a; (void)n; return 0; }
static int64_t	h_clock(void *a) { (void)a; return 0; }
static void	h_finished(void *a) { (void)a; }
static void	h_lines(void *a, size_t i) { (void)a; (void)i; }

static void
setup(struct fx *x)
{
	struct follow_opts	 fo = { 0, KS_NSEC_PER_SEC, KS_NSEC_PER_SEC,
				    1 << 20, 0 };
	struct follow_hooks	 fh = { h_event, h_input, h_clock, h_finished,
				    h_lines };
	char			 text[2048], err[256], sd[128];
	struct ydiag		 d;
	struct config		*cfg;
	struct ruleset		*rs;
	char			*conf;

	memset(x, 0, sizeof(*x));
	strcpy(x->dir, "/tmp/kstest-stats-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(x->dir));
	snprintf(x->prom, sizeof(x->prom), "%s/keysentry.prom", x->dir);
	snprintf(sd, sizeof(sd), "%s/state", x->dir);
	/* a source name that needs escaping in a label */
	snprintf(text, sizeof(text),
	    "rules: [%s/rules]\n"
	    "endpoints: [{name: kratos-reload, path: /internal/kratos/reload}]\n"
	    "sources:\n"
	    "  - {type: file, path: '%s/we\"ird\\dir/a.log'}\n",
	    ks_srcdir(), x->dir);
	conf = ks_tempfile(".yml", text, strlen(text));
	ydiag_init(&d, conf);
	cfg = config_load(conf, &d);
	ck_assert_msg(cfg != NULL, "%s", d.n ? d.msgs[0] : "?");
	rs = ruleset_load(cfg, &d);
	ck_assert_msg(rs != NULL, "%s", d.n ? d.msgs[0] : "?");
	ydiag_free(&d);
	unlink(conf);
	free(conf);
	ck_assert_int_eq(engine_init(&x->e, cfg, rs, "/dev/null", err,
	    sizeof(err)), 0);
	x->base = event_base_new();
	x->state = state_open(sd, err, sizeof(err));
	ck_assert_ptr_nonnull(x->state);
	x->follow = follow_new(x->base, x->state, &fo, &fh, x);
	ck_assert_int_eq(follow_configure(x->follow, cfg, rs, 4096, err,
	    sizeof(err)), 0);
}

static void
teardown(struct fx *x)
{
	follow_free(x->follow);
	state_close(x->state);
	event_base_free(x->base);
	engine_fini(&x->e);
	ks_rmtree(x->dir);
}

/* The value of the sample whose line starts with prefix, or -2. */
static double
sample(const char *text, const char *prefix)
{
	const char *p = text;

	while ((p = strstr(p, prefix)) != NULL) {
		if ((p == text || p[-1] == '\n') &&
		    (p[strlen(prefix)] == ' '))
			return strtod(p + strlen(prefix) + 1, NULL);
		p++;
	}
	return -2;
}

/* Every sample's metric has a # TYPE line before it. */
static void
well_formed(char *text)
{
	char	*line, *save = NULL, typed[64][80];
	size_t	 ntyped = 0, i, n;
	int	 samples = 0;

	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "# TYPE ", 7) == 0) {
			ck_assert_uint_lt(ntyped, 64);
			n = strcspn(line + 7, " ");
			ck_assert_uint_lt(n, 80);
			memcpy(typed[ntyped], line + 7, n);
			typed[ntyped++][n] = '\0';
			continue;
		}
		if (line[0] == '#')
			continue;
		n = strcspn(line, "{ ");
		for (i = 0; i < ntyped; i++)
			if (strlen(typed[i]) == n &&
			    strncmp(typed[i], line, n) == 0)
				break;
		ck_assert_msg(i < ntyped, "no TYPE before: %s", line);
		ck_assert_msg(strrchr(line, ' ') != NULL, "no value: %s", line);
		samples++;
	}
	ck_assert_int_gt(samples, 20);
}

START_TEST(textfile)
{
	struct fx		 x;
	struct stats_daemon	 sd;
	int			 silent[1] = { 1 };
	char			*text, label[512];
	size_t			 len;

	setup(&x);
	memset(&sd, 0, sizeof(sd));
	sd.started = INT64_C(1763625600) * KS_NSEC_PER_SEC;
	sd.reloads_ok = 3;
	sd.reloads_failed = 2;
	sd.silent = silent;
	ck_assert_int_eq(stats_write(x.prom, &x.e, x.follow, &sd), 0);
	text = ks_slurp(x.prom, &len);
	ck_assert_ptr_nonnull(text);
	ck_assert_double_eq(sample(text, "keysentry_start_time_seconds"),
	    1763625600.0);
	ck_assert_double_eq(sample(text,
	    "keysentry_config_reloads_total{result=\"ok\"}"), 3);
	ck_assert_double_eq(sample(text,
	    "keysentry_config_reloads_total{result=\"failed\"}"), 2);
	ck_assert_double_eq(sample(text,
	    "keysentry_alerts_total{rule=\"reload-rate\"}"), 0);
	snprintf(label, sizeof(label), "keysentry_source_silent{source=\"%s/"
	    "we\\\"ird\\\\dir/a.log\"}", x.dir);
	ck_assert_msg(sample(text, label) == 1, "%s not in\n%s", label, text);
	snprintf(label, sizeof(label), "keysentry_source_last_line_age_seconds"
	    "{source=\"%s/we\\\"ird\\\\dir/a.log\"}", x.dir);
	ck_assert_double_eq(sample(text, label), -1);	/* no line yet */
	/* no DNS names configured: no DNS metrics */
	ck_assert_ptr_null(strstr(text, "keysentry_dns_"));
	well_formed(text);
	free(text);
	/* written by rename: only the file itself and the state dir */
	{
		DIR		*d = opendir(x.dir);
		struct dirent	*de;
		int		 n = 0;
		while ((de = readdir(d)) != NULL)
			n += de->d_name[0] != '.';
		closedir(d);
		ck_assert_int_eq(n, 2);
	}
	teardown(&x);
}
END_TEST

START_TEST(unwritable)
{
	struct fx		x;
	struct stats_daemon	sd;

	setup(&x);
	memset(&sd, 0, sizeof(sd));
	ck_assert_int_eq(stats_write("/nonexistent/dir/keysentry.prom", &x.e,
	    x.follow, &sd), -1);
	/* and again: still -1, logged once (not checked here) */
	ck_assert_int_eq(stats_write("/nonexistent/dir/keysentry.prom", &x.e,
	    x.follow, &sd), -1);
	ck_assert_int_eq(stats_write(x.prom, &x.e, x.follow, &sd), 0);
	teardown(&x);
}
END_TEST

static Suite *
stats_suite(void)
{
	Suite	*s = suite_create("stats");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, textfile);
	tcase_add_test(tc, unwritable);
	suite_add_tcase(s, tc);
	return s;
}

KS_CHECK_MAIN(stats_suite)
