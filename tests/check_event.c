/* Unit tests for event.c: path normalisation (a data table), methods. */
#include "autoconfig.h"

#include "check_common.h"
#include "event.h"

START_TEST(path_table)
{
	FILE	*f = fopen(ks_fixture("tests/fixtures/paths.txt"), "r");
	char	 line[4096], *tab;
	int	 cases = 0;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		struct event ev;

		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		tab = strchr(line, '\t');
		ck_assert_ptr_nonnull(tab);
		*tab = '\0';
		event_clear(&ev);
		event_set_path(&ev, line, strlen(line));
		ck_assert_msg(strcmp(ev.path, tab + 1) == 0,
		    "%s: got \"%s\", want \"%s\"", line, ev.path, tab + 1);
		cases++;
	}
	fclose(f);
	ck_assert_int_ge(cases, 20);
}
END_TEST

START_TEST(path_truncation_and_nul)
{
	struct event	ev;
	char		big[3000];

	memset(big, 'a', sizeof(big));
	big[0] = '/';
	event_clear(&ev);
	event_set_path(&ev, big, sizeof(big));
	ck_assert_uint_eq(strlen(ev.path), EV_PATH_MAX - 1);
	ck_assert(ev.flags & EV_TRUNCATED);

	event_clear(&ev);
	event_set_path(&ev, "/a\0b", 4);
	ck_assert_str_eq(ev.path, "/ab");
}
END_TEST

START_TEST(method)
{
	struct event ev;

	event_clear(&ev);
	event_set_method(&ev, "post", 4);
	ck_assert_str_eq(ev.method, "POST");
	event_set_method(&ev, "GE T\x01", 5);
	ck_assert_str_eq(ev.method, "GET");
	event_set_method(&ev, "AVERYVERYLONGMETHODNAME", 23);
	ck_assert_uint_eq(strlen(ev.method), EV_METHOD_MAX - 1);
	ck_assert(ev.flags & EV_TRUNCATED);
}
END_TEST

START_TEST(field_table)
{
	const struct ev_field_info *fi;

	fi = event_field_lookup("source.ip");
	ck_assert_ptr_nonnull(fi);
	ck_assert_int_eq(fi->id, EVF_SOURCE_IP);
	ck_assert_int_eq(fi->type, EVT_ADDR);
	fi = event_field_lookup("http.response.status_code");
	ck_assert_int_eq(fi->type, EVT_INT);
	ck_assert_str_eq(event_field_info(EVF_PATH)->name, "url.path");
	ck_assert_ptr_null(event_field_lookup("source.address"));
}
END_TEST

static Suite *
event_suite(void)
{
	Suite	*s = suite_create("event");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, path_table);
	tcase_add_test(tc, path_truncation_and_nul);
	tcase_add_test(tc, method);
	tcase_add_test(tc, field_table);
	suite_add_tcase(s, tc);
	return s;
}

KS_CHECK_MAIN(event_suite)
