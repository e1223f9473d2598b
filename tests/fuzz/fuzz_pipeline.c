/*
 * libFuzzer harness: the whole per-record path of a replay (fast path,
 * auto decoder, endpoint, detection with the shipped rules over the
 * memory store, alert documents), fed each line of the input.  A small
 * store and group table make eviction paths run too.  Two keys are
 * registered (64 zeros, and 43 'A' and '=') so that the key-exposed scan
 * finds and masks them.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "source.h"

static struct engine	 eng;
static struct input	*in;

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
setup(void)
{
	char		 conf[2048], err[256];
	struct ydiag	 d;
	struct config	*cfg;
	struct ruleset	*rs;
	struct decoder_opts o = { .format = "auto" };
	const char	*rules = getenv("KS_FUZZ_RULES");

	snprintf(conf, sizeof(conf),
	    "rules: [%s]\n"
	    "endpoints:\n"
	    "  - {name: r, method: POST, path: /internal/kratos/reload,\n"
	    "     allowed_sources: [10.89.1.10/32]}\n"
	    "outputs: [{type: file, path: /dev/null}]\n"
	    "limits: {groups: 16, store_entries: 16, evidence: 2}\n"
	    "keys:\n"
	    "  - name: K\n"
	    "    generations:\n"
	    "      - {fingerprint: \"sha256:60e05bd1b195af2f\", state: "
	    "current, created: 2026-01-01}\n"
	    "      - {fingerprint: \"sha256:51643eac9777b63a\", state: "
	    "canary}\n",
	    rules ? rules : KS_FUZZ_RULESDIR);
	ydiag_init(&d, "conf");
	if ((cfg = config_load_buffer("conf", conf, strlen(conf), &d)) == NULL)
		abort();
	if ((rs = ruleset_load(cfg, &d)) == NULL)
		abort();
	ydiag_free(&d);
	if (engine_init(&eng, cfg, rs, NULL, err, sizeof(err)) == -1)
		abort();
	in = input_new_detached("fuzz", engine_add_input(&eng, "fuzz"),
	    decoder_new(&o, err, sizeof(err)));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*p = (const char *)data, *end = p + size, *nl;
	struct event	 ev;

	if (in == NULL)
		setup();
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		if (input_record(in, eng.rs, eng.cfg, p, (size_t)(nl - p),
		    &ev))
			engine_event(&eng, &ev);
		p = nl + 1;
	}
	return 0;
}
