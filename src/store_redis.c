/*
 * The Redis counter store (see store.h): a fleet of monitors counting
 * into one server.  hiredis' asynchronous API on the caller's libevent
 * loop (or a private one, for replay), so the loop never waits on Redis.
 *
 * Layout (docs/store-redis.md): every key is key_prefix + the detector's
 * key.  A window is a sorted set, member -> score (event time in
 * microseconds), holding at most cap members; a claim is a string
 * holding the event time (us) until which it is held.  Each operation is
 * one Lua script, so it is atomic however many monitors share the server,
 * and the window's semantics are exactly those of the memory store (no
 * buckets): the only difference is the resolution, 1 us instead of 1 ns.
 * Every key gets a wall-clock time to live of its window or cooldown plus
 * max_skew plus a minute, so that memory in Redis is bounded by the
 * traffic of the last window.
 *
 * Replies come in the order commands were sent.  A command without a
 * reply for REDIS_TIMEOUT is a Redis that hangs (SIGSTOP, swap): the
 * connection is dropped, every pending operation fails (err -1), and
 * connecting again is retried with backoff.  While there is no
 * connection, operations fail at once.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <event2/event.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <hiredis/adapters/libevent.h>
#include <openssl/evp.h>

#include "log.h"
#include "store.h"
#include "util.h"

#define REDIS_TIMEOUT_NS	(2 * INT64_C(1000000000))
#define REDIS_BACKOFF_MAX_S	30
#define TTL_MARGIN_MS		60000
/* Members a window keeps in replay (see keep_from()). */
#define REPLAY_MEMBERS		10000

/*
 * The window's answer, as the memory store gives it: of the members in
 * (now - window, now + skew], how many (at most cap), the lowest of the
 * cap highest, and the highest.
 */
#define SCRIPT_SUMMARY \
    "local lo, hi = '(' .. (now - win), now + skew\n" \
    "if cap <= 64 then\n" \
    "  local r = redis.call('ZREVRANGEBYSCORE', k, hi, lo, 'WITHSCORES', " \
    "'LIMIT', 0, cap)\n" \
    "  local c = #r / 2\n" \
    "  if c == 0 then return {0, 0, 0} end\n" \
    "  return {c, tonumber(r[#r]), tonumber(r[2])}\n" \
    "end\n" \
    "local c = redis.call('ZCOUNT', k, lo, hi)\n" \
    "if c == 0 then return {0, 0, 0} end\n" \
    "if c > cap then c = cap end\n" \
    "local a = redis.call('ZREVRANGEBYSCORE', k, hi, lo, 'WITHSCORES', " \
    "'LIMIT', c - 1, 1)\n" \
    "local b = redis.call('ZREVRANGEBYSCORE', k, hi, lo, 'WITHSCORES', " \
    "'LIMIT', 0, 1)\n" \
    "return {c, tonumber(a[2]), tonumber(b[2])}\n"

/*
 * KEYS[1]; member, score, now, window, cap, skew, ttl_ms, keep, hard.
 * keep: members at or below it are dropped ('-inf' in replay, where
 * monitors do not move through event time together); hard: members kept
 * at most, the highest (cap live; a larger bound in replay).  ZADD GT
 * only ever raises a member's score (Redis 6.2 and later).
 */
static const char script_add[] =
    "local k, m = KEYS[1], ARGV[1]\n"
    "local score, now, win = tonumber(ARGV[2]), tonumber(ARGV[3]), "
    "tonumber(ARGV[4])\n"
    "local cap, skew, hard = tonumber(ARGV[5]), tonumber(ARGV[6]), "
    "tonumber(ARGV[9])\n"
    "if ARGV[8] ~= '-inf' then\n"
    "  redis.call('ZREMRANGEBYSCORE', k, '-inf', ARGV[8])\n"
    "end\n"
    "if score > now - win then\n"
    "  redis.call('ZADD', k, 'GT', score, m)\n"
    "  local n = redis.call('ZCARD', k)\n"
    "  if n > hard then redis.call('ZREMRANGEBYRANK', k, 0, n - hard - 1) "
    "end\n"
    "  redis.call('PEXPIRE', k, ARGV[7])\n"
    "end\n"
    SCRIPT_SUMMARY;

