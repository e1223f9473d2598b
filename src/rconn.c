/* The connection to Redis (see rconn.h). */
#include "autoconfig.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <event2/event.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <hiredis/adapters/libevent.h>

#include "kstime.h"
#include "log.h"
#include "rconn.h"
#include "util.h"

struct pend {
	struct pend	*next, *prev;	/* oldest first */
	int64_t		 t;		/* sent, monotonic ns */
	rconn_cb	*cb;
	void		*arg;
	struct rconn	*rc;
};

struct rconn {
	struct event_base	*base;
	int			 own_base;
	redisAsyncContext	*ac;
	int			 connected;
	int			 closing;
	char			*host, *path, *user, *pass;
	int			 port, db;
	char			 where[300];
	char			 what[16];
	rconn_hook		*hook;
	void			*hook_arg;
	rconn_hook		*up_hook;
	void			*up_arg;
	struct pend		*head, *tail;
	size_t			 pending;
	struct event		*t_reconnect, *t_watch;
	int			 backoff;
	int			 down_logged;
	uint64_t		 reconnects;
};


int
rconn_accepts(const char *url)
{
	return strncmp(url, "redis://", 8) == 0 ||
	    strncmp(url, "unix://", 7) == 0;
}

/* "%xx" decoding for the user and password of a URL. */
static char *
pct_decode(const char *s, size_t len)
{
	char		*out = ks_xmalloc(len + 1), *o = out;
	size_t		 i;
	unsigned int	 v;

	for (i = 0; i < len; i++) {
		if (s[i] == '%' && i + 2 < len && isxdigit((unsigned char)s[i + 1])
		    && isxdigit((unsigned char)s[i + 2]) &&
		    sscanf(s + i + 1, "%2x", &v) == 1) {
			*o++ = (char)v;
			i += 2;
			continue;
		}
		*o++ = s[i];
	}
	*o = '\0';
	return out;
}

/*
 * redis://[user:password@]host[:port][/db] and
 * unix:///path/to/redis.sock[?db=N].  Returns 0 or -1 with a message.
 */
int
rconn_parse_url(const char *url, char **host, int *port, char **path,
    char **user, char **pass, int *db, char *err, size_t errlen)
{
	const char	*p, *at, *end, *colon;
	char		*e, url_safe[512];
	long		 v;

	*host = *path = *user = *pass = NULL;
	*port = 6379;
	*db = 0;
	/* messages show the URL without its user and password */
	p = strncmp(url, "redis://", 8) == 0 ? url + 8 : url;
	end = p + strcspn(p, "/");
	at = memchr(p, '@', (size_t)(end - p));
	if (at != NULL)
		snprintf(url_safe, sizeof(url_safe), "redis://***@%s", at + 1);
	else
		snprintf(url_safe, sizeof(url_safe), "%s", url);
	if (strncmp(url, "unix://", 7) == 0) {
		p = url + 7;
		if (*p != '/') {
			snprintf(err, errlen, "%s: a unix:// URL needs an "
			    "absolute path", url_safe);
			return -1;
		}
		end = strchr(p, '?');
		*path = end ? ks_xstrndup(p, (size_t)(end - p)) :
		    ks_xstrdup(p);
		if (end != NULL) {
			if (strncmp(end, "?db=", 4) != 0 || end[4] == '\0' ||
			    (v = strtol(end + 4, &e, 10)) < 0 || v > 1000 ||
			    *e != '\0') {
				snprintf(err, errlen, "%s: expected ?db=N after "
				    "the path", url_safe);
				goto fail;
			}
			*db = (int)v;
		}
		return 0;
	}
	p = url + 8;
	end = p + strcspn(p, "/");
	at = memchr(p, '@', (size_t)(end - p));
	if (at != NULL) {
		colon = memchr(p, ':', (size_t)(at - p));
		if (colon == NULL)	/* redis://password@host */
			*pass = pct_decode(p, (size_t)(at - p));
		else {
			if (colon > p)
				*user = pct_decode(p, (size_t)(colon - p));
			*pass = pct_decode(colon + 1, (size_t)(at - colon - 1));
		}
		p = at + 1;
	}
	if (*p == '[') {			/* [v6]:port */
		const char *rb = memchr(p, ']', (size_t)(end - p));
		if (rb == NULL) {
			snprintf(err, errlen, "%s: unclosed '['", url_safe);
			goto fail;
		}
		*host = ks_xstrndup(p + 1, (size_t)(rb - p - 1));
		colon = rb + 1 < end && rb[1] == ':' ? rb + 1 : NULL;
	} else {
		colon = memchr(p, ':', (size_t)(end - p));
		*host = ks_xstrndup(p, (size_t)((colon ? colon : end) - p));
	}
	if ((*host)[0] == '\0') {
		snprintf(err, errlen, "%s: no host", url_safe);
		goto fail;
	}
	if (colon != NULL) {
		v = strtol(colon + 1, &e, 10);
		if (e != end || v < 1 || v > 65535) {
			snprintf(err, errlen, "%s: bad port", url_safe);
			goto fail;
		}
		*port = (int)v;
	}
	if (*end == '/' && end[1] != '\0') {
		v = strtol(end + 1, &e, 10);
		if (*e != '\0' || v < 0 || v > 1000) {
			snprintf(err, errlen, "%s: the path must be a database "
			    "number", url_safe);
			goto fail;
		}
		*db = (int)v;
	}
	return 0;
fail:
	free(*host);
	free(*path);
	free(*user);
	free(*pass);
	*host = *path = *user = *pass = NULL;
	return -1;
}

