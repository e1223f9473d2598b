/*
 * Unit tests for follow.c, in process: a real libevent loop, real files
 * in a temporary directory, inotify and polling.  Each line carries its
 * number in the last two bytes of its source address, so that the tests
 * see order, losses and duplicates.  The loop runs until the expected
 * events arrived or a deadline passed (a failure, not a timing claim).
 */
#include "autoconfig.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <event2/event.h>

#include "check_common.h"
#include "config.h"
#include "follow.h"
#include "rules.h"
#include "state.h"
#include "util.h"

#define MAXN		30000
#define DEADLINE_S	20

struct fx {
	char			*dir, *log, *statedir;
	struct config		*cfg;
	struct ruleset		*rs;
	struct event_base	*base;
	struct state		*state;
	struct follow		*follow;
	struct event		*tick, *deadline;
	unsigned int		 seen[MAXN + 1];	/* per line number */
	unsigned int		 nev, want, warm;
	unsigned int		 last;		/* order check */
	int			 out_of_order, finished, timed_out;
	unsigned int		 warm_last;	/* the same, in warm-ups */
	int			 warm_out_of_order;
	int64_t			 rotate_wait, warmup;	/* 0: defaults */
	void			(*step)(struct fx *);	/* on every tick */
};

static void
hook_event(void *arg, struct event *ev, int warm)
{
	struct fx	*x = arg;
	unsigned int	 n;

	ck_assert_int_eq(ev->src.family, 4);
	n = (unsigned int)ev->src.bytes[2] << 8 | ev->src.bytes[3];
	ck_assert_uint_le(n, MAXN);
	if (warm) {
		if (n < x->warm_last)
			x->warm_out_of_order = 1;
		x->warm_last = n;
		x->warm++;
		return;
	}
	x->seen[n]++;
	if (n < x->last)
		x->out_of_order = 1;
	x->last = n;
	x->nev++;
}

static uint32_t
hook_input(void *arg, const char *name)
{
	(void)arg;
	(void)name;
	return 0;
}

static int64_t
hook_clock(void *arg)
{
	(void)arg;
	return 0;
}

static void
hook_finished(void *arg)
{
	struct fx *x = arg;

	x->finished = 1;
}

static void
hook_lines(void *arg, size_t i)
{
	(void)arg;
	(void)i;
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct fx *x = arg;

	(void)fd;
	(void)what;
	if (x->step != NULL)
		x->step(x);
	if (x->nev >= x->want)
		event_base_loopbreak(x->base);
}

static void
on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct fx *x = arg;

	(void)fd;
	(void)what;
	x->timed_out = 1;
	event_base_loopbreak(x->base);
}

static void
line(FILE *f, unsigned int n)
{
	fprintf(f, "{\"time\":\"2026-11-20T08:%02u:%02u.000Z\",\"remote_addr\":"
	    "\"10.0.%u.%u\",\"method\":\"POST\",\"path\":"
	    "\"/internal/kratos/reload\",\"status\":200}\n", n / 60 % 60,
	    n % 60, n >> 8, n & 0xff);
}

static void
append(const char *path, unsigned int from, unsigned int to)
{
	FILE		*f = fopen(path, "a");
	unsigned int	 n;

	ck_assert_ptr_nonnull(f);
	for (n = from; n <= to; n++)
		line(f, n);
	fclose(f);
}

static void
setup(struct fx *x, const char *source_extra)
{
	char		 text[4096];
	struct ydiag	 d;
	char		*conf;

	memset(x, 0, sizeof(*x));
	x->dir = ks_tempdir();
	x->log = malloc(strlen(x->dir) + 16);
	sprintf(x->log, "%s/access.log", x->dir);
	x->statedir = malloc(strlen(x->dir) + 16);
	sprintf(x->statedir, "%s/state", x->dir);
	snprintf(text, sizeof(text),
	    "rules: [%s/rules]\n"
	    "endpoints:\n"
	    "  - {name: kratos-reload, method: POST, "
	    "path: /internal/kratos/reload}\n"
	    "sources:\n"
	    "  - {type: file, path: %s, format: flat%s}\n",
	    ks_srcdir(), x->log, source_extra);
	conf = ks_tempfile(".yml", text, strlen(text));
	ydiag_init(&d, conf);
	x->cfg = config_load(conf, &d);
	ck_assert_msg(x->cfg != NULL, "%s", d.n ? d.msgs[0] : "?");
	x->rs = ruleset_load(x->cfg, &d);
	ck_assert_msg(x->rs != NULL, "%s", d.n ? d.msgs[0] : "?");
	ydiag_free(&d);
	unlink(conf);
	free(conf);
}

