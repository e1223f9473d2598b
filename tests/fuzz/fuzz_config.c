/* libFuzzer harness: the YAML config loader. */
#include "autoconfig.h"

#include <stdint.h>
#include <stdlib.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ydiag	 d;
	struct config	*c;

	ydiag_init(&d, "fuzz.yml");
	c = config_load_buffer("fuzz.yml", (const char *)data, size, &d);
	if (c == NULL && d.total == 0)
		abort();		/* a failure always says why */
	if (c != NULL && d.total != 0)
		abort();
	config_free(c);
	ydiag_free(&d);
	return 0;
}