int
rconn_check_url(const char *url, char *err, size_t errlen)
{
	char	*h, *p, *u, *pw;
	int	 port, db;

	if (rconn_parse_url(url, &h, &port, &p, &u, &pw, &db, err,
	    errlen) == -1)
		return -1;
	free(h);
	free(p);
	free(u);
	if (pw != NULL)
		explicit_bzero(pw, strlen(pw));
	free(pw);
	return 0;
}

static void	schedule_reconnect(struct rconn *);

static void
unlink_pend(struct rconn *rc, struct pend *p)
{
	if (p->prev != NULL)
		p->prev->next = p->next;
	else
		rc->head = p->next;
	if (p->next != NULL)
		p->next->prev = p->prev;
	else
		rc->tail = p->prev;
	rc->pending--;
}

static void
on_reply(redisAsyncContext *ac, void *r, void *priv)
{
	struct pend	*p = priv;
	struct rconn	*rc = p->rc;

	(void)ac;
	unlink_pend(rc, p);
	if (p->cb != NULL)
		p->cb(p->arg, r);
	free(p);
}

static void
arm_watch(struct rconn *rc)
{
	struct timeval tv = { 0, 500000 };

	if (rc->t_watch != NULL && !evtimer_pending(rc->t_watch, NULL))
		evtimer_add(rc->t_watch, &tv);
}

int
rconn_send(struct rconn *rc, int argc, const char **argv, const size_t *lens,
    rconn_cb *cb, void *arg)
{
	struct pend *p;

	if (rc->ac == NULL)
		return -1;
	p = ks_xcalloc(1, sizeof(*p));
	p->rc = rc;
	p->cb = cb;
	p->arg = arg;
	p->t = kstime_monotonic();
	p->prev = rc->tail;
	if (rc->tail != NULL)
		rc->tail->next = p;
	else
		rc->head = p;
	rc->tail = p;
	rc->pending++;
	if (redisAsyncCommandArgv(rc->ac, on_reply, p, argc, argv, lens) !=
	    REDIS_OK) {
		unlink_pend(rc, p);
		free(p);
		return -1;
	}
	arm_watch(rc);
	return 0;
}

/* AUTH and SELECT: a failure is logged (a wrong password, say). */
static void
on_setup(void *arg, struct redisReply *reply)
{
	struct rconn *rc = arg;

	if (reply != NULL && reply->type == REDIS_REPLY_ERROR)
		log_warnx("%s %s: %.*s", rc->what, rc->where,
		    (int)(reply->len < 200 ? reply->len : 200), reply->str);
}

static void
on_connect(const redisAsyncContext *ac, int status)
{
	struct rconn *rc = ac->data;

	if (status != REDIS_OK) {
		/* hiredis frees the context after this */
		if (!rc->down_logged)
			log_warnx("%s %s: cannot connect: %s", rc->what,
			    rc->where, ac->errstr);
		rc->down_logged = 1;
		rc->ac = NULL;
		rc->connected = 0;
		schedule_reconnect(rc);
		return;
	}
	rc->connected = 1;
	rc->backoff = 0;
	if (rc->own_base)	/* rconn_open() or a replay's wait: go on */
		event_base_loopbreak(rc->base);
	if (rc->down_logged)
		log_info("%s %s: connected again", rc->what, rc->where);
	rc->down_logged = 0;
	if (rc->up_hook != NULL)
		rc->up_hook(rc, rc->up_arg);
}

