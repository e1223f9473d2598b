/* The sink table, dispatch, and the daemon's backlog (see sink.h). */
#include "autoconfig.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <event2/event.h>
#include <jansson.h>

#include "kstime.h"
#include "log.h"
#include "severity.h"
#include "sink.h"
#include "util.h"

#define RETRY_FIRST	KS_NSEC_PER_SEC
#define RETRY_MAX	(60 * KS_NSEC_PER_SEC)
#define RETRY_BATCH	1000		/* alerts offered per timer run */

struct sink_item {
	struct sink_item	*next;
	int			 severity;
	char			 rule[64];
	size_t			 len;
	char			 json[];
};

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
	s->qtail = &s->qhead;
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

/* The severity and rule id of a document (spooled lines carry only it). */
static void
meta_of(const char *json, size_t len, int *severity, char *rule, size_t size)
{
	json_t		*doc = json_loadb(json, len, 0, NULL);
	const char	*r, *sv;
	int		 n;

	*severity = SEV_INFO;
	rule[0] = '\0';
	if (doc == NULL)
		return;
	r = json_string_value(json_object_get(json_object_get(doc, "rule"),
	    "id"));
	sv = json_string_value(json_object_get(json_object_get(doc,
	    "keysentry"), "severity"));
	if (r != NULL)
		ks_strlcpy(rule, r, size);
	if (sv != NULL && (n = severity_parse(sv)) >= 0)
		*severity = n;
	json_decref(doc);
}

static void	spool_load(struct sink *);

static uint64_t
backlog(const struct sink *s)
{
	return s->qlen + s->spool_lines;
}

uint64_t
sink_backlog(struct sink *s)
{
	spool_load(s);
	return backlog(s);
}

static void	arm_retry(struct sink *, int64_t);

/* Appends a line to the spool; -1 if it cannot (none, full, an error). */
static int
spill(struct sink *s, const char *json, size_t len)
{
	FILE	*f;
	int	 ok;

	if (s->spool == NULL || s->spool_bytes + len + 1 > s->conf->spill_max)
		return -1;
	if ((f = fopen(s->spool, "a")) == NULL) {
		if (!s->spool_full)
			log_warn("output %s: %s", s->conf->path, s->spool);
		return -1;
	}
	ok = fwrite(json, 1, len, f) == len && putc('\n', f) != EOF;
	if (fclose(f) != 0 || !ok) {
		if (!s->spool_full)
			log_warn("output %s: %s", s->conf->path, s->spool);
		/* what was written of it is a torn line: skipped on reading */
		return -1;
	}
	s->spool_bytes += len + 1;
	s->spool_lines++;
	s->spilled++;
	return 0;
}

/* Adds an alert to the backlog: the queue, then the spool, else lost. */
static void
defer(struct sink *s, const char *json, size_t len, int severity,
    const char *rule)
{
	struct sink_item *it;

	spool_load(s);
	s->backlogged++;
	if (!s->behind)
		log_warnx("output %s: alerts are kept and tried again until it "
		    "takes them", s->conf->path);
	s->behind = 1;
	if (s->spool_lines == 0 && s->qlen < s->conf->queue) {
		it = ks_xmalloc(sizeof(*it) + len + 1);
		it->next = NULL;
		it->severity = severity;
		ks_strlcpy(it->rule, rule ? rule : "", sizeof(it->rule));
		it->len = len;
		memcpy(it->json, json, len);
		it->json[len] = '\0';
		*s->qtail = it;
		s->qtail = &it->next;
		s->qlen++;
	} else if (spill(s, json, len) == -1) {
		s->dropped++;
		if (!s->spool_full)
			log_warnx("output %s: %zu alerts queued and %s; alerts are "
			    "dropped until it takes some", s->conf->path,
			    s->qlen, s->spool ? "the spool is full (spill_max)" :
			    "no spool (state_dir)");
		s->spool_full = 1;
	}
	arm_retry(s, 0);
}

void
sink_defer(struct sink *s, const char *json, size_t len)
{
	int	severity;
	char	rule[64];

	if (s->base == NULL)		/* a replay: not kept (the caller
					   counted the failure) */
		return;
	meta_of(json, len, &severity, rule, sizeof(rule));
	defer(s, json, len, severity, rule);
}