/* Starts following (again, after a restart: a new loop and state). */
static void
start(struct fx *x, int from_start)
{
	struct follow_opts	 fo = { from_start, x->rotate_wait ?
				    x->rotate_wait : KS_NSEC_PER_SEC / 5,
				    KS_NSEC_PER_SEC / 20, UINT64_C(1) << 30,
				    x->warmup };
	struct follow_hooks	 fh = { hook_event, hook_input, hook_clock,
				    hook_finished, hook_lines };
	struct timeval		 tick = { 0, 10000 }, dl = { DEADLINE_S, 0 };
	char			 err[256];

	x->base = event_base_new();
	x->state = state_open(x->statedir, err, sizeof(err));
	ck_assert_msg(x->state != NULL, "%s", err);
	x->follow = follow_new(x->base, x->state, &fo, &fh, x);
	ck_assert_int_eq(follow_configure(x->follow, x->cfg, x->rs,
	    x->cfg->limits.max_line, err, sizeof(err)), 0);
	x->tick = event_new(x->base, -1, EV_PERSIST, on_tick, x);
	event_add(x->tick, &tick);
	x->deadline = evtimer_new(x->base, on_deadline, x);
	event_add(x->deadline, &dl);
}

/* Runs the loop until want events arrived; fails on the deadline. */
static void
run_until(struct fx *x, unsigned int want, const char *what)
{
	x->want = want;
	event_base_dispatch(x->base);
	ck_assert_msg(!x->timed_out, "%s: %u of %u events after %d s", what,
	    x->nev, want, DEADLINE_S);
}

static void
stop(struct fx *x)
{
	follow_save(x->follow);
	follow_free(x->follow);
	event_free(x->tick);
	event_free(x->deadline);
	state_close(x->state);
	event_base_free(x->base);
	x->follow = NULL;
}

static void
teardown(struct fx *x)
{
	if (x->follow != NULL)
		stop(x);
	ruleset_free(x->rs);
	config_free(x->cfg);
	ks_rmtree(x->dir);
	free(x->dir);
	free(x->log);
	free(x->statedir);
}

/* Every line from..to exactly once, in order. */
static void
all_once(struct fx *x, unsigned int from, unsigned int to)
{
	unsigned int n;

	for (n = from; n <= to; n++)
		ck_assert_msg(x->seen[n] == 1, "line %u seen %u times", n,
		    x->seen[n]);
	ck_assert_msg(!x->out_of_order, "lines out of order");
}

START_TEST(start_at_end_then_follow)
{
	struct fx x;

	setup(&x, "");
	append(x.log, 1, 50);
	start(&x, 0);
	append(x.log, 51, 80);
	run_until(&x, 30, "appended lines");
	ck_assert_uint_eq(x.nev, 30);
	all_once(&x, 51, 80);
	ck_assert_uint_eq(x.seen[50], 0);	/* before the start */
	teardown(&x);
}
END_TEST

START_TEST(from_start_reads_whole_files)
{
	struct fx x;

	setup(&x, "");
	append(x.log, 1, 200);
	start(&x, 1);
	run_until(&x, 200, "the whole file");
	all_once(&x, 1, 200);
	teardown(&x);
}
END_TEST

START_TEST(a_file_that_appears_later)
{
	struct fx x;

	setup(&x, "");
	start(&x, 0);
	append(x.log, 1, 10);		/* created after the start */
	run_until(&x, 10, "a new file");
	all_once(&x, 1, 10);
	teardown(&x);
}
END_TEST

/* Rotation methods, driven from the tick: write, rotate, write. */
static unsigned int	 rot_phase;
static const char	*rot_method;

