/* Unit tests for enrich.c: which endpoint an event calls. */
#include "autoconfig.h"

#include "check_common.h"
#include "enrich.h"

START_TEST(classify)
{
	struct endpoint_conf	eps[2] = {
		{ .name = "a", .path = "/internal/kratos/reload" },
		{ .name = "b", .path = "/internal/auth/jwks/refresh" },
	};
	struct config		cfg;
	struct event		ev;
	static const struct {
		const char	*target;
		int		 want;
	} cases[] = {
		{ "/internal/kratos/reload", 0 },
		{ "/internal/kratos/reload/", 0 },
		{ "/internal/kratos/reload?x", 0 },
		{ "//internal/./kratos/reload", 0 },
		{ "/internal/auth/jwks/refresh", 1 },
		{ "/internal/kratos/reloadx", -1 },
		{ "/internal/kratos/Reload", -1 },
		{ "/internal/kratos", -1 },
		{ "/", -1 },
		{ "", -1 },
	};
	size_t i;

	memset(&cfg, 0, sizeof(cfg));
	cfg.endpoints = eps;
	cfg.nendpoints = 2;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		event_clear(&ev);
		event_set_path(&ev, cases[i].target, strlen(cases[i].target));
		enrich_endpoint(&cfg, &ev);
		ck_assert_msg(ev.endpoint == cases[i].want, "%s: %d",
		    cases[i].target, ev.endpoint);
	}
}
END_TEST

static Suite *
enrich_suite(void)
{
	Suite	*s = suite_create("enrich");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, classify);
	suite_add_tcase(s, tc);
	return s;
}

KS_CHECK_MAIN(enrich_suite)