void
rconn_on_up(struct rconn *rc, rconn_hook *fn, void *arg)
{
	rc->up_hook = fn;
	rc->up_arg = arg;
}

static void
on_disconnect(const redisAsyncContext *ac, int status)
{
	struct rconn *rc = ac->data;

	(void)status;
	rc->ac = NULL;
	rc->connected = 0;
	if (rc->closing)
		return;
	if (!rc->down_logged)
		log_warnx("%s %s: connection lost%s%s", rc->what, rc->where,
		    ac->errstr[0] ? ": " : "", ac->errstr);
	rc->down_logged = 1;
	schedule_reconnect(rc);
}

static int
open_conn(struct rconn *rc)
{
	const char	*argv[3];
	size_t		 lens[3];
	char		 db[16];
	int		 i, n;

	rc->ac = rc->path != NULL ? redisAsyncConnectUnix(rc->path) :
	    redisAsyncConnect(rc->host, rc->port);
	if (rc->ac == NULL)
		return -1;
	if (rc->ac->err) {
		if (!rc->down_logged)
			log_warnx("%s %s: %s", rc->what, rc->where,
			    rc->ac->errstr);
		rc->down_logged = 1;
		redisAsyncFree(rc->ac);
		rc->ac = NULL;
		return -1;
	}
	rc->ac->data = rc;
	redisLibeventAttach(rc->ac, rc->base);
	redisAsyncSetConnectCallback(rc->ac, on_connect);
	redisAsyncSetDisconnectCallback(rc->ac, on_disconnect);
	if (rc->pass != NULL) {
		n = 0;
		argv[n++] = "AUTH";
		if (rc->user != NULL)
			argv[n++] = rc->user;
		argv[n++] = rc->pass;
		for (i = 0; i < n; i++)
			lens[i] = strlen(argv[i]);
		rconn_send(rc, n, argv, lens, on_setup, rc);
	}
	if (rc->db != 0) {
		snprintf(db, sizeof(db), "%d", rc->db);
		argv[0] = "SELECT";
		argv[1] = db;
		lens[0] = 6;
		lens[1] = strlen(db);
		rconn_send(rc, 2, argv, lens, on_setup, rc);
	}
	if (rc->hook != NULL)
		rc->hook(rc, rc->hook_arg);
	return 0;
}

static void
on_reconnect(evutil_socket_t fd, short what, void *arg)
{
	struct rconn *rc = arg;

	(void)fd;
	(void)what;
	rc->reconnects++;
	if (open_conn(rc) == -1)
		schedule_reconnect(rc);
}

/* The next try: 1, 2, 4 ... 30 s. */
static void
schedule_reconnect(struct rconn *rc)
{
	struct timeval tv = { 0, 0 };

	if (rc->closing || rc->t_reconnect == NULL)
		return;
	rc->backoff = rc->backoff == 0 ? 1 : rc->backoff * 2;
	if (rc->backoff > RCONN_BACKOFF_MAX_S)
		rc->backoff = RCONN_BACKOFF_MAX_S;
	tv.tv_sec = rc->backoff;
	evtimer_add(rc->t_reconnect, &tv);
}

/* A command unanswered for RCONN_TIMEOUT: drop the connection. */
static void
on_watch(evutil_socket_t fd, short what, void *arg)
{
	struct rconn *rc = arg;

	(void)fd;
	(void)what;
	if (rc->head == NULL || rc->ac == NULL)
		return;
	if (kstime_monotonic() - rc->head->t > RCONN_TIMEOUT_NS) {
		redisAsyncContext *ac = rc->ac;
		log_warnx("%s %s: no reply for %" PRId64 " s; dropping the "
		    "connection", rc->what, rc->where,
		    RCONN_TIMEOUT_NS / KS_NSEC_PER_SEC);
		rc->down_logged = 1;
		/* every pending callback runs, with no reply */
		redisAsyncFree(ac);
		if (rc->ac == ac) {	/* not connected: no callback ran */
			rc->ac = NULL;
			schedule_reconnect(rc);
		}
		return;
	}
	arm_watch(rc);
}

