/*
 * The Redis counter store (see store.h and docs/store-redis.md): a fleet
 * of monitors counting into one server, over one rconn (rconn.h).
 *
 * Layout: every key is key_prefix + the detector's key.  A window is a
 * sorted set, member -> score (event time in microseconds); a claim is a
 * string holding the event time (us) until which it is held.  Each
 * operation is one Lua script, so it is atomic however many monitors
 * share the server, and a window's answer is exactly the memory store's
 * (no buckets) but for the resolution, 1 us instead of 1 ns.  Every key
 * gets a wall-clock time to live of its window or cooldown plus max_skew
 * plus a minute, so that memory in Redis is bounded by the traffic of the
 * last window.  An operation that gets no reply fails (err -1).
 */
#include "autoconfig.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <hiredis/hiredis.h>
#include <openssl/evp.h>

#include "log.h"
#include "rconn.h"
#include "store.h"
#include "util.h"

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

enum { OP_ADD, OP_GET, OP_CLAIM };

/* An operation, with what is needed to send it again after an outage. */
struct rop {
	struct redis_store	*rs;
	int			 type;
	store_window_cb		*wcb;
	store_claim_cb		*ccb;
	void			*arg;
	char			*key, *member;
	size_t			 klen, mlen;
	int64_t			 score, now, window, ttl;
	unsigned int		 cap;
	/* the local store's answer, used when Redis gives none */
	struct store_window	 lw;
	int			 lclaimed;
	int			 resent;	/* from the log: no caller */
};

struct redis_store {
	struct store	*s;
	struct rconn	*rc;
	int		 replay;	/* a loop of its own: monitors replaying */
	char		*prefix;
	size_t		 plen;
	int64_t		 skew;
	char		 sha[3][41];
	uint64_t	 ops, errors;
	int		 noscript_logged;
	/*
	 * Every operation is applied to a local memory store as well, so
	 * that an outage finds this monitor's own counts there; while
	 * degraded, operations are answered from it.
	 *
	 * Every add and claim also goes into the log of recent operations,
	 * until its window (or cooldown) plus max_skew has passed in event
	 * time, at most LOG_MAX of them (the oldest go first, counted).  On
	 * recovery the whole log is sent again: what was counted during the
	 * outage reaches the fleet, and so does what a Redis that restarted
	 * without its data has lost.  Adds and claims are idempotent, so
	 * sending again what Redis has is harmless.
	 */
	struct store	*local;
	int		 degraded;
	int		 probing;	/* a PING is out on a new connection */
	struct rop	**log;		/* ring, oldest first */
	size_t		 lhead, ln;
	int64_t		 latest;	/* the latest "now" seen */
	uint64_t	 ldropped, outages, resent;
	int		 ldrop_logged;
};

#define LOG_MAX		100000

static void	send_op(struct redis_store *, struct rop *);

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

/* Each new connection loads the scripts before anything else. */
static void
load_scripts(struct rconn *rc, void *arg)
{
	static const char	*scripts[3] = { script_add, script_get,
				    script_claim };
	const char		*argv[3];
	size_t			 lens[3];
	int			 i;

	(void)arg;
	for (i = 0; i < 3; i++) {
		argv[0] = "SCRIPT";
		argv[1] = "LOAD";
		argv[2] = scripts[i];
		lens[0] = 6;
		lens[1] = 4;
		lens[2] = strlen(scripts[i]);
		rconn_send(rc, 3, argv, lens, NULL, NULL);
	}
}

static void
op_free(struct rop *op)
{
	free(op->key);
	free(op->member);
	free(op);
}

/* The caller's answer, from the local store. */
static void
answer_locally(struct rop *op)
{
	if (op->wcb != NULL)
		op->wcb(op->arg, 0, &op->lw);
	else
		op->ccb(op->arg, 0, op->lclaimed);
}

/* The event time after which an operation no longer matters. */
static int64_t
expiry(const struct redis_store *rs, const struct rop *op)
{
	return op->now + (op->type == OP_CLAIM ? op->ttl : op->window) +
	    rs->skew;
}

