/*
 * libFuzzer harness: the HTTP/1.x parser (http.c).  The first byte picks
 * the direction (bit 0), a HEAD expected (bit 1), a gap in the middle
 * (bit 2) and the size of the pieces fed (the rest); every piece is a
 * buffer of its own size, so that a read past one is caught.  Then the
 * parser is reset, as for another connection, and given it all again.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static uint64_t total;

static void
check(void *arg, const struct http_msg *m)
{
	(void)arg;
	if (strlen(m->method) >= sizeof(m->method) ||
	    strlen(m->path) >= sizeof(m->path) || m->offset > total)
		abort();
	if (m->fingerprint[0] != '\0' && (strlen(m->fingerprint) !=
	    KEYS_FP_LEN || strncmp(m->fingerprint, "sha256:", 7) != 0))
		abort();
	if ((m->fingerprint[0] != '\0') != (m->nkeys > 0))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_opts	 o;
	struct http_parser	*p;
	size_t			 i, step, n;
	uint8_t			*piece;

	if (size == 0)
		return 0;
	memset(&o, 0, sizeof(o));
	o.key_headers[0] = "X-Reload-Api-Key";
	o.nkey_headers = 1;
	o.max_line = 256;
	o.max_headers = 16;
	p = http_parser_new(data[0] & 1, &o, check, NULL);
	if (data[0] & 2)
		http_parser_expect_head(p, 1);
	step = (size_t)(data[0] >> 3) + 1;
	total = size + ((data[0] & 4) ? 7 : 0);	/* the gap counts */
	for (i = 1; i < size; i += n) {
		n = size - i < step ? size - i : step;
		if ((data[0] & 4) && i > size / 2 && i - n <= size / 2)
			http_parser_gap(p, 7);
		piece = malloc(n);
		memcpy(piece, data + i, n);
		(void)http_parser_feed(p, piece, n);
		free(piece);
	}
	http_parser_eof(p);
	/* reused for another stream: nothing of this one may remain */
	http_parser_reset(p);
	if (http_parser_messages(p) != 0 || http_parser_errors(p) != 0 ||
	    http_parser_error(p, NULL) != NULL)
		abort();
	piece = malloc(size - 1 + 1);
	memcpy(piece, data + 1, size - 1);
	(void)http_parser_feed(p, piece, size - 1);
	free(piece);
	http_parser_eof(p);
	http_parser_free(p);
	return 0;
}