static void
rotate_step(struct fx *x)
{
	char old[4096];

	if (rot_phase != 1 || x->nev < 100)
		return;
	rot_phase = 2;
	snprintf(old, sizeof(old), "%s.1", x->log);
	if (strcmp(rot_method, "rename") == 0) {
		append(x->log, 101, 120);	/* written just before */
		ck_assert_int_eq(rename(x->log, old), 0);
		append(old, 121, 130);		/* late writer, old file */
		append(x->log, 131, 200);
	} else if (strcmp(rot_method, "copytruncate") == 0) {
		size_t	 len = 0;
		char	*text;
		FILE	*f;
		append(x->log, 101, 130);
		text = ks_slurp(x->log, &len);
		f = fopen(old, "w");
		fwrite(text, 1, len, f);
		fclose(f);
		free(text);
		ck_assert_int_eq(truncate(x->log, 0), 0);
		append(x->log, 131, 200);
	} else if (strcmp(rot_method, "delete") == 0) {
		append(x->log, 101, 130);
		ck_assert_int_eq(unlink(x->log), 0);
		append(x->log, 131, 200);
	}
}

static void
rotation(const char *method)
{
	struct fx x;

	setup(&x, "");
	append(x.log, 1, 100);
	start(&x, 1);
	rot_phase = 1;
	rot_method = method;
	x.step = rotate_step;
	run_until(&x, 200, method);
	all_once(&x, 1, 200);
	teardown(&x);
}

START_TEST(rotate_by_rename)
{
	rotation("rename");
}
END_TEST

START_TEST(rotate_by_copytruncate)
{
	rotation("copytruncate");
}
END_TEST

START_TEST(rotate_by_delete)
{
	rotation("delete");
}
END_TEST

START_TEST(polling_when_asked)
{
	struct fx			x;
	struct follow_source_stats	st;

	setup(&x, ", poll: true");
	append(x.log, 1, 20);
	start(&x, 1);
	follow_source_stats(x.follow, 0, &st);
	ck_assert_int_eq(st.polling, 1);
	run_until(&x, 20, "polled start");
	append(x.log, 21, 40);
	run_until(&x, 40, "polled appends");
	all_once(&x, 1, 40);
	teardown(&x);
}
END_TEST

/* A restart resumes at the saved offset: nothing twice, nothing lost. */
START_TEST(restart_resumes)
{
	struct fx			x;
	struct follow_source_stats	st;

	setup(&x, "");
	append(x.log, 1, 60);
	start(&x, 1);
	run_until(&x, 60, "first run");
	stop(&x);
	append(x.log, 61, 90);		/* written while stopped */
	start(&x, 0);
	run_until(&x, 90, "after the restart");
	all_once(&x, 1, 90);
	follow_source_stats(x.follow, 0, &st);
	ck_assert_uint_eq(st.lines, 90);	/* consumed, across restarts */
	teardown(&x);
}
END_TEST

/* A different file that took the name and size: read from its start. */
START_TEST(replaced_while_stopped)
{
	struct fx	x;
	char		tmp[4096];

	setup(&x, "");
	append(x.log, 1, 30);
	start(&x, 1);
	run_until(&x, 30, "first run");
	stop(&x);
	snprintf(tmp, sizeof(tmp), "%s.new", x.log);
	append(tmp, 31, 60);		/* the same length, other bytes */
	ck_assert_int_eq(rename(tmp, x.log), 0);
	start(&x, 0);
	run_until(&x, 60, "the replacement");
	all_once(&x, 1, 60);
	teardown(&x);
}
END_TEST

/*
 * Generations rotated while stopped, so fast that they share one mtime
 * (file times move in clock ticks): read oldest first all the same.
 */
START_TEST(missed_generations_with_one_mtime)
{
	struct fx	x;
	char		gen[4096];
	struct timespec	t[2];
	int		g;

	setup(&x, "");
	append(x.log, 1, 10);
	start(&x, 1);
	run_until(&x, 10, "first run");
	stop(&x);
	clock_gettime(CLOCK_REALTIME, &t[0]);
	t[0].tv_sec += 2;		/* after the positions were saved */
	t[1] = t[0];
	for (g = 1; g <= 6; g++) {
		snprintf(gen, sizeof(gen), "%s.%d", x.log, g);
		if (g > 1)
			append(x.log, (unsigned int)g * 10 - 9,
			    (unsigned int)g * 10);
		ck_assert_int_eq(rename(x.log, gen), 0);
		if (g > 1)
			ck_assert_int_eq(utimensat(AT_FDCWD, gen, t, 0), 0);
		usleep(2000);		/* renamed one after the other */
	}
	append(x.log, 61, 70);
	start(&x, 0);
	run_until(&x, 70, "the generations and the new file");
	all_once(&x, 1, 70);		/* in order, none twice */
	teardown(&x);
}
END_TEST

