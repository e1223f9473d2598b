/*
 * Unit tests for log.c: one line per message, levels, and control
 * characters escaped so a hostile value cannot forge lines on a terminal.
 */
#include "autoconfig.h"

#include <errno.h>

#include "check_common.h"
#include "log.h"

/* Runs fn with stderr sent to a file; returns what was written. */
static char *
capture(void (*fn)(void))
{
	char	 tmpl[] = "/tmp/kslog-XXXXXX", *text;
	int	 fd = mkstemp(tmpl), saved = dup(2);

	fflush(stderr);
	dup2(fd, 2);
	fn();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fd);
	text = ks_slurp(tmpl, NULL);
	unlink(tmpl);
	return text;
}

static void
warnx_with_newline(void)
{
	log_init("kstest", LOG_LVL_INFO);
	log_warnx("value %s here", "a\nkstest: forged\x1b[31m");
}

static void
warn_with_errno(void)
{
	log_init("kstest", LOG_LVL_INFO);
	errno = ENOENT;
	log_warn("open %s", "/x");
}

static void
levels(void)
{
	log_init("kstest", LOG_LVL_WARN);
	log_info("hidden info");
	log_debug("hidden debug");
	log_set_level(LOG_LVL_DEBUG);
	log_debug("shown %d", 1);
	log_info("shown %d", 2);
}

START_TEST(control_characters_are_escaped)
{
	char *t = capture(warnx_with_newline);

	ck_assert_str_eq(t, "kstest: value a\\x0akstest: forged\\x1b[31m "
	    "here\n");
	free(t);
}
END_TEST

START_TEST(warn_appends_the_error)
{
	char *t = capture(warn_with_errno);

	ck_assert_str_eq(t, "kstest: open /x: No such file or directory\n");
	free(t);
}
END_TEST

START_TEST(levels_filter)
{
	char *t = capture(levels);

	ck_assert_str_eq(t, "kstest: debug: shown 1\nkstest: shown 2\n");
	ck_assert_int_eq(log_get_level(), LOG_LVL_DEBUG);
	free(t);
}
END_TEST

static Suite *
log_suite(void)
{
	Suite	*s = suite_create("log");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, control_characters_are_escaped);
	tcase_add_test(tc, warn_appends_the_error);
	tcase_add_test(tc, levels_filter);
	suite_add_tcase(s, tc);
	return s;
}

KS_CHECK_MAIN(log_suite)