/* KEYS[1]; now, window, skew, keep, cap */
static const char script_get[] =
    "local k = KEYS[1]\n"
    "local now, win, skew = tonumber(ARGV[1]), tonumber(ARGV[2]), "
    "tonumber(ARGV[3])\n"
    "local cap = tonumber(ARGV[5])\n"
    "if ARGV[4] ~= '-inf' then\n"
    "  redis.call('ZREMRANGEBYSCORE', k, '-inf', ARGV[4])\n"
    "end\n"
    SCRIPT_SUMMARY;

/* KEYS[1]; now, ttl (us), ttl_ms (wall) */
static const char script_claim[] =
    "local v = redis.call('GET', KEYS[1])\n"
    "if v and tonumber(v) > tonumber(ARGV[1]) then return 0 end\n"
    "redis.call('SET', KEYS[1], string.format('%.0f', tonumber(ARGV[1]) + "
    "tonumber(ARGV[2])), 'PX', ARGV[3])\n"
    "return 1\n";

enum { OP_ADD, OP_GET, OP_CLAIM, OP_SETUP };

struct rop {
	struct redis_store	*rs;
	struct rop		*next, *prev;	/* pending, oldest first */
	int			 type;
	int64_t			 t;		/* monotonic ns, sent */
	store_window_cb		*wcb;
	store_claim_cb		*ccb;
	void			*arg;
};

struct redis_store {
	struct event_base	*base;
	int			 own_base;
	int			 replay;	/* own base: monitors replaying */
	redisAsyncContext	*ac;
	int			 connected;	/* the connect callback said so */
	int			 closing;
	char			*host, *path, *user, *pass;
	int			 port, db;
	char			 where[300];	/* for messages: no password */
	char			*prefix;
	size_t			 plen;
	int64_t			 skew;
	char			 sha[3][41];
	struct rop		*head, *tail;
	size_t			 pending;
	struct event		*t_reconnect, *t_watch;
	int			 backoff;	/* s */
	int			 down_logged;
	uint64_t		 ops, errors, reconnects;
};

static int64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * KS_NSEC_PER_SEC + ts.tv_nsec;
}

static void
sha1_hex(const char *s, char out[41])
{
	unsigned char	md[EVP_MAX_MD_SIZE];
	unsigned int	n = 0, i;

	EVP_Digest(s, strlen(s), md, &n, EVP_sha1(), NULL);
	for (i = 0; i < n && i < 20; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[40] = '\0';
}

static int
redis_accepts(const char *url)
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
store_redis_parse_url(const char *url, char **host, int *port, char **path,
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

static void	rconnect(struct redis_store *);

static void
unlink_op(struct redis_store *rs, struct rop *op)
{
	if (op->prev != NULL)
		op->prev->next = op->next;
	else
		rs->head = op->next;
	if (op->next != NULL)
		op->next->prev = op->prev;
	else
		rs->tail = op->prev;
	rs->pending--;
}

static void
fail_op(struct rop *op)
{
	struct store_window w;

	memset(&w, 0, sizeof(w));
	if (op->wcb != NULL)
		op->wcb(op->arg, -1, &w);
	else if (op->ccb != NULL)
		op->ccb(op->arg, -1, 0);
}

static void
on_reply(redisAsyncContext *ac, void *r, void *priv)
{
	struct rop		*op = priv;
	struct redis_store	*rs = op->rs;
	redisReply		*reply = r;
	struct store_window	 w;

	(void)ac;
	unlink_op(rs, op);
	if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
		if (reply != NULL && op->type != OP_SETUP) {
			rs->errors++;
			log_warnx("store %s: %.*s", rs->where,
			    (int)(reply->len < 200 ? reply->len : 200),
			    reply->str);
		} else if (reply != NULL)
			log_warnx("store %s: %.*s", rs->where,
			    (int)(reply->len < 200 ? reply->len : 200),
			    reply->str);
		else
			rs->errors++;
		fail_op(op);
		free(op);
		return;
	}
	switch (op->type) {
	case OP_ADD:
	case OP_GET:
		memset(&w, 0, sizeof(w));
		if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3) {
			rs->errors++;
			fail_op(op);
			break;
		}
		w.count = (uint64_t)reply->element[0]->integer;
		w.oldest = reply->element[1]->integer * 1000;
		w.newest = reply->element[2]->integer * 1000;
		op->wcb(op->arg, 0, &w);
		break;
	case OP_CLAIM:
		op->ccb(op->arg, 0, reply->type == REDIS_REPLY_INTEGER &&
		    reply->integer == 1);
		break;
	default:
		break;
	}
	free(op);
}