/*
 * Generations renamed while keysentry ran, still open (rotate_wait) at
 * the stop, renamed once more while it was stopped: after the restart
 * their warm-up is read oldest first, whatever order the saved state
 * lists them in (newest first, as it happens), or the detectors would
 * take the older lines for late ones.
 */
START_TEST(saved_generations_oldest_first)
{
	struct fx	x;
	char		gen[4096];

	setup(&x, "");
	x.rotate_wait = 60 * KS_NSEC_PER_SEC;	/* open until the stop */
	x.warmup = 3600 * KS_NSEC_PER_SEC;
	append(x.log, 1, 10);
	start(&x, 1);
	run_until(&x, 10, "the first generation");
	snprintf(gen, sizeof(gen), "%s.1", x.log);
	ck_assert_int_eq(rename(x.log, gen), 0);
	append(x.log, 11, 20);
	run_until(&x, 20, "the second generation");
	stop(&x);
	usleep(20000);			/* another mtime */
	snprintf(gen, sizeof(gen), "%s.2", x.log);
	ck_assert_int_eq(rename(x.log, gen), 0);
	append(x.log, 21, 30);
	x.warm_last = 0;
	start(&x, 0);
	run_until(&x, 30, "the new file");
	all_once(&x, 1, 30);
	ck_assert_uint_eq(x.warm, 20);	/* both generations, again */
	ck_assert_msg(!x.warm_out_of_order, "warm-up out of order");
	teardown(&x);
}
END_TEST

/*
 * A rotated file with more than one turn's records (20000) still to read
 * when the new file appears: all of it comes first.  Taking turns between
 * the two, as between sources, would hand the new file's lines over
 * before the old file's last ones.
 */
START_TEST(rotated_backlog_before_the_new_file)
{
	struct fx	x;
	char		gen[4096];

	setup(&x, "");
	x.rotate_wait = 60 * KS_NSEC_PER_SEC;
	append(x.log, 1, 10);
	start(&x, 1);
	run_until(&x, 10, "the first lines");
	append(x.log, 11, 25010);	/* while the loop does not run */
	snprintf(gen, sizeof(gen), "%s.1", x.log);
	ck_assert_int_eq(rename(x.log, gen), 0);
	append(x.log, 25011, 26010);
	run_until(&x, 26010, "the backlog and the new file");
	all_once(&x, 1, 26010);
	teardown(&x);
}
END_TEST

START_TEST(helpers)
{
	char	*p = ks_tempfile(NULL, "one\ntwo\nthree", 13);
	int	 fd = open(p, O_RDONLY);

	ck_assert_uint_eq(follow_line_start_before(fd, 0), 0);
	ck_assert_uint_eq(follow_line_start_before(fd, 3), 0);
	ck_assert_uint_eq(follow_line_start_before(fd, 4), 4);
	ck_assert_uint_eq(follow_line_start_before(fd, 13), 8);
	close(fd);
	unlink(p);
	free(p);
	ck_assert_int_eq(follow_fs_needs_polling("/nonexistent-dir"), 0);
}
END_TEST

static Suite *
follow_suite(void)
{
	Suite	*s = suite_create("follow");
	TCase	*tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, start_at_end_then_follow);
	tcase_add_test(tc, from_start_reads_whole_files);
	tcase_add_test(tc, a_file_that_appears_later);
	tcase_add_test(tc, rotate_by_rename);
	tcase_add_test(tc, rotate_by_copytruncate);
	tcase_add_test(tc, rotate_by_delete);
	tcase_add_test(tc, polling_when_asked);
	tcase_add_test(tc, restart_resumes);
	tcase_add_test(tc, replaced_while_stopped);
	tcase_add_test(tc, missed_generations_with_one_mtime);
	tcase_add_test(tc, saved_generations_oldest_first);
	tcase_add_test(tc, rotated_backlog_before_the_new_file);
	tcase_add_test(tc, helpers);
	suite_add_tcase(s, tc);
	return s;
}

KS_CHECK_MAIN(follow_suite)