/* Keeps a copy of an add or a claim in the log of recent operations. */
static void
log_op(struct redis_store *rs, const struct rop *op)
{
	struct rop	*c;

	if (op->now > rs->latest)
		rs->latest = op->now;
	while (rs->ln > 0 && expiry(rs, rs->log[rs->lhead]) < rs->latest) {
		op_free(rs->log[rs->lhead]);
		rs->lhead = (rs->lhead + 1) % LOG_MAX;
		rs->ln--;
	}
	if (rs->ln == LOG_MAX) {
		op_free(rs->log[rs->lhead]);
		rs->lhead = (rs->lhead + 1) % LOG_MAX;
		rs->ln--;
		rs->ldropped++;
		if (!rs->ldrop_logged && rs->degraded)
			log_warnx("store %s: more than %d recent operations; "
			    "the oldest will not reach the store when it is "
			    "back", rconn_where(rs->rc), LOG_MAX);
		rs->ldrop_logged = rs->degraded;
	}
	c = ks_xcalloc(1, sizeof(*c));
	*c = *op;
	c->wcb = NULL;
	c->ccb = NULL;
	c->arg = NULL;
	c->resent = 1;
	c->key = ks_xmalloc(op->klen + 1);
	memcpy(c->key, op->key, op->klen + 1);
	if (op->member != NULL) {
		c->member = ks_xmalloc(op->mlen + 1);
		memcpy(c->member, op->member, op->mlen);
	}
	rs->log[(rs->lhead + rs->ln) % LOG_MAX] = c;
	rs->ln++;
}

static void
degrade(struct redis_store *rs)
{
	if (rs->degraded)
		return;
	rs->degraded = 1;
	rs->outages++;
	log_warnx("store %s: unavailable; counting locally until it is back",
	    rconn_where(rs->rc));
	if (rs->s->notify != NULL)
		rs->s->notify(rs->s->notify_arg, 0, rconn_where(rs->rc));
}

/*
 * The new connection answered: send the log again, then business as
 * usual.  (A connection to a stopped server is accepted by the kernel,
 * so "connected" alone proves nothing; an answer does.)
 */
static void
on_pong(void *arg, struct redisReply *reply)
{
	struct redis_store	*rs = arg;
	size_t			 k, n = rs->ln;

	rs->probing = 0;
	if (reply == NULL || !rs->degraded)
		return;		/* dropped again: the next connection tries */
	rs->degraded = 0;
	rs->ldrop_logged = 0;
	for (k = 0; k < n && !rs->degraded; k++) {
		struct rop *c = ks_xcalloc(1, sizeof(*c)), *o =
		    rs->log[(rs->lhead + k) % LOG_MAX];
		*c = *o;
		c->key = ks_xmalloc(o->klen + 1);
		memcpy(c->key, o->key, o->klen + 1);
		if (o->member != NULL) {
			c->member = ks_xmalloc(o->mlen + 1);
			memcpy(c->member, o->member, o->mlen);
		}
		send_op(rs, c);
		rs->resent++;
	}
	log_info("store %s: back; %zu recent operations sent again",
	    rconn_where(rs->rc), n);
	if (rs->s->notify != NULL)
		rs->s->notify(rs->s->notify_arg, 1, rconn_where(rs->rc));
}

static void
on_up(struct rconn *rc, void *arg)
{
	struct redis_store	*rs = arg;
	const char		*argv[1] = { "PING" };
	size_t			 lens[1] = { 4 };

	if (!rs->degraded || rs->probing)
		return;
	if (rconn_send(rc, 1, argv, lens, on_pong, rs) == 0)
		rs->probing = 1;
}

static void
on_reply(void *arg, struct redisReply *reply)
{
	struct rop		*op = arg;
	struct redis_store	*rs = op->rs;
	struct store_window	 w;
	int			 bad;

	if (op->resent) {	/* nobody waits for it */
		if (reply == NULL)
			degrade(rs);
		op_free(op);
		return;
	}
	if (reply == NULL) {
		/* the connection is gone: this one, and the next, locally */
		rs->errors++;
		degrade(rs);
		answer_locally(op);
		op_free(op);
		return;
	}
	bad = reply->type == REDIS_REPLY_ERROR || (op->type != OP_CLAIM &&
	    (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3));
	if (bad) {
		/* refused (out of memory, say): answered locally */
		rs->errors++;
		if (!rs->noscript_logged)
			log_warnx("store %s: %.*s (reported once)",
			    rconn_where(rs->rc), reply->type ==
			    REDIS_REPLY_ERROR ? (int)(reply->len < 200 ?
			    reply->len : 200) : 16, reply->type ==
			    REDIS_REPLY_ERROR ? reply->str : "unexpected reply");
		rs->noscript_logged = 1;
		answer_locally(op);
	} else if (op->type == OP_CLAIM)
		op->ccb(op->arg, 0, reply->type == REDIS_REPLY_INTEGER &&
		    reply->integer == 1);
	else {
		memset(&w, 0, sizeof(w));
		w.count = (uint64_t)reply->element[0]->integer;
		w.oldest = reply->element[1]->integer * 1000;
		w.newest = reply->element[2]->integer * 1000;
		op->wcb(op->arg, 0, &w);
	}
	op_free(op);
}