static void
send_argv(struct redis_store *rs, struct rop *op, int argc,
    const char **argv, const size_t *lens)
{
	op->rs = rs;
	op->t = mono_ns();
	if (rs->ac == NULL) {		/* down: fail at once */
		if (op->type != OP_SETUP)
			rs->errors++;
		fail_op(op);
		free(op);
		return;
	}
	op->prev = rs->tail;
	op->next = NULL;
	if (rs->tail != NULL)
		rs->tail->next = op;
	else
		rs->head = op;
	rs->tail = op;
	rs->pending++;
	if (redisAsyncCommandArgv(rs->ac, on_reply, op, argc, argv, lens) !=
	    REDIS_OK) {
		unlink_op(rs, op);
		rs->errors++;
		fail_op(op);
		free(op);
		return;
	}
	if (rs->t_watch != NULL && !evtimer_pending(rs->t_watch, NULL)) {
		struct timeval tv = { 0, 500000 };
		evtimer_add(rs->t_watch, &tv);
	}
}

static void
send_setup(struct redis_store *rs, int argc, const char **argv)
{
	struct rop	*op = ks_xcalloc(1, sizeof(*op));
	size_t		 lens[4];
	int		 i;

	op->type = OP_SETUP;
	for (i = 0; i < argc; i++)
		lens[i] = strlen(argv[i]);
	send_argv(rs, op, argc, argv, lens);
}

static void
on_connect(const redisAsyncContext *ac, int status)
{
	struct redis_store *rs = ac->data;

	if (status != REDIS_OK) {
		/* hiredis frees the context after this */
		if (!rs->down_logged)
			log_warnx("store %s: cannot connect: %s", rs->where,
			    ac->errstr);
		rs->down_logged = 1;
		rs->ac = NULL;
		rs->connected = 0;
		rconnect(rs);
		return;
	}
	rs->connected = 1;
	rs->backoff = 0;
	if (rs->down_logged)
		log_info("store %s: connected again", rs->where);
	rs->down_logged = 0;
}

static void
on_disconnect(const redisAsyncContext *ac, int status)
{
	struct redis_store *rs = ac->data;

	(void)status;
	rs->ac = NULL;
	rs->connected = 0;
	if (rs->closing)
		return;
	if (!rs->down_logged)
		log_warnx("store %s: connection lost%s%s", rs->where,
		    ac->errstr[0] ? ": " : "", ac->errstr);
	rs->down_logged = 1;
	rconnect(rs);
}