int
sink_write_alert(struct sink *s, const char *json, size_t len, int severity,
    const char *rule)
{
	int rc;

	spool_load(s);
	if (s->base != NULL && backlog(s) > 0) {
		defer(s, json, len, severity, rule);	/* after the older */
		return 0;
	}
	s->cur_severity = severity;
	s->cur_rule = rule;
	rc = s->be->write(s, json, len);
	s->cur_rule = NULL;
	if (rc == 0) {
		s->written++;
		return 0;
	}
	s->failed++;
	if (s->base == NULL)
		return -1;
	defer(s, json, len, severity, rule);
	return 0;
}

/* The oldest spooled line, or 0 if there is none left. */
static size_t
spool_next(struct sink *s, char **line, size_t *cap)
{
	FILE	*f;
	ssize_t	 n;

	for (;;) {
		if (s->spool_lines == 0 || (f = fopen(s->spool, "r")) == NULL)
			return 0;
		if (fseeko(f, (off_t)s->spool_off, SEEK_SET) == -1 ||
		    (n = getline(line, cap, f)) <= 0) {
			fclose(f);
			s->spool_lines = 0;	/* shorter than we knew */
			return 0;
		}
		fclose(f);
		if ((*line)[n - 1] == '\n' && n > 1)
			return (size_t)n;
		/* a torn line (a spill cut short): skipped */
		s->spool_off += (uint64_t)n;
		s->spool_lines--;
	}
}

/* The spool was offered whole: it starts over, empty. */
static void
spool_done(struct sink *s)
{
	if (s->spool != NULL && s->spool_bytes > 0 && unlink(s->spool) == -1 &&
	    errno != ENOENT)
		log_warn("output %s: %s", s->conf->path, s->spool);
	s->spool_bytes = s->spool_off = s->spool_lines = 0;
}

/* Offers the backlog to the backend, oldest first, until it refuses. */
static int
offer(struct sink *s)
{
	struct sink_item	*it;
	char			*line = NULL, rule[64];
	size_t			 cap = 0, n, i;
	int			 rc = 0, sev;

	for (i = 0; i < RETRY_BATCH && backlog(s) > 0; i++) {
		if ((it = s->qhead) != NULL) {
			s->cur_severity = it->severity;
			s->cur_rule = it->rule;
			rc = s->be->write(s, it->json, it->len);
			s->cur_rule = NULL;
			if (rc == -1)
				break;
			s->qhead = it->next;
			if (s->qhead == NULL)
				s->qtail = &s->qhead;
			s->qlen--;
			free(it);
		} else {
			if ((n = spool_next(s, &line, &cap)) == 0)
				break;
			meta_of(line, n - 1, &sev, rule, sizeof(rule));
			s->cur_severity = sev;
			s->cur_rule = rule;
			rc = s->be->write(s, line, n - 1);
			s->cur_rule = NULL;
			if (rc == -1)
				break;
			s->spool_off += n;
			s->spool_lines--;
		}
		s->written++;
	}
	free(line);
	if (s->spool_lines == 0)
		spool_done(s);
	return rc;
}

static void
on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct sink *s = arg;

	(void)fd;
	(void)what;
	spool_load(s);
	if (offer(s) == -1) {
		s->failed++;
		s->retry_wait = s->retry_wait == 0 ? RETRY_FIRST :
		    s->retry_wait * 2 > RETRY_MAX ? RETRY_MAX :
		    s->retry_wait * 2;
		arm_retry(s, s->retry_wait);
		return;
	}
	if (backlog(s) > 0) {		/* a batch went: the next at once */
		arm_retry(s, 1);
		return;
	}
	if (s->behind)
		log_info("output %s: takes alerts again; the backlog is "
		    "delivered", s->conf->path);
	s->behind = s->spool_full = 0;
	s->retry_wait = 0;
}

/* Runs on_retry after wait ns (0: the current wait, or the first). */
static void
arm_retry(struct sink *s, int64_t wait)
{
	struct timeval tv;

	if (s->retry == NULL || evtimer_pending(s->retry, NULL))
		return;
	if (wait == 0)
		wait = s->retry_wait ? s->retry_wait : RETRY_FIRST;
	tv.tv_sec = (time_t)(wait / KS_NSEC_PER_SEC);
	tv.tv_usec = (suseconds_t)(wait % KS_NSEC_PER_SEC / 1000);
	evtimer_add(s->retry, &tv);
}

