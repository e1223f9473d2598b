/*
 * The redis-stream sink: one stream entry per alert, the JSON document in
 * the field "alert", ready for XREADGROUP consumers (the SOC feed of a
 * fleet):  XADD <stream> MAXLEN ~ <maxlen> * alert <json>.
 *
 * Writes are queued on the connection (rconn.h) and never wait: an entry
 * the server refuses or never answers is counted as failed, logged once
 * per run of failures, and handed back to the output's backlog
 * (sink_defer(), sink.h); while there is no connection a write fails at
 * once, and the backlog keeps it.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <hiredis/hiredis.h>

#include "log.h"
#include "rconn.h"
#include "sink.h"
#include "util.h"

struct stream_sink {
	struct sink	*s;
	struct rconn	*rc;
	char		 maxlen[24];
	int		 failing;
};

static int
stream_open(struct sink *s, const struct output_conf *conf, char *err,
    size_t errlen)
{
	struct stream_sink *ss = ks_xcalloc(1, sizeof(*ss));

	ss->s = s;
	snprintf(ss->maxlen, sizeof(ss->maxlen), "%lu",
	    (unsigned long)conf->maxlen);
	ss->rc = rconn_open(conf->url, s->base, "output", NULL, NULL, err,
	    errlen);
	if (ss->rc == NULL) {
		free(ss);
		return -1;
	}
	s->priv = ss;
	return 0;
}

/* An entry on its way: its text, to hand back if it is not added. */
struct added {
	struct stream_sink	*ss;
	size_t			 len;
	char			 json[];
};

static void
on_added(void *arg, struct redisReply *reply)
{
	struct added		*a = arg;
	struct stream_sink	*ss = a->ss;

	if (reply != NULL && reply->type == REDIS_REPLY_STRING) {
		if (ss->failing)
			log_info("output %s: writing again", ss->s->conf->path);
		ss->failing = 0;
		free(a);
		return;
	}
	ss->s->failed++;
	if (ss->s->written > 0)
		ss->s->written--;
	if (!ss->failing)
		log_warnx("output %s: an alert was not added%s%.*s",
		    ss->s->conf->path, reply != NULL ? ": " : " (no reply)",
		    reply != NULL ? (int)(reply->len < 200 ? reply->len : 200) :
		    0, reply != NULL && reply->str != NULL ? reply->str : "");
	ss->failing = 1;
	sink_defer(ss->s, a->json, a->len);
	free(a);
}

static int
stream_write(struct sink *s, const char *json, size_t len)
{
	struct stream_sink	*ss = s->priv;
	const char		*argv[8] = { "XADD", s->conf->stream, "MAXLEN",
				    "~", ss->maxlen, "*", "alert", json };
	size_t			 lens[8];
	int			 i;
	struct added		*a = ks_xmalloc(sizeof(*a) + len);

	a->ss = ss;
	a->len = len;
	memcpy(a->json, json, len);
	for (i = 0; i < 7; i++)
		lens[i] = strlen(argv[i]);
	lens[7] = len;
	if (rconn_send(ss->rc, 8, argv, lens, on_added, a) == -1) {
		free(a);
		if (!ss->failing)
			log_warnx("output %s: no connection; alerts are not "
			    "added until it is back", s->conf->path);
		ss->failing = 1;
		return -1;
	}
	return 0;
}

/* Waits for the answers (replay's end, the daemon's stop). */
static int
stream_drain(struct sink *s)
{
	struct stream_sink *ss = s->priv;

	rconn_wait(ss->rc, 0);
	return 0;
}

static void
stream_close(struct sink *s)
{
	struct stream_sink *ss = s->priv;

	if (rconn_own_loop(ss->rc))
		rconn_wait(ss->rc, 0);
	rconn_close(ss->rc);	/* what is still pending fails */
	free(ss);
}

const struct sink_backend sink_redis_stream_backend = {
	.type = "redis-stream",
	.open = stream_open,
	.write = stream_write,
	.drain = stream_drain,
	.close = stream_close,
};