/* Opens a connection and queues what a new connection needs first. */
static int
open_conn(struct redis_store *rs)
{
	const char	*argv[4];
	char		 db[16];
	int		 i;

	rs->ac = rs->path != NULL ? redisAsyncConnectUnix(rs->path) :
	    redisAsyncConnect(rs->host, rs->port);
	if (rs->ac == NULL)
		return -1;
	if (rs->ac->err) {
		if (!rs->down_logged)
			log_warnx("store %s: %s", rs->where, rs->ac->errstr);
		rs->down_logged = 1;
		redisAsyncFree(rs->ac);
		rs->ac = NULL;
		return -1;
	}
	rs->ac->data = rs;
	redisLibeventAttach(rs->ac, rs->base);
	redisAsyncSetConnectCallback(rs->ac, on_connect);
	redisAsyncSetDisconnectCallback(rs->ac, on_disconnect);
	if (rs->pass != NULL) {
		argv[0] = "AUTH";
		if (rs->user != NULL) {
			argv[1] = rs->user;
			argv[2] = rs->pass;
			send_setup(rs, 3, argv);
		} else {
			argv[1] = rs->pass;
			send_setup(rs, 2, argv);
		}
	}
	if (rs->db != 0) {
		snprintf(db, sizeof(db), "%d", rs->db);
		argv[0] = "SELECT";
		argv[1] = db;
		send_setup(rs, 2, argv);
	}
	for (i = 0; i < 3; i++) {
		argv[0] = "SCRIPT";
		argv[1] = "LOAD";
		argv[2] = i == 0 ? script_add : i == 1 ? script_get :
		    script_claim;
		send_setup(rs, 3, argv);
	}
	return 0;
}

static void
on_reconnect(evutil_socket_t fd, short what, void *arg)
{
	struct redis_store *rs = arg;

	(void)fd;
	(void)what;
	rs->reconnects++;
	if (open_conn(rs) == -1)
		rconnect(rs);
}

/* Schedules the next try: 1, 2, 4 ... 30 s. */
static void
rconnect(struct redis_store *rs)
{
	struct timeval tv = { 0, 0 };

	if (rs->closing || rs->t_reconnect == NULL)
		return;
	rs->backoff = rs->backoff == 0 ? 1 : rs->backoff * 2;
	if (rs->backoff > REDIS_BACKOFF_MAX_S)
		rs->backoff = REDIS_BACKOFF_MAX_S;
	tv.tv_sec = rs->backoff;
	evtimer_add(rs->t_reconnect, &tv);
}

/* A command unanswered for REDIS_TIMEOUT: drop the connection. */
static void
on_watch(evutil_socket_t fd, short what, void *arg)
{
	struct redis_store	*rs = arg;
	struct timeval		 tv = { 0, 500000 };

	(void)fd;
	(void)what;
	if (rs->head == NULL || rs->ac == NULL)
		return;
	if (mono_ns() - rs->head->t > REDIS_TIMEOUT_NS) {
		redisAsyncContext *ac = rs->ac;
		log_warnx("store %s: no reply for %" PRId64 " s; dropping the "
		    "connection", rs->where, REDIS_TIMEOUT_NS / KS_NSEC_PER_SEC);
		rs->down_logged = 1;
		/* every pending callback runs, with no reply */
		redisAsyncFree(ac);
		if (rs->ac == ac) {	/* not connected: no callback ran */
			rs->ac = NULL;
			rconnect(rs);
		}
		return;
	}
	evtimer_add(rs->t_watch, &tv);
}