void
sink_set_spool(struct sink *s, const char *state_dir)
{
	char		 dir[4096], name[256];
	size_t		 i;
	const char	*p = s->conf->path ? s->conf->path : s->conf->type;

	if (s->base == NULL || state_dir == NULL)
		return;
	if (s->retry == NULL)
		s->retry = evtimer_new(s->base, on_retry, s);
	if (s->conf->spill_max == 0)
		return;
	snprintf(dir, sizeof(dir), "%s/spool", state_dir);
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		log_warn("output %s: %s; no spool", s->conf->path, dir);
		return;
	}
	for (i = 0; p[i] != '\0' && i + 1 < sizeof(name) - 8; i++)
		name[i] = (p[i] >= 'a' && p[i] <= 'z') ||
		    (p[i] >= 'A' && p[i] <= 'Z') ||
		    (p[i] >= '0' && p[i] <= '9') || p[i] == '.' ||
		    p[i] == '-' ? p[i] : '_';
	name[i] = '\0';
	free(s->spool);
	s->spool = ks_xmalloc(strlen(dir) + strlen(name) + 8);
	sprintf(s->spool, "%s/%s.jsonl", dir, name);
	/*
	 * What an earlier run kept is read at the first chance (the first
	 * alert, or this timer), not now: at a reload the outputs it
	 * replaces are closed after this one opens, and write theirs then.
	 */
	s->spool_loaded = 0;
	arm_retry(s, 1);
}

/* Takes stock of the spool an earlier run, or a replaced output, left. */
static void
spool_load(struct sink *s)
{
	struct stat	sb;
	FILE		*f;
	int		 c;

	if (s->spool == NULL || s->spool_loaded)
		return;
	s->spool_loaded = 1;
	if (stat(s->spool, &sb) == -1 || sb.st_size == 0)
		return;
	s->spool_bytes = (uint64_t)sb.st_size;
	s->spool_lines = s->spool_off = 0;
	if ((f = fopen(s->spool, "r")) != NULL) {
		while ((c = getc(f)) != EOF)
			s->spool_lines += c == '\n';
		fclose(f);
	}
	if (s->spool_lines == 0)
		return;
	log_info("output %s: %" PRIu64 " alerts kept from before; delivering "
	    "them first", s->conf->path, s->spool_lines);
	s->behind = 1;
	arm_retry(s, 1);
}

/*
 * At the close: the queue goes to the spool, before what the spool holds
 * (the queue is older), so that the next start offers it in order.
 */
static void
keep_backlog(struct sink *s)
{
	struct sink_item	*it;
	char			*tmp, *line = NULL;
	size_t			 cap = 0, n;
	uint64_t		 total, kept = 0;
	FILE			*f;

	spool_load(s);
	if ((total = backlog(s)) == 0)
		return;
	if (s->spool != NULL) {
		tmp = ks_xmalloc(strlen(s->spool) + 5);
		sprintf(tmp, "%s.new", s->spool);
		if ((f = fopen(tmp, "w")) == NULL)
			log_warn("output %s: %s", s->conf->path, tmp);
		else {
			for (it = s->qhead; it != NULL; it = it->next) {
				fwrite(it->json, 1, it->len, f);
				putc('\n', f);
				kept++;
			}
			while ((n = spool_next(s, &line, &cap)) > 0) {
				fwrite(line, 1, n, f);
				s->spool_off += n;
				s->spool_lines--;
				kept++;
			}
			free(line);
			if (fclose(f) != 0 || rename(tmp, s->spool) == -1) {
				log_warn("output %s: %s", s->conf->path,
				    s->spool);
				unlink(tmp);
				kept = 0;
			}
		}
		free(tmp);
	}
	if (kept > 0)
		log_info("output %s: %" PRIu64 " alerts not delivered yet, kept "
		    "in %s for the next start", s->conf->path, kept, s->spool);
	else {
		log_warnx("output %s: %" PRIu64 " alerts not delivered%s",
		    s->conf->path, total, s->spool ? "" :
		    " (no state_dir to keep them in)");
		s->dropped += total;
	}
	while ((it = s->qhead) != NULL) {
		s->qhead = it->next;
		free(it);
	}
	s->qtail = &s->qhead;
	s->qlen = 0;
	s->spool_lines = 0;
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
	s->be->close(s);	/* (what it still held comes back: defer) */
	if (s->retry != NULL)
		event_free(s->retry);
	s->retry = NULL;
	keep_backlog(s);
	free(s->spool);
	free(s);
}
