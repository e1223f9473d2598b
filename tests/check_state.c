/* Unit tests for state.c: positions, the alert ledger, file heads. */
#include "autoconfig.h"

#include <fcntl.h>
#include <sys/stat.h>

#include "check_common.h"
#include "state.h"

static size_t
entries(const char *dir)
{
	DIR		*d = opendir(dir);
	struct dirent	*de;
	size_t		 n = 0;

	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

static void
id_of(unsigned int i, char out[33])
{
	snprintf(out, 33, "%032x", i);
}

START_TEST(positions_round_trip)
{
	char		*dir = ks_tempdir(), err[256];
	struct state	*st = state_open(dir, err, sizeof(err));
	struct pos	 p[2];
	struct srcpos	 sp = { "/var/log/x/*.log", 41 };
	const struct pos *q;

	ck_assert_msg(st != NULL, "%s", err);
	ck_assert_uint_eq(state_npos(st), 0);
	ck_assert_int_eq(state_saved_at(st), 0);
	memset(p, 0, sizeof(p));
	p[0].source = "/var/log/x/*.log";
	p[0].path = "/var/log/x/a.log";
	p[0].dev = 2049;
	p[0].ino = UINT64_C(1) << 40;		/* large inode numbers */
	p[0].head_len = 17;
	memset(p[0].head, 0xab, 32);
	p[0].offset = UINT64_C(5000000000);	/* past 4 GiB */
	p[0].lines = 123456;
	p[0].warm_offset = 4000;
	p[1] = p[0];
	p[1].path = "/var/log/x/b.log";
	p[1].ino = 7;
	ck_assert_int_eq(state_save(st, p, 2, &sp, 1), 0);
	state_close(st);
	/* no temporary file left behind: positions.json and the ledger */
	ck_assert_uint_eq(entries(dir), 2);

	st = state_open(dir, err, sizeof(err));
	ck_assert_msg(st != NULL, "%s", err);
	ck_assert_uint_eq(state_npos(st), 2);
	ck_assert_int_gt(state_saved_at(st), 0);
	q = state_find(st, "/var/log/x/*.log", 2049, UINT64_C(1) << 40);
	ck_assert_ptr_nonnull(q);
	ck_assert_str_eq(q->path, "/var/log/x/a.log");
	ck_assert_uint_eq(q->head_len, 17);
	ck_assert_int_eq(memcmp(q->head, p[0].head, 32), 0);
	ck_assert_uint_eq(q->offset, UINT64_C(5000000000));
	ck_assert_uint_eq(q->lines, 123456);
	ck_assert_uint_eq(q->warm_offset, 4000);
	ck_assert_ptr_nonnull(state_find(st, "/var/log/x/*.log", 2049, 7));
	/* by source and inode: another source's file is not ours */
	ck_assert_ptr_null(state_find(st, "/other", 2049, 7));
	ck_assert_ptr_null(state_find(st, "/var/log/x/*.log", 2050, 7));
	ck_assert_uint_eq(state_source_lines(st, "/var/log/x/*.log"), 41);
	ck_assert_uint_eq(state_source_lines(st, "/other"), 0);
	state_close(st);
	ks_rmtree(dir);
	free(dir);
}
END_TEST

/* A damaged positions file is reported and set aside, not fatal. */
START_TEST(damaged_positions)
{
	static const char *bad[] = {
		"{\"version\": 1, \"files\": [",
		"{\"version\": 2, \"files\": []}",
		"[1, 2, 3]",
		"",
	};
	char		*dir, path[4096], err[256];
	struct state	*st;
	size_t		 i;
	FILE		*f;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		dir = ks_tempdir();
		snprintf(path, sizeof(path), "%s/positions.json", dir);
		f = fopen(path, "w");
		fputs(bad[i], f);
		fclose(f);
		st = state_open(dir, err, sizeof(err));
		ck_assert_msg(st != NULL, "%s: %s", bad[i], err);
		ck_assert_uint_eq(state_npos(st), 0);
		state_close(st);
		ks_rmtree(dir);
		free(dir);
	}
}
END_TEST

START_TEST(state_dir_problems)
{
	char	 err[256];
	char	*path = ks_tempfile(NULL, "x", 1);

	/* a file where the directory should be */
	ck_assert_ptr_null(state_open(path, err, sizeof(err)));
	ck_assert_msg(strstr(err, "not a directory") != NULL, "%s", err);
	/* a parent that does not exist */
	ck_assert_ptr_null(state_open("/nonexistent/ks/state", err,
	    sizeof(err)));
	ck_assert_msg(strstr(err, "state_dir /nonexistent/ks/state") != NULL,
	    "%s", err);
	unlink(path);
	free(path);
}
END_TEST