static int
redis_open(struct store *s, const char *url, const struct store_limits *lim,
    char *err, size_t errlen)
{
	struct redis_store	*rs = ks_xcalloc(1, sizeof(*rs));
	int			 i;

	if (store_redis_parse_url(url, &rs->host, &rs->port, &rs->path,
	    &rs->user, &rs->pass, &rs->db, err, errlen) == -1) {
		free(rs);
		return -1;
	}
	if (rs->path != NULL)
		snprintf(rs->where, sizeof(rs->where), "unix://%s?db=%d",
		    rs->path, rs->db);
	else
		snprintf(rs->where, sizeof(rs->where), "redis://%s%s%s:%d/%d",
		    rs->user ? rs->user : "", rs->user ? "@" : "",
		    rs->host, rs->port, rs->db);
	rs->prefix = ks_xstrdup(lim->prefix ? lim->prefix : "keysentry:");
	rs->plen = strlen(rs->prefix);
	rs->skew = lim->skew;
	sha1_hex(script_add, rs->sha[0]);
	sha1_hex(script_get, rs->sha[1]);
	sha1_hex(script_claim, rs->sha[2]);
	rs->base = lim->base;
	if (rs->base == NULL) {
		rs->base = event_base_new();
		rs->own_base = 1;
		rs->replay = 1;
	}
	rs->t_reconnect = evtimer_new(rs->base, on_reconnect, rs);
	rs->t_watch = evtimer_new(rs->base, on_watch, rs);
	s->priv = rs;
	if (open_conn(rs) == -1 && rs->own_base) {
		snprintf(err, errlen, "store %s: cannot connect", rs->where);
		goto fail;
	}
	if (rs->own_base) {
		/* replay: a server that is not there is an error, not a wait */
		for (i = 0; i < 500 && rs->ac != NULL && !rs->connected; i++)
			event_base_loop(rs->base, EVLOOP_ONCE);
		if (!rs->connected) {
			snprintf(err, errlen, "store %s: cannot connect",
			    rs->where);
			goto fail;
		}
	} else if (rs->ac == NULL)
		rconnect(rs);
	return 0;
fail:
	s->priv = NULL;
	rs->closing = 1;
	if (rs->ac != NULL)
		redisAsyncFree(rs->ac);
	event_free(rs->t_reconnect);
	event_free(rs->t_watch);
	if (rs->own_base)
		event_base_free(rs->base);
	free(rs->host);
	free(rs->path);
	free(rs->user);
	free(rs->pass);
	free(rs->prefix);
	free(rs);
	return -1;
}

static void
redis_close(struct store *s)
{
	struct redis_store *rs = s->priv;

	rs->closing = 1;
	if (rs->ac != NULL)
		redisAsyncFree(rs->ac);		/* pending callbacks fail */
	rs->ac = NULL;
	event_free(rs->t_reconnect);
	event_free(rs->t_watch);
	if (rs->own_base)
		event_base_free(rs->base);
	if (rs->pass != NULL)
		explicit_bzero(rs->pass, strlen(rs->pass));
	free(rs->host);
	free(rs->path);
	free(rs->user);
	free(rs->pass);
	free(rs->prefix);
	free(rs);
}

/* prefix + key into buf (malloc'd when long). */
static char *
full_key(struct redis_store *rs, const char *key, size_t klen, char *buf,
    size_t size, size_t *len)
{
	char *k = rs->plen + klen <= size ? buf : ks_xmalloc(rs->plen + klen);

	memcpy(k, rs->prefix, rs->plen);
	memcpy(k + rs->plen, key, klen);
	*len = rs->plen + klen;
	return k;
}

static int64_t
us(int64_t ns)
{
	return ns >= 0 ? ns / 1000 : -((-ns + 999) / 1000);
}

/*
 * EVALSHA script 1 key [member] args...: the key with its prefix, the
 * member as bytes, the numbers as text.
 */
static void
eval(struct redis_store *rs, struct rop *op, int script, const char *key,
    size_t klen, const void *member, size_t mlen, int nargs, char a[][24])
{
	char		 kb[512], *k;
	const char	*argv[16];
	size_t		 lens[16], kl;
	int		 i, n = 0;

	rs->ops++;
	k = full_key(rs, key, klen, kb, sizeof(kb), &kl);
	argv[n] = "EVALSHA";
	lens[n++] = 7;
	argv[n] = rs->sha[script];
	lens[n++] = 40;
	argv[n] = "1";
	lens[n++] = 1;
	argv[n] = k;
	lens[n++] = kl;
	if (member != NULL) {
		argv[n] = member;
		lens[n++] = mlen;
	}
	for (i = 0; i < nargs && n < 16; i++) {
		argv[n] = a[i];
		lens[n++] = strlen(a[i]);
	}
	send_argv(rs, op, n, argv, lens);
	if (k != kb)
		free(k);
}

/* Members at or below this are no use to anyone (see the scripts). */
static void
keep_from(const struct redis_store *rs, int64_t now, int64_t window,
    char out[24])
{
	if (rs->replay)
		snprintf(out, 24, "-inf");
	else
		snprintf(out, 24, "%" PRId64, us(now) - us(window) -
		    us(rs->skew));
}

