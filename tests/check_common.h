/*
 * Helpers shared by the Check suites: where fixtures are, temporary
 * files, and a main() that runs one suite.  Tests find fixtures through
 * KS_SRCDIR (set by make check), falling back to the current directory.
 */
#ifndef KS_CHECK_COMMON_H
#define KS_CHECK_COMMON_H

#include <check.h>
#include <sys/stat.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static inline const char *
ks_srcdir(void)
{
	const char *s = getenv("KS_SRCDIR");

	return s != NULL ? s : ".";
}

/*
 * The shared corpus (../shared/corpus, or $KS_CORPUS) into buf; 1 if it
 * is there.  Its tests are optional: CI has no corpus.
 */
static inline int
ks_corpus(char *buf, size_t size)
{
	const char	*env = getenv("KS_CORPUS");
	struct stat	 st;

	if (env != NULL)
		snprintf(buf, size, "%s", env);
	else
		snprintf(buf, size, "%s/../shared/corpus", ks_srcdir());
	if (stat(buf, &st) == 0 && S_ISDIR(st.st_mode))
		return 1;
	printf("no corpus at %s: its files are not read\n", buf);
	return 0;
}

/* "$KS_SRCDIR/rel" into a static buffer (one at a time). */
static inline const char *
ks_fixture(const char *rel)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf), "%s/%s", ks_srcdir(), rel);
	return buf;
}

/* Writes data to a new temporary file; returns its malloc'd path. */
static inline char *
ks_tempfile(const char *suffix, const void *data, size_t len)
{
	char	 tmpl[] = "/tmp/kstest-XXXXXX";
	char	*path;
	int	 fd = mkstemp(tmpl);
	FILE	*f;

	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "wb");
	ck_assert_ptr_nonnull(f);
	if (len > 0)
		ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	fclose(f);
	if (suffix == NULL || *suffix == '\0')
		return strdup(tmpl);
	path = malloc(strlen(tmpl) + strlen(suffix) + 1);
	sprintf(path, "%s%s", tmpl, suffix);
	ck_assert_int_eq(rename(tmpl, path), 0);
	return path;
}

/* Reads a whole file; caller frees. */
static inline char *
ks_slurp(const char *path, size_t *len)
{
	FILE	*f = fopen(path, "rb");
	char	*buf;
	long	 n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)n;
	return buf;
}

#define KS_CHECK_MAIN(suite_fn)						\
int									\
main(void)								\
{									\
	SRunner	*sr = srunner_create(suite_fn());			\
	int	 failed;						\
									\
	srunner_run_all(sr, CK_ENV);					\
	failed = srunner_ntests_failed(sr);				\
	srunner_free(sr);						\
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;		\
}

/* A new temporary directory; returns its malloc'd path. */
static inline char *
ks_tempdir(void)
{
	char tmpl[] = "/tmp/kstest-dir-XXXXXX";

	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	return strdup(tmpl);
}

/* Removes a directory and everything below it (best effort). */
static inline void
ks_rmtree(const char *dir)
{
	DIR		*d = opendir(dir);
	struct dirent	*de;
	char		*path;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		path = malloc(strlen(dir) + strlen(de->d_name) + 2);
		sprintf(path, "%s/%s", dir, de->d_name);
		if (unlink(path) == -1)
			ks_rmtree(path);
		free(path);
	}
	closedir(d);
	rmdir(dir);
}
#ifdef KS_CONFIG_H
/* A config from text (named t.yml in messages), which must load. */
static inline struct config *
ks_config_text(const char *text)
{
	struct ydiag	 d;
	struct config	*c;

	ydiag_init(&d, "t.yml");
	c = config_load_buffer("t.yml", text, strlen(text), &d);
	ck_assert_msg(c != NULL, "%s", d.n ? d.msgs[0] : "?");
	ydiag_free(&d);
	return c;
}
#endif

#endif
