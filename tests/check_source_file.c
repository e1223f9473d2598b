/*
 * Unit tests for source_file.c: record splitting, line endings, long and
 * truncated records, gzip and broken gzip, captures, counting.
 */
#include "autoconfig.h"

#include <zlib.h>

#include "check_common.h"
#include "source.h"

struct env {
	struct config	*cfg;
	struct ruleset	*rs;
};

/*
 * One endpoint, /reload.  everything = 0: one rule on that endpoint, so
 * the fast path keeps only lines holding "/reload"; everything = 1: one
 * rule over every event, so every line is decoded.
 */
static void
env_init(struct env *e, int everything)
{
	struct ydiag	 d;
	const char	*rule = "id: any\nname: a\ndescription: a\n"
			    "severity: low\nendpoints: none\n";
	const char	*other = "id: x\nname: a\ndescription: a\n"
			    "severity: low\n";
	const char	*text = "endpoints:\n  - {name: r, path: /reload}\n";
	const char	*use = everything ? rule : other;
	char		*path = ks_tempfile(".yml", text, strlen(text));

	ydiag_init(&d, path);
	e->cfg = config_load(path, &d);
	ck_assert_ptr_nonnull(e->cfg);
	e->cfg->limits.max_line = 1024;
	e->rs = ruleset_load_buffer(e->cfg, "r.yml", use, strlen(use), &d);
	ck_assert_msg(e->rs != NULL, "%s", d.n ? d.msgs[0] : "");
	ydiag_free(&d);
	unlink(path);
	free(path);
}

static void
env_free(struct env *e)
{
	ruleset_free(e->rs);
	config_free(e->cfg);
}

static struct input *
open_path(const char *path, char *err, size_t errlen)
{
	struct decoder_opts	 o = { .format = "auto" };
	char			 msg[256];
	struct decoder		*d = decoder_new(&o, msg, sizeof(msg));

	ck_assert_ptr_nonnull(d);
	return input_open_file(path, 0, d, 1024, err, errlen);
}

/* Reads everything; returns the number of events, paths concatenated. */
static int
drain(struct env *e, struct input *in, char *paths, size_t size)
{
	struct event	ev;
	int		n = 0;

	paths[0] = '\0';
	while (input_next(in, e->rs, e->cfg, &ev)) {
		n++;
		if (strlen(paths) + strlen(ev.path) + 2 < size) {
			strcat(paths, ev.path);
			strcat(paths, ",");
		}
	}
	return n;
}

#define L(p) "{\"time\":\"2026-11-20T10:00:00Z\",\"path\":\"" p \
    "\",\"status\":200}"

START_TEST(crlf_bom_and_missing_newline)
{
	struct env	 e;
	const char	*text = "\xef\xbb\xbf" L("/a") "\r\n\r\n" L("/b") "\n"
			    L("/c");
	char		*path = ks_tempfile(".log", text, strlen(text));
	char		 err[256], paths[256];
	struct input	*in;

	env_init(&e, 1);
	in = open_path(path, err, sizeof(err));
	ck_assert_msg(in != NULL, "%s", err);
	ck_assert_int_eq(drain(&e, in, paths, sizeof(paths)), 3);
	ck_assert_str_eq(paths, "/a,/b,/c,");
	ck_assert_uint_eq(input_stats(in)->read, 4);
	ck_assert_uint_eq(input_stats(in)->decoded, 3);
	ck_assert_uint_eq(input_stats(in)->ignored, 1);	/* the blank line */
	ck_assert(!input_failed(in));
	input_close(in);
	env_free(&e);
	unlink(path);
	free(path);
}
END_TEST

START_TEST(long_records_are_skipped_whole)
{
	struct env	 e;
	size_t		 big = 1 << 20, o = 0;
	char		*text = malloc(big + 1000), *path;
	char		 err[256], paths[256];
	struct input	*in;

	o += (size_t)sprintf(text, L("/before") "\n{\"path\":\"/");
	memset(text + o, 'x', big);	/* a 1 MiB record */
	o += big;
	o += (size_t)sprintf(text + o, "\",\"status\":200}\n" L("/after")
	    "\n");
	path = ks_tempfile(".log", text, o);
	env_init(&e, 1);
	in = open_path(path, err, sizeof(err));
	ck_assert_int_eq(drain(&e, in, paths, sizeof(paths)), 2);
	ck_assert_str_eq(paths, "/before,/after,");
	ck_assert_uint_eq(input_stats(in)->too_long, 1);
	ck_assert_uint_eq(input_stats(in)->read, 3);
	input_close(in);
	env_free(&e);
	unlink(path);
	free(path);
	free(text);
}
END_TEST

START_TEST(malformed_and_filtered_are_counted)
{
	struct env	 e;
	const char	*text = L("/reload") "\nnot a log line\n"
			    "{\"path\":\"/reload\",\"status\":200\n" L("/x")
			    "\n";
	char		*path = ks_tempfile(".log", text, strlen(text));
	char		 err[256], paths[256];
	struct input	*in;

	/* with the fast path, only the lines holding "/reload" are decoded */
	env_init(&e, 0);
	in = open_path(path, err, sizeof(err));
	ck_assert_int_eq(drain(&e, in, paths, sizeof(paths)), 1);
	ck_assert_uint_eq(input_stats(in)->filtered, 2);
	ck_assert_uint_eq(input_stats(in)->malformed, 1);
	input_close(in);
	env_free(&e);

	/* without it, every line is */
	env_init(&e, 1);
	in = open_path(path, err, sizeof(err));
	ck_assert_int_eq(drain(&e, in, paths, sizeof(paths)), 2);
	ck_assert_uint_eq(input_stats(in)->malformed, 2);
	ck_assert_uint_eq(input_stats(in)->filtered, 0);
	ck_assert_uint_eq(input_stats(in)->read, 4);
	input_close(in);
	env_free(&e);
	unlink(path);
	free(path);
}
END_TEST

