/* libFuzzer harness: the common/combined log format decoder. */
#include "autoconfig.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"

static struct decoder *dec;

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct decoder_opts	 o = { .format = "clf" };
	struct event		 ev;
	struct decode_error	 err;
	char			 msg[256], *copy;

	if (dec == NULL && (dec = decoder_new(&o, msg, sizeof(msg))) == NULL)
		abort();
	copy = malloc(size ? size : 1);
	memcpy(copy, data, size);
	if (decoder_decode(dec, copy, size, &ev, &err) == DECODE_EVENT) {
		if (strlen(ev.path) >= EV_PATH_MAX)
			abort();
		if (!(ev.flags & EV_HAS_TIME))
			abort();	/* CLF always carries a time */
	} else if (err.column > size + 1)
		abort();		/* a column inside the record */
	free(copy);
	return 0;
}