static int
redis_accepts(const char *url)
{
	return rconn_accepts(url);
}

static int
redis_open(struct store *s, const char *url, const struct store_limits *lim,
    char *err, size_t errlen)
{
	struct redis_store	*rs = ks_xcalloc(1, sizeof(*rs));
	struct store_limits	 local = *lim;

	rs->s = s;
	rs->prefix = ks_xstrdup(lim->prefix ? lim->prefix : "keysentry:");
	rs->plen = strlen(rs->prefix);
	rs->skew = lim->skew;
	sha1_hex(script_add, rs->sha[0]);
	sha1_hex(script_get, rs->sha[1]);
	sha1_hex(script_claim, rs->sha[2]);
	local.base = NULL;
	rs->local = store_open("memory", &local, err, errlen);
	rs->log = ks_xcalloc(LOG_MAX, sizeof(*rs->log));
	rs->rc = rconn_open(url, lim->base, "store", load_scripts, NULL, err,
	    errlen);
	if (rs->rc == NULL || rs->local == NULL) {
		rconn_close(rs->rc);
		store_close(rs->local);
		free(rs->log);
		free(rs->prefix);
		free(rs);
		return -1;
	}
	rconn_on_up(rs->rc, on_up, rs);
	rs->replay = rconn_own_loop(rs->rc);
	s->priv = rs;
	return 0;
}

