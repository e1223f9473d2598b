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

struct rop {
	struct redis_store	*rs;
	int			 type;
	store_window_cb		*wcb;
	store_claim_cb		*ccb;
	void			*arg;
};

struct redis_store {
	struct rconn	*rc;
	int		 replay;	/* a loop of its own: monitors replaying */
	char		*prefix;
	size_t		 plen;
	int64_t		 skew;
	char		 sha[3][41];
	uint64_t	 ops, errors;
	int		 noscript_logged;
};

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
fail_op(struct rop *op)
{
	struct store_window w;

	memset(&w, 0, sizeof(w));
	if (op->wcb != NULL)
		op->wcb(op->arg, -1, &w);
	else
		op->ccb(op->arg, -1, 0);
}

static void
on_reply(void *arg, struct redisReply *reply)
{
	struct rop		*op = arg;
	struct redis_store	*rs = op->rs;
	struct store_window	 w;

	if (reply == NULL || reply->type == REDIS_REPLY_ERROR ||
	    (op->type != OP_CLAIM && (reply->type != REDIS_REPLY_ARRAY ||
	    reply->elements != 3))) {
		rs->errors++;
		if (reply != NULL && reply->type == REDIS_REPLY_ERROR &&
		    !rs->noscript_logged) {
			log_warnx("store %s: %.*s", rconn_where(rs->rc),
			    (int)(reply->len < 200 ? reply->len : 200),
			    reply->str);
			rs->noscript_logged = 1;
		}
		fail_op(op);
		free(op);
		return;
	}
	if (op->type == OP_CLAIM)
		op->ccb(op->arg, 0, reply->type == REDIS_REPLY_INTEGER &&
		    reply->integer == 1);
	else {
		memset(&w, 0, sizeof(w));
		w.count = (uint64_t)reply->element[0]->integer;
		w.oldest = reply->element[1]->integer * 1000;
		w.newest = reply->element[2]->integer * 1000;
		op->wcb(op->arg, 0, &w);
	}
	free(op);
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
	struct redis_store *rs = ks_xcalloc(1, sizeof(*rs));

	rs->prefix = ks_xstrdup(lim->prefix ? lim->prefix : "keysentry:");
	rs->plen = strlen(rs->prefix);
	rs->skew = lim->skew;
	sha1_hex(script_add, rs->sha[0]);
	sha1_hex(script_get, rs->sha[1]);
	sha1_hex(script_claim, rs->sha[2]);
	rs->rc = rconn_open(url, lim->base, "store", load_scripts, NULL, err,
	    errlen);
	if (rs->rc == NULL) {
		free(rs->prefix);
		free(rs);
		return -1;
	}
	rs->replay = rconn_own_loop(rs->rc);
	s->priv = rs;
	return 0;
}

static void
redis_close(struct store *s)
{
	struct redis_store *rs = s->priv;

	rconn_close(rs->rc);
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
	op->rs = rs;
	if (rconn_send(rs->rc, n, argv, lens, on_reply, op) == -1) {
		rs->errors++;		/* no connection: fail at once */
		fail_op(op);
		free(op);
	}
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
	st->up = rconn_up(rs->rc);
	st->pending = rconn_pending(rs->rc);
	st->reconnects = rconn_reconnects(rs->rc);
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

	rconn_wait(rs->rc, max_pending);
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