static void
free_rconn(struct rconn *rc)
{
	if (rc->t_reconnect != NULL)
		event_free(rc->t_reconnect);
	if (rc->t_watch != NULL)
		event_free(rc->t_watch);
	if (rc->own_base)
		event_base_free(rc->base);
	if (rc->pass != NULL)
		explicit_bzero(rc->pass, strlen(rc->pass));
	free(rc->host);
	free(rc->path);
	free(rc->user);
	free(rc->pass);
	free(rc);
}

void
rconn_run_for(struct rconn *rc, int64_t ns)
{
	struct timeval tv;

	if (!rc->own_base)
		return;
	tv.tv_sec = ns / KS_NSEC_PER_SEC;
	tv.tv_usec = (ns % KS_NSEC_PER_SEC) / 1000;
	event_base_loopexit(rc->base, &tv);
	event_base_dispatch(rc->base);
}

struct rconn *
rconn_open(const char *url, struct event_base *base, const char *what,
    rconn_hook *hook, void *hook_arg, char *err, size_t errlen)
{
	struct rconn	*rc = ks_xcalloc(1, sizeof(*rc));
	int64_t		 deadline;

	if (rconn_parse_url(url, &rc->host, &rc->port, &rc->path, &rc->user,
	    &rc->pass, &rc->db, err, errlen) == -1) {
		free(rc);
		return NULL;
	}
	ks_strlcpy(rc->what, what, sizeof(rc->what));
	if (rc->path != NULL)
		snprintf(rc->where, sizeof(rc->where), "unix://%s?db=%d",
		    rc->path, rc->db);
	else
		snprintf(rc->where, sizeof(rc->where), "redis://%s%s%s:%d/%d",
		    rc->user ? rc->user : "", rc->user ? "@" : "",
		    rc->host, rc->port, rc->db);
	rc->hook = hook;
	rc->hook_arg = hook_arg;
	rc->base = base;
	if (rc->base == NULL) {
		rc->base = event_base_new();
		rc->own_base = 1;
	}
	rc->t_reconnect = evtimer_new(rc->base, on_reconnect, rc);
	rc->t_watch = evtimer_new(rc->base, on_watch, rc);
	if (open_conn(rc) == -1 && rc->own_base)
		goto fail;
	if (rc->own_base) {
		/*
		 * replay: a server that is not there is an error, not a wait;
		 * one that does not answer (packets dropped) too, after
		 * RCONN_TIMEOUT, not after the kernel's connect timeout
		 */
		deadline = kstime_monotonic() + RCONN_TIMEOUT_NS;
		while (rc->ac != NULL && !rc->connected &&
		    kstime_monotonic() < deadline)
			rconn_run_for(rc, KS_NSEC_PER_SEC / 20);
		if (!rc->connected)
			goto fail;
	} else if (rc->ac == NULL)
		schedule_reconnect(rc);
	return rc;
fail:
	snprintf(err, errlen, "%s %s: cannot connect", what, rc->where);
	rc->closing = 1;
	if (rc->ac != NULL)
		redisAsyncFree(rc->ac);
	free_rconn(rc);
	return NULL;
}

void
rconn_poll(struct rconn *rc)
{
	if (rc->own_base)
		event_base_loop(rc->base, EVLOOP_NONBLOCK);
}

void
rconn_kick(struct rconn *rc)
{
	if (rc->ac != NULL || rc->closing)
		return;
	evtimer_del(rc->t_reconnect);
	rc->reconnects++;
	if (open_conn(rc) == -1)
		schedule_reconnect(rc);
}


size_t
rconn_pending(const struct rconn *rc)
{
	return rc->pending;
}

void
rconn_wait(struct rconn *rc, size_t max)
{
	/* the watchdog bounds this: a silent server is dropped */
	while (rc->pending > max)
		event_base_loop(rc->base, EVLOOP_ONCE);
}

int
rconn_up(const struct rconn *rc)
{
	return rc->connected;
}

int
rconn_own_loop(const struct rconn *rc)
{
	return rc->own_base;
}

uint64_t
rconn_reconnects(const struct rconn *rc)
{
	return rc->reconnects;
}

const char *
rconn_where(const struct rconn *rc)
{
	return rc->where;
}

void
rconn_close(struct rconn *rc)
{
	if (rc == NULL)
		return;
	rc->closing = 1;
	if (rc->ac != NULL)
		redisAsyncFree(rc->ac);		/* pending callbacks: NULL */
	rc->ac = NULL;
	free_rconn(rc);
}