START_TEST(ledger_remembers_across_restarts)
{
	char		*dir = ks_tempdir(), err[256], id[33];
	struct state	*st = state_open(dir, err, sizeof(err));
	unsigned int	 i;

	ck_assert_ptr_nonnull(st);
	id_of(1, id);
	ck_assert(!state_alert_seen(st, id));
	state_alert_add(st, id);
	ck_assert(state_alert_seen(st, id));
	state_alert_add(st, "short");		/* not an id: ignored */
	ck_assert(!state_alert_seen(st, "short"));
	state_close(st);

	st = state_open(dir, err, sizeof(err));
	ck_assert(state_alert_seen(st, id));
	id_of(2, id);
	ck_assert(!state_alert_seen(st, id));
	/* bounded: the newest LEDGER_KEEP are remembered */
	for (i = 10; i < 10 + 5 * LEDGER_KEEP; i++) {
		id_of(i, id);
		state_alert_add(st, id);
	}
	state_close(st);
	st = state_open(dir, err, sizeof(err));
	id_of(10 + 5 * LEDGER_KEEP - 1, id);
	ck_assert(state_alert_seen(st, id));
	id_of(10 + 4 * LEDGER_KEEP, id);
	ck_assert(state_alert_seen(st, id));
	id_of(10 + 4 * LEDGER_KEEP - 1, id);
	ck_assert(!state_alert_seen(st, id));
	id_of(1, id);
	ck_assert(!state_alert_seen(st, id));
	state_close(st);
	{
		char	 path[4096];
		size_t	 len;
		char	*text;
		snprintf(path, sizeof(path), "%s/alerts.ledger", dir);
		text = ks_slurp(path, &len);
		/* rewritten at open with the ids kept: 33 bytes each */
		ck_assert_uint_eq(len, (size_t)LEDGER_KEEP * 33);
		free(text);
	}
	ks_rmtree(dir);
	free(dir);
}
END_TEST

static int
open_text(const char *text, char **pathp)
{
	*pathp = ks_tempfile(NULL, text, strlen(text));
	return open(*pathp, O_RDONLY);
}

START_TEST(heads_tell_files_apart)
{
	char		*pa, *pb, *pc, *pe, *pl;
	int		 a = open_text("first line\nsecond\n", &pa);
	int		 b = open_text("first line\nother second\n", &pb);
	int		 c = open_text("first linE\nsecond\n", &pc);
	int		 e = open_text("", &pe);
	char		 big[STATE_HEAD_MAX * 2 + 1];
	int		 l;
	struct pos	 p;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	l = open_text(big, &pl);
	memset(&p, 0, sizeof(p));
	ck_assert_int_eq(state_head(a, p.head, &p.head_len), 0);
	ck_assert_uint_eq(p.head_len, 11);	/* up to the first newline */
	ck_assert(state_head_matches(a, &p));
	ck_assert(state_head_matches(b, &p));	/* same first line */
	ck_assert(!state_head_matches(c, &p));	/* same size, other bytes */
	ck_assert(!state_head_matches(e, &p));	/* now empty */
	ck_assert_int_eq(state_head(e, p.head, &p.head_len), 0);
	ck_assert_uint_eq(p.head_len, 0);
	ck_assert(state_head_matches(a, &p));	/* nothing known yet */
	ck_assert_int_eq(state_head(l, p.head, &p.head_len), 0);
	ck_assert_uint_eq(p.head_len, STATE_HEAD_MAX);	/* capped */
	ck_assert(state_head_matches(l, &p));
	close(a);
	close(b);
	close(c);
	close(e);
	close(l);
	unlink(pa);
	unlink(pb);
	unlink(pc);
	unlink(pe);
	unlink(pl);
	free(pa);
	free(pb);
	free(pc);
	free(pe);
	free(pl);
}
END_TEST

static Suite *
state_suite(void)
{
	Suite	*s = suite_create("state");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, positions_round_trip);
	tcase_add_test(tc, damaged_positions);
	tcase_add_test(tc, state_dir_problems);
	tcase_add_test(tc, ledger_remembers_across_restarts);
	tcase_add_test(tc, heads_tell_files_apart);
	suite_add_tcase(s, tc);
	return s;
}

KS_CHECK_MAIN(state_suite)
