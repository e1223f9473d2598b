/* The sink table and dispatch (see sink.h). */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sink.h"
#include "util.h"

static const struct sink_backend *backends[] = {
	&sink_file_backend,
	&sink_redis_stream_backend,
	&sink_syslog_backend,
	&sink_exec_backend,
	NULL
};

struct sink *
sink_open(const struct output_conf *conf, struct event_base *base, char *err,
    size_t errlen)
{
	struct sink	*s;
	size_t		 i;

	for (i = 0; backends[i] != NULL; i++)
		if (strcmp(backends[i]->type, conf->type) == 0)
			break;
	if (backends[i] == NULL) {
		snprintf(err, errlen, "unknown output type \"%s\"", conf->type);
		return NULL;
	}
	s = ks_xcalloc(1, sizeof(*s));
	s->be = backends[i];
	s->conf = conf;
	s->base = base;
	if (s->be->open(s, conf, err, errlen) == -1) {
		free(s);
		return NULL;
	}
	return s;
}

int
sink_write(struct sink *s, const char *json, size_t len)
{
	if (s->be->write(s, json, len) == -1) {
		s->failed++;
		return -1;
	}
	s->written++;
	return 0;
}

int
sink_write_alert(struct sink *s, const char *json, size_t len, int severity,
    const char *rule)
{
	int rc;

	s->cur_severity = severity;
	s->cur_rule = rule;
	rc = sink_write(s, json, len);
	s->cur_rule = NULL;
	return rc;
}

int
sink_flush(struct sink *s)
{
	return s->be->flush ? s->be->flush(s) : 0;
}

int
sink_drain(struct sink *s)
{
	return s->be->drain ? s->be->drain(s) : 0;
}

int
sink_reopen(struct sink *s)
{
	return s->be->reopen ? s->be->reopen(s) : 0;
}

void
sink_close(struct sink *s)
{
	if (s == NULL)
		return;
	sink_flush(s);
	s->be->close(s);
	free(s);
}
