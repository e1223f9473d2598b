/* Unit tests for enrich.c: which endpoint an event calls, and what the
 * key it presents is. */
#include "autoconfig.h"

#include "config.h"
#include "check_common.h"
#include "enrich.h"
#include "keys.h"
#include "util.h"

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

START_TEST(key_states)
{
	struct config	*c = ks_config_text(
	    "endpoints:\n"
	    "  - {name: reload, path: /r, key_header: X-Reload-Api-Key}\n"
	    "  - {name: open, path: /o}\n"
	    "this_environment: prod\n"
	    "keys:\n"
	    "  - name: RELOAD\n"
	    "    environment: prod\n"
	    "    generations:\n"
	    "      - {fingerprint: \"sha256:00000000000000c0\", state: current,"
	    " created: 2026-09-01}\n"
	    "      - {fingerprint: \"sha256:00000000000000e0\", state: next, "
	    "created: 2026-11-20}\n"
	    "      - {fingerprint: \"sha256:00000000000000a0\", state: retired}\n"
	    "      - {fingerprint: \"sha256:00000000000000b0\", state: revoked}\n"
	    "  - name: RELOAD\n"
	    "    environment: dev\n"
	    "    generations:\n"
	    "      - {fingerprint: \"sha256:00000000000000d0\", state: current,"
	    " created: 2026-09-01}\n"
	    "      - {fingerprint: \"sha256:00000000000000f0\", state: canary}\n");
	struct keyreg	*reg = keyreg_new(c);
	struct event	 ev;
	static const struct {
		const char	*path, *fp;
		uint32_t	 flags;
		const char	*state;
		int		 key;
	} cases[] = {
		{ "/r", "sha256:00000000000000c0", 0, "current", 0 },
		{ "/r", "sha256:00000000000000e0", 0, "next", 0 },
		{ "/r", "sha256:00000000000000a0", 0, "retired", 0 },
		{ "/r", "sha256:00000000000000b0", 0, "revoked", 0 },
		/* dev's current key, here: copied between environments */
		{ "/r", "sha256:00000000000000d0", 0, "wrong-environment", 1 },
		/* a canary is a canary in any environment, on any path */
		{ "/r", "sha256:00000000000000f0", 0, "canary", 1 },
		{ "/x", "sha256:00000000000000f0", 0, "canary", 1 },
		{ "/r", "sha256:0123456789abcdef", 0, "unknown", -1 },
		/* no key: missing only where the source sees keys and the
		   endpoint takes one */
		{ "/r", "", EV_KEY_SEEN, "missing", -1 },
		{ "/r", "", 0, "", -1 },
		{ "/o", "", EV_KEY_SEEN, "", -1 },
		{ "/x", "", EV_KEY_SEEN, "", -1 },
	};
	size_t i;

	for (i = 0; i < KS_ARRAY_LEN(cases); i++) {
		event_clear(&ev);
		event_set_path(&ev, cases[i].path, strlen(cases[i].path));
		ks_strlcpy(ev.key_fp, cases[i].fp, sizeof(ev.key_fp));
		ev.flags = cases[i].flags;
		enrich_endpoint(c, &ev);
		enrich_key(c, reg, &ev);
		ck_assert_msg(strcmp(event_key_state_name(ev.key_state),
		    cases[i].state) == 0, "case %zu: %s", i,
		    event_key_state_name(ev.key_state));
		ck_assert_int_eq(ev.key_index, cases[i].key);
	}
	keyreg_free(reg);
	config_free(c);
}
END_TEST

static Suite *
enrich_suite(void)
{
	Suite	*s = suite_create("enrich");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, classify);
	tcase_add_test(tc, key_states);
	suite_add_tcase(s, tc);
	return s;
}

KS_CHECK_MAIN(enrich_suite)