/* gzip text into a new file, dropping the last cut bytes of the result. */
static char *
gzip_file(const char *text, size_t len, size_t cut)
{
	char	 tmpl[] = "/tmp/kstest-XXXXXX", *raw;
	gzFile	 gz;
	FILE	*f;
	int	 fd = mkstemp(tmpl);
	size_t	 n = 0;

	close(fd);
	gz = gzopen(tmpl, "wb");
	gzwrite(gz, text, (unsigned int)len);
	gzclose(gz);
	if (cut > 0) {
		raw = ks_slurp(tmpl, &n);
		ck_assert_uint_gt(n, cut);
		f = fopen(tmpl, "wb");
		fwrite(raw, 1, n - cut, f);
		fclose(f);
		free(raw);
	}
	return strdup(tmpl);
}

START_TEST(gzip_and_truncated_gzip)
{
	struct env	 e;
	char		*text = malloc(200000), *path, err[256], paths[8192];
	size_t		 o = 0;
	int		 i, n;
	struct input	*in;

	for (i = 0; i < 2000; i++)
		o += (size_t)sprintf(text + o, "{\"time\":\"2026-11-20T10:00:"
		    "00Z\",\"path\":\"/p%d\",\"status\":200}\n", i);
	env_init(&e, 1);

	path = gzip_file(text, o, 0);
	in = open_path(path, err, sizeof(err));
	ck_assert_int_eq(drain(&e, in, paths, sizeof(paths)), 2000);
	ck_assert(!input_failed(in));
	input_close(in);
	unlink(path);
	free(path);

	/* cut the last 200 bytes: what was read is kept, the end reported */
	path = gzip_file(text, o, 200);
	in = open_path(path, err, sizeof(err));
	n = drain(&e, in, paths, sizeof(paths));
	ck_assert_int_gt(n, 100);
	ck_assert_int_lt(n, 2000);
	ck_assert(input_failed(in));
	input_close(in);
	unlink(path);
	free(path);
	env_free(&e);
	free(text);
}
END_TEST

START_TEST(empty_file_directory_and_capture)
{
	struct env	 e;
	char		*path = ks_tempfile(".log", "", 0), err[256];
	char		 paths[64];
	struct input	*in;
	const uint8_t	 pcap[24] = { 0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0 };

	env_init(&e, 1);
	in = open_path(path, err, sizeof(err));
	ck_assert_ptr_nonnull(in);
	ck_assert_int_eq(drain(&e, in, paths, sizeof(paths)), 0);
	ck_assert_uint_eq(input_stats(in)->read, 0);
	ck_assert(!input_failed(in));
	input_close(in);
	unlink(path);
	free(path);

	ck_assert_ptr_null(open_path("/tmp", err, sizeof(err)));
	ck_assert_str_eq(err, "/tmp: is a directory");
	ck_assert_ptr_null(open_path("/nonexistent.log", err, sizeof(err)));
	ck_assert_str_eq(err, "/nonexistent.log: No such file or directory");

	path = ks_tempfile(".pcap", pcap, sizeof(pcap));
	ck_assert_ptr_null(open_path(path, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "is a pcap capture"));
	unlink(path);
	free(path);
	env_free(&e);
}
END_TEST

START_TEST(records_without_time_inherit)
{
	struct env	 e;
	const char	*text = "{\"path\":\"/a\",\"status\":200}\n" L("/b") "\n"
			    "{\"path\":\"/c\",\"status\":200}\n";
	char		*path = ks_tempfile(".log", text, strlen(text));
	char		 err[256];
	struct input	*in;
	struct event	 ev;

	env_init(&e, 1);
	in = open_path(path, err, sizeof(err));
	ck_assert_int_eq(input_next(in, e.rs, e.cfg, &ev), 1);
	ck_assert_str_eq(ev.path, "/b");	/* /a had no time to take */
	ck_assert_uint_eq(ev.line, 2);
	ck_assert_int_eq(input_next(in, e.rs, e.cfg, &ev), 1);
	ck_assert_str_eq(ev.path, "/c");
	ck_assert_int_eq(ev.ts, INT64_C(1795168800) * 1000000000);
	ck_assert_uint_eq(input_stats(in)->no_time, 1);
	input_close(in);
	env_free(&e);
	unlink(path);
	free(path);
}
END_TEST

static Suite *
source_suite(void)
{
	Suite	*s = suite_create("source_file");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, crlf_bom_and_missing_newline);
	tcase_add_test(tc, long_records_are_skipped_whole);
	tcase_add_test(tc, malformed_and_filtered_are_counted);
	tcase_add_test(tc, gzip_and_truncated_gzip);
	tcase_add_test(tc, empty_file_directory_and_capture);
	tcase_add_test(tc, records_without_time_inherit);
	suite_add_tcase(s, tc);
	return s;
}

KS_CHECK_MAIN(source_suite)
