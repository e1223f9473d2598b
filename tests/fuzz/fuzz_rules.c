/*
 * libFuzzer harness: the rule loader and compiler, against a config with
 * two endpoints (one with an allowlist, one without), then one match.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"

static struct config *cfg;

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *conf =
	    "endpoints:\n"
	    "  - {name: a, method: POST, path: /internal/kratos/reload,\n"
	    "     allowed_sources: [10.0.0.1, fd00::/8]}\n"
	    "  - {name: b, path: /internal/auth/jwks/refresh}\n";
	struct ydiag	 d;
	struct ruleset	*rs;
	struct event	 ev;
	size_t		 i;

	if (cfg == NULL) {
		ydiag_init(&d, "conf");
		cfg = config_load_buffer("conf", conf, strlen(conf), &d);
		if (cfg == NULL)
			abort();
		ydiag_free(&d);
	}
	ydiag_init(&d, "fuzz.yml");
	rs = ruleset_load_buffer(cfg, "fuzz.yml", (const char *)data, size, &d);
	if (rs == NULL && d.total == 0)
		abort();
	if (rs != NULL) {
		event_clear(&ev);
		event_set_path(&ev, "/internal/kratos/reload", 23);
		event_set_method(&ev, "POST", 4);
		ev.status = 401;
		ev.flags |= EV_HAS_STATUS;
		ev.endpoint = 0;
		for (i = 0; i < rs->ninsts; i++)
			(void)inst_match(&rs->insts[i], &ev, cfg);
		(void)ruleset_line_relevant(rs, (const char *)data, size);
	}
	ruleset_free(rs);
	ydiag_free(&d);
	return 0;
}
