/*
 * JSON-lines access logs.  A preset names, for each event field, the JSON
 * paths that may hold it, in order of preference; a source's "fields:" map
 * replaces a preset's list field by field.  "auto" uses the union of all
 * presets, nested paths first.  A record must have a path and a status to
 * be an access record (Kratos also logs "started handling request" lines
 * without a response, and lines that are not about requests at all).
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "jscan.h"
#include "util.h"

#define SCRATCH_SIZE	8192

struct preset {
	const char	*name;
	const char	*paths[DF_COUNT_][8];
};

static const struct preset presets[] = {
	{ "kratos", {
		[DF_TIME] = { "time" },
		[DF_SOURCE] = { "http_request.remote" },
		[DF_METHOD] = { "http_request.method" },
		[DF_PATH] = { "http_request.path" },
		[DF_STATUS] = { "http_response.status" },
		[DF_USER_AGENT] = { "http_request.headers.user-agent" },
	} },
	{ "caddy", {
		[DF_TIME] = { "ts" },
		[DF_SOURCE] = { "request.remote_ip" },
		[DF_SOURCE_PORT] = { "request.remote_port" },
		[DF_METHOD] = { "request.method" },
		[DF_PATH] = { "request.uri" },
		[DF_STATUS] = { "status" },
		[DF_USER_AGENT] = { "request.headers.User-Agent" },
	} },
	{ "flat", {
		[DF_TIME] = { "time", "ts", "timestamp", "@timestamp" },
		[DF_SOURCE] = { "remote_addr", "remote_ip", "client_ip",
		    "src_ip", "source.ip" },
		[DF_SOURCE_PORT] = { "remote_port", "src_port",
		    "source.port" },
		[DF_METHOD] = { "method", "http.request.method" },
		[DF_PATH] = { "path", "uri", "url.path", "url.original" },
		[DF_STATUS] = { "status", "status_code",
		    "http.response.status_code" },
		[DF_USER_AGENT] = { "user_agent", "http_user_agent",
		    "user_agent.original" },
	} },
};

struct json_priv {
	struct jpath_set	*paths;
	char			 scratch[SCRATCH_SIZE];
};

static int
add_paths(struct jpath_set *set, int field, const char *const *list,
    int *prio, char *err, size_t errlen)
{
	for (; *list != NULL; list++) {
		if (jpath_set_add(set, *list, field, (*prio)++) == -1) {
			snprintf(err, errlen, "field %s: bad JSON path \"%s\"",
			    decode_field_name(field), *list);
			return -1;
		}
	}
	return 0;
}

static int
json_init(struct decoder *d, const struct decoder_opts *opts, char *err,
    size_t errlen)
{
	struct json_priv	*jp = ks_xcalloc(1, sizeof(*jp));
	const char		*want = opts->format;
	size_t			 i;
	int			 f, prio;

	if (strcmp(want, "json") == 0)
		want = "flat";
	jp->paths = jpath_set_new();
	for (f = 0; f < DF_COUNT_; f++) {
		prio = 0;
		if (opts->fields[f][0] != NULL) {
			if (add_paths(jp->paths, f, opts->fields[f], &prio,
			    err, errlen) == -1)
				goto fail;
			continue;
		}
		for (i = 0; i < KS_ARRAY_LEN(presets); i++) {
			if (strcmp(want, "auto") != 0 &&
			    strcmp(want, presets[i].name) != 0)
				continue;
			if (add_paths(jp->paths, f, presets[i].paths[f],
			    &prio, err, errlen) == -1)
				goto fail;
		}
	}
	d->priv = jp;
	return 0;
fail:
	jpath_set_free(jp->paths);
	free(jp);
	return -1;
}

static void
json_fini(struct decoder *d)
{
	struct json_priv *jp = d->priv;

	if (jp == NULL)
		return;
	jpath_set_free(jp->paths);
	free(jp);
	d->priv = NULL;
}

static int
is_text(const struct jvalue *v)
{
	return v->type == JV_STRING || v->type == JV_NUMBER;
}

/* 1-based column of a captured value, if it points into the line; else 0. */
static size_t
value_column(const struct jvalue *v, const char *line, size_t len)
{
	if (v->s >= line && v->s < line + len)
		return (size_t)(v->s - line) + 1;
	return 0;
}

static enum decode_result
json_decode(struct decoder *d, const char *line, size_t len, struct event *ev,
    struct decode_error *err)
{
	struct json_priv	*jp = d->priv;
	struct jvalue		 v[JSCAN_MAX_SLOTS];
	struct jscan_error	 jerr;
	const struct jvalue	*t;

	if (jscan_object(jp->paths, line, len, v, jp->scratch,
	    sizeof(jp->scratch), &jerr) == -1) {
		decode_errorf(err, jerr.offset + 1, "invalid JSON: %s",
		    jerr.msg);
		return DECODE_ERROR;
	}
	if (v[DF_PATH].type != JV_STRING) {
		decode_errorf(err, 0, "no request path: not an access record");
		return DECODE_IGNORE;
	}
	if (!is_text(&v[DF_STATUS])) {
		decode_errorf(err, 0, "no response status: not a completed "
		    "request");
		return DECODE_IGNORE;
	}
	event_clear(ev);
	if (decode_set_status(ev, v[DF_STATUS].s, v[DF_STATUS].len) == -1) {
		decode_errorf(err, value_column(&v[DF_STATUS], line, len),
		    "status is not a number from 0 to 999");
		return DECODE_ERROR;
	}
	t = &v[DF_TIME];
	if (is_text(t) && decode_set_time(ev, t->s, t->len,
	    t->type == JV_NUMBER) == -1) {
		decode_errorf(err, value_column(t, line, len), "time value of "
		    "%zu bytes is neither RFC 3339, epoch seconds nor CLF",
		    t->len);
		return DECODE_ERROR;
	}
	event_set_path(ev, v[DF_PATH].s, v[DF_PATH].len);
	if (v[DF_PATH].truncated)
		ev->flags |= EV_TRUNCATED;
	if (v[DF_METHOD].type == JV_STRING)
		event_set_method(ev, v[DF_METHOD].s, v[DF_METHOD].len);
	if (v[DF_SOURCE].type == JV_STRING)
		decode_set_source(ev, v[DF_SOURCE].s, v[DF_SOURCE].len);
	if (is_text(&v[DF_SOURCE_PORT]) && !(ev->flags & EV_HAS_PORT)) {
		unsigned long p = 0;
		size_t i;
		for (i = 0; i < v[DF_SOURCE_PORT].len && i < 6; i++) {
			char c = v[DF_SOURCE_PORT].s[i];
			if (c < '0' || c > '9')
				break;
			p = p * 10 + (unsigned long)(c - '0');
		}
		if (i == v[DF_SOURCE_PORT].len && i > 0 && p <= 65535) {
			ev->src_port = (uint16_t)p;
			ev->flags |= EV_HAS_PORT;
		}
	}
	if (v[DF_USER_AGENT].type == JV_STRING)
		event_set_string(ev, ev->user_agent, sizeof(ev->user_agent),
		    v[DF_USER_AGENT].s, v[DF_USER_AGENT].len);
	return DECODE_EVENT;
}

const struct decoder_backend decode_json_backend = {
	.name = "json",
	.init = json_init,
	.decode = json_decode,
	.fini = json_fini,
};
