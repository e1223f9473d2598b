/*
 * Decoder table and the helpers every decoder shares.  "auto" is not a
 * backend of its own: it holds one JSON decoder (with the union of all
 * presets) and one CLF decoder, and picks per record by its first byte.
 */
#include "autoconfig.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "kstime.h"
#include "util.h"

static const struct decoder_backend *backends[] = {
	&decode_json_backend,
	&decode_clf_backend,
	NULL
};

/* Format names and the backend that serves each. */
static const struct {
	const char	*format;
	const char	*backend;
} formats[] = {
	{ "json",	"json" },
	{ "flat",	"json" },
	{ "caddy",	"json" },
	{ "kratos",	"json" },
	{ "clf",	"clf" },
	{ "combined",	"clf" },
	{ "auto",	NULL },
};

static const char *dfield_names[DF_COUNT_] = {
	[DF_TIME] = "time",
	[DF_SOURCE] = "source",
	[DF_SOURCE_PORT] = "source_port",
	[DF_METHOD] = "method",
	[DF_PATH] = "path",
	[DF_STATUS] = "status",
	[DF_USER_AGENT] = "user_agent",
};

const char *
decode_field_name(enum dfield f)
{
	return (unsigned int)f < DF_COUNT_ ? dfield_names[f] : NULL;
}

int
decode_field_lookup(const char *name)
{
	int i;

	for (i = 0; i < DF_COUNT_; i++)
		if (strcmp(dfield_names[i], name) == 0)
			return i;
	return -1;
}

int
decode_format_valid(const char *format)
{
	size_t i;

	for (i = 0; i < KS_ARRAY_LEN(formats); i++)
		if (strcmp(formats[i].format, format) == 0)
			return 1;
	return 0;
}

const char *
decode_format_names(void)
{
	return "auto, json, flat, caddy, kratos, clf, combined";
}

static const struct decoder_backend *
backend_lookup(const char *name)
{
	size_t i;

	for (i = 0; backends[i] != NULL; i++)
		if (strcmp(backends[i]->name, name) == 0)
			return backends[i];
	return NULL;
}

static struct decoder *
decoder_new_backend(const char *bename, const struct decoder_opts *opts,
    const char *format, char *err, size_t errlen)
{
	struct decoder *d = ks_xcalloc(1, sizeof(*d));

	d->be = backend_lookup(bename);
	d->format = format;
	if (d->be == NULL || (d->be->init != NULL &&
	    d->be->init(d, opts, err, errlen) == -1)) {
		free(d);
		return NULL;
	}
	return d;
}

struct decoder *
decoder_new(const struct decoder_opts *opts, char *err, size_t errlen)
{
	struct decoder		*d;
	struct decoder_opts	 sub;
	size_t			 i;

	for (i = 0; i < KS_ARRAY_LEN(formats); i++)
		if (strcmp(formats[i].format, opts->format) == 0)
			break;
	if (i == KS_ARRAY_LEN(formats)) {
		snprintf(err, errlen, "unknown format \"%s\" (expected one "
		    "of: %s)", opts->format, decode_format_names());
		return NULL;
	}
	if (formats[i].backend != NULL)
		return decoder_new_backend(formats[i].backend, opts,
		    formats[i].format, err, errlen);

	d = ks_xcalloc(1, sizeof(*d));
	d->format = "auto";
	sub = *opts;
	sub.format = "auto";
	d->json = decoder_new_backend("json", &sub, "auto", err, errlen);
	d->clf = decoder_new_backend("clf", &sub, "clf", err, errlen);
	if (d->json == NULL || d->clf == NULL) {
		decoder_free(d);
		return NULL;
	}
	return d;
}

void
decoder_free(struct decoder *d)
{
	if (d == NULL)
		return;
	if (d->be != NULL && d->be->fini != NULL)
		d->be->fini(d);
	decoder_free(d->json);
	decoder_free(d->clf);
	free(d);
}

const char *
decoder_name(const struct decoder *d)
{
	return d->format;
}

enum decode_result
decoder_decode(struct decoder *d, const char *line, size_t len,
    struct event *ev, struct decode_error *err)
{
	size_t i = 0;

	err->column = 0;
	err->msg[0] = '\0';
	if (d->be != NULL)
		return d->be->decode(d, line, len, ev, err);
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i < len && line[i] == '{')
		return d->json->be->decode(d->json, line, len, ev, err);
	return d->clf->be->decode(d->clf, line, len, ev, err);
}

void
decode_errorf(struct decode_error *err, size_t column, const char *fmt, ...)
{
	va_list ap;

	err->column = column;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

int
decode_set_time(struct event *ev, const char *s, size_t len, int number)
{
	int64_t ns;

	if ((number ? kstime_parse_epoch(s, len, &ns) :
	    kstime_parse_any(s, len, &ns)) == -1)
		return -1;
	ev->ts = ns;
	ev->flags |= EV_HAS_TIME;
	return 0;
}

int
decode_set_status(struct event *ev, const char *s, size_t len)
{
	int	v = 0;
	size_t	i;

	if (len == 0 || len > 3)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	ev->status = v;
	ev->flags |= EV_HAS_STATUS;
	return 0;
}

void
decode_set_source(struct event *ev, const char *s, size_t len)
{
	uint16_t port;

	if (addr_parse_hostport(s, len, &ev->src, &port) == 0) {
		ev->flags |= EV_HAS_SRC;
		if (port != 0) {
			ev->src_port = port;
			ev->flags |= EV_HAS_PORT;
		}
	} else
		memset(&ev->src, 0, sizeof(ev->src));
}
