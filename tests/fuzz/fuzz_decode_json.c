/*
 * libFuzzer harness: the JSON decoder with every preset.  The first byte
 * picks the preset; the rest is one record.  Checks the event's invariants
 * on success.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"

static struct decoder *decs[5];

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char	*fmts[5] = { "json", "flat", "caddy", "kratos",
				    "auto" };
	struct decoder_opts	 o;
	struct event		 ev;
	struct decode_error	 err;
	char			 msg[256], *copy;
	int			 k;

	if (size < 1)
		return 0;
	k = data[0] % 5;
	if (decs[k] == NULL) {
		memset(&o, 0, sizeof(o));
		o.format = fmts[k];
		decs[k] = decoder_new(&o, msg, sizeof(msg));
		if (decs[k] == NULL)
			abort();
	}
	/* an exactly-sized copy, so reading past the end is caught */
	copy = malloc(size - 1 ? size - 1 : 1);
	memcpy(copy, data + 1, size - 1);
	if (decoder_decode(decs[k], copy, size - 1, &ev, &err) ==
	    DECODE_EVENT) {
		if (strlen(ev.path) >= EV_PATH_MAX ||
		    strlen(ev.method) >= EV_METHOD_MAX ||
		    strlen(ev.user_agent) >= EV_UA_MAX)
			abort();
		if ((ev.flags & EV_HAS_STATUS) && (ev.status < 0 ||
		    ev.status > 999))
			abort();
	} else if (strlen(err.msg) >= sizeof(err.msg))
		abort();
	free(copy);
	return 0;
}