static void
redis_close(struct store *s)
{
	struct redis_store	*rs = s->priv;
	size_t			 k;

	rs->degraded = 1;	/* answers that come now: no notice */
	rconn_close(rs->rc);	/* pending: answered locally */
	for (k = 0; k < rs->ln; k++)
		op_free(rs->log[(rs->lhead + k) % LOG_MAX]);
	free(rs->log);
	store_close(rs->local);
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

/*
 * EVALSHA script 1 key [member] args...  No connection: the store is
 * degraded, and the operation is answered locally and kept.
 */
static void
send_op(struct redis_store *rs, struct rop *op)
{
	char		 kb[512], *k, a[8][24];
	const char	*argv[16];
	size_t		 lens[16], kl;
	int		 i, n = 0, na = 0, script;

	switch (op->type) {
	case OP_ADD:
		script = 0;
		snprintf(a[0], 24, "%" PRId64, us(op->score));
		snprintf(a[1], 24, "%" PRId64, us(op->now));
		snprintf(a[2], 24, "%" PRId64, us(op->window));
		snprintf(a[3], 24, "%u", op->cap);
		snprintf(a[4], 24, "%" PRId64, us(rs->skew));
		snprintf(a[5], 24, "%" PRId64, op->window / 1000000 +
		    rs->skew / 1000000 + TTL_MARGIN_MS);
		keep_from(rs, op->now, op->window, a[6]);
		snprintf(a[7], 24, "%u", rs->replay && op->cap <
		    REPLAY_MEMBERS ? REPLAY_MEMBERS : op->cap);
		na = 8;
		break;
	case OP_GET:
		script = 1;
		snprintf(a[0], 24, "%" PRId64, us(op->now));
		snprintf(a[1], 24, "%" PRId64, us(op->window));
		snprintf(a[2], 24, "%" PRId64, us(rs->skew));
		keep_from(rs, op->now, op->window, a[3]);
		snprintf(a[4], 24, "%u", op->cap);
		na = 5;
		break;
	default:
		script = 2;
		snprintf(a[0], 24, "%" PRId64, us(op->now));
		snprintf(a[1], 24, "%" PRId64, us(op->ttl));
		snprintf(a[2], 24, "%" PRId64, (op->ttl > 0 ? op->ttl /
		    1000000 : 0) + rs->skew / 1000000 + TTL_MARGIN_MS);
		na = 3;
		break;
	}
	k = full_key(rs, op->key, op->klen, kb, sizeof(kb), &kl);
	argv[n] = "EVALSHA";
	lens[n++] = 7;
	argv[n] = rs->sha[script];
	lens[n++] = 40;
	argv[n] = "1";
	lens[n++] = 1;
	argv[n] = k;
	lens[n++] = kl;
	if (op->member != NULL) {
		argv[n] = op->member;
		lens[n++] = op->mlen;
	}
	for (i = 0; i < na; i++) {
		argv[n] = a[i];
		lens[n++] = strlen(a[i]);
	}
	op->rs = rs;
	if (rconn_send(rs->rc, n, argv, lens, on_reply, op) == -1) {
		degrade(rs);
		if (!op->resent)
			answer_locally(op);
		op_free(op);
	}
	if (k != kb)
		free(k);
}

static void
local_window(void *arg, int err, const struct store_window *w)
{
	struct rop *op = arg;

	(void)err;
	op->lw = *w;
}

static void
local_claim(void *arg, int err, int claimed)
{
	struct rop *op = arg;

	(void)err;
	op->lclaimed = claimed;
}

static struct rop *
new_op(struct redis_store *rs, int type, const char *key, size_t klen)
{
	struct rop *op = ks_xcalloc(1, sizeof(*op));

	rs->ops++;
	op->rs = rs;
	op->type = type;
	op->key = ks_xmalloc(klen + 1);
	memcpy(op->key, key, klen);
	op->key[klen] = '\0';
	op->klen = klen;
	return op;
}

/* Answered locally at once while degraded; else by Redis, later. */
static void
dispatch(struct redis_store *rs, struct rop *op)
{
	if (op->type != OP_GET)
		log_op(rs, op);
	if (rs->degraded) {
		answer_locally(op);
		op_free(op);
	} else
		send_op(rs, op);
}

static void
redis_window_add(struct store *s, const char *key, size_t klen,
    const void *member, size_t mlen, int64_t score, int64_t now,
    int64_t window, unsigned int cap, store_window_cb *cb, void *arg)
{
	struct redis_store	*rs = s->priv;
	struct rop		*op = new_op(rs, OP_ADD, key, klen);

	op->wcb = cb;
	op->arg = arg;
	op->member = ks_xmalloc(mlen + 1);
	memcpy(op->member, member, mlen);
	op->mlen = mlen;
	op->score = score;
	op->now = now;
	op->window = window;
	op->cap = cap ? cap : 1;
	store_window_add(rs->local, key, klen, member, mlen, score, now,
	    window, op->cap, local_window, op);
	dispatch(rs, op);
}

static void
redis_window_get(struct store *s, const char *key, size_t klen, int64_t now,
    int64_t window, unsigned int cap, store_window_cb *cb, void *arg)
{
	struct redis_store	*rs = s->priv;
	struct rop		*op = new_op(rs, OP_GET, key, klen);

	op->wcb = cb;
	op->arg = arg;
	op->now = now;
	op->window = window;
	op->cap = cap ? cap : 1;
	store_window_get(rs->local, key, klen, now, window, op->cap,
	    local_window, op);
	dispatch(rs, op);
}

static void
redis_claim(struct store *s, const char *key, size_t klen, int64_t now,
    int64_t ttl, store_claim_cb *cb, void *arg)
{
	struct redis_store	*rs = s->priv;
	struct rop		*op = new_op(rs, OP_CLAIM, key, klen);

	op->ccb = cb;
	op->arg = arg;
	op->now = now;
	op->ttl = ttl;
	store_claim(rs->local, key, klen, now, ttl, local_claim, op);
	dispatch(rs, op);
}

static void
redis_stats(struct store *s, struct store_stats *st)
{
	struct redis_store *rs = s->priv;

	st->ops = rs->ops;
	st->errors = rs->errors;
	st->up = rconn_up(rs->rc) && !rs->degraded;
	st->degraded = rs->degraded;
	st->pending = rconn_pending(rs->rc);
	st->reconnects = rconn_reconnects(rs->rc);
	st->journal = rs->ln;
	st->journal_dropped = rs->ldropped;
	st->outages = rs->outages;
}

static size_t
redis_pending(struct store *s)
{
	struct redis_store *rs = s->priv;

	return rconn_pending(rs->rc);
}

static void
redis_wait(struct store *s, size_t max_pending)
{
	struct redis_store *rs = s->priv;

	int i;

	/* replay: a turn of our loop, for reconnecting while degraded */
	if (rconn_own_loop(rs->rc))
		rconn_poll(rs->rc);
	rconn_wait(rs->rc, max_pending);
	/*
	 * The end of a replay that is degraded: a last try, for up to 10 s,
	 * so that what this monitor counted reaches the fleet.
	 */
	for (i = 0; max_pending == 0 && rconn_own_loop(rs->rc) &&
	    rs->degraded && i < 50; i++) {
		rconn_kick(rs->rc);
		rconn_run_for(rs->rc, KS_NSEC_PER_SEC / 5);
	}
	rconn_wait(rs->rc, 0);
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