static void
redis_window_add(struct store *s, const char *key, size_t klen,
    const void *member, size_t mlen, int64_t score, int64_t now,
    int64_t window, unsigned int cap, store_window_cb *cb, void *arg)
{
	struct redis_store	*rs = s->priv;
	struct rop		*op = ks_xcalloc(1, sizeof(*op));
	char			 a[8][24];

	op->type = OP_ADD;
	op->wcb = cb;
	op->arg = arg;
	if (cap == 0)
		cap = 1;
	snprintf(a[0], 24, "%" PRId64, us(score));
	snprintf(a[1], 24, "%" PRId64, us(now));
	snprintf(a[2], 24, "%" PRId64, us(window));
	snprintf(a[3], 24, "%u", cap);
	snprintf(a[4], 24, "%" PRId64, us(rs->skew));
	snprintf(a[5], 24, "%" PRId64, window / 1000000 +
	    rs->skew / 1000000 + TTL_MARGIN_MS);
	keep_from(rs, now, window, a[6]);
	snprintf(a[7], 24, "%u", rs->replay && cap < REPLAY_MEMBERS ?
	    REPLAY_MEMBERS : cap);
	eval(rs, op, 0, key, klen, member, mlen, 8, a);
}

static void
redis_window_get(struct store *s, const char *key, size_t klen, int64_t now,
    int64_t window, unsigned int cap, store_window_cb *cb, void *arg)
{
	struct redis_store	*rs = s->priv;
	struct rop		*op = ks_xcalloc(1, sizeof(*op));
	char			 a[5][24];

	op->type = OP_GET;
	op->wcb = cb;
	op->arg = arg;
	snprintf(a[0], 24, "%" PRId64, us(now));
	snprintf(a[1], 24, "%" PRId64, us(window));
	snprintf(a[2], 24, "%" PRId64, us(rs->skew));
	keep_from(rs, now, window, a[3]);
	snprintf(a[4], 24, "%u", cap ? cap : 1);
	eval(rs, op, 1, key, klen, NULL, 0, 5, a);
}

static void
redis_claim(struct store *s, const char *key, size_t klen, int64_t now,
    int64_t ttl, store_claim_cb *cb, void *arg)
{
	struct redis_store	*rs = s->priv;
	struct rop		*op = ks_xcalloc(1, sizeof(*op));
	char			 a[3][24];

	op->type = OP_CLAIM;
	op->ccb = cb;
	op->arg = arg;
	snprintf(a[0], 24, "%" PRId64, us(now));
	snprintf(a[1], 24, "%" PRId64, us(ttl));
	snprintf(a[2], 24, "%" PRId64, (ttl > 0 ? ttl / 1000000 : 0) +
	    rs->skew / 1000000 + TTL_MARGIN_MS);
	eval(rs, op, 2, key, klen, NULL, 0, 3, a);
}

static void
redis_stats(struct store *s, struct store_stats *st)
{
	struct redis_store *rs = s->priv;

	st->ops = rs->ops;
	st->errors = rs->errors;
	st->up = rs->connected;
	st->pending = rs->pending;
	st->reconnects = rs->reconnects;
}

static size_t
redis_pending(struct store *s)
{
	struct redis_store *rs = s->priv;

	return rs->pending;
}

static void
redis_wait(struct store *s, size_t max_pending)
{
	struct redis_store *rs = s->priv;

	while (rs->pending > max_pending)
		event_base_loop(rs->base, EVLOOP_ONCE);
}

const struct store_backend store_redis_backend = {
	.name = "redis",
	.accepts = redis_accepts,
	.open = redis_open,
	.close = redis_close,
	.window_add = redis_window_add,
	.window_get = redis_window_get,
	.claim = redis_claim,
	.stats = redis_stats,
	.pending = redis_pending,
	.wait = redis_wait,
};
