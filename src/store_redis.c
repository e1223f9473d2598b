/*
 * The Redis counter store (see store.h and docs/store-redis.md): a fleet
 * of monitors counting into one server, over one rconn (rconn.h).
 *
 * Batches.  Operations are not sent one at a time: they are gathered
 * until the end of the loop's turn (daemon) or BATCH_MAX of them (replay),
 * and each key the batch touches costs one script call, atomic however
 * many monitors share the server.  The answers are given when the batch's
 * last reply is in, in the order the operations were issued.  Whichever
 * monitor's script runs last sees the sum of everybody's events.
 *
 * Count windows are buckets: for each bucket of a window's key (1/30 of
 * the window wide), a hash of monitor -> how many events that monitor
 * counted there.  A monitor's own events are counted exactly (from its
 * local store); the other monitors' are added by whole buckets, so their
 * events up to one bucket before the window (or after now + max_skew) may
 * count too.  Setting a count only ever raises it, so sending it again
 * (after an outage, or a restart of this monitor) changes nothing.
 *
 * Member windows (distinct counts) are sorted sets, member -> event time
 * (us), exact: the script applies the batch's operations in order and
 * answers each as the memory store would.  Claims are strings holding the
 * event time (us) until which they are held.
 *
 * Every key gets a wall-clock time to live of its window or cooldown plus
 * max_skew plus a minute, so that memory in Redis is bounded by the
 * traffic of the last window.  An operation that gets no reply is
 * answered from the local store.
 */
#include "autoconfig.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <openssl/evp.h>

#include "kstime.h"
#include "log.h"
#include "lru.h"
#include "rconn.h"
#include "store.h"
#include "util.h"

#define TTL_MARGIN_MS		60000
/* Members a member window keeps in replay (see keep_from()). */
#define REPLAY_MEMBERS		10000
/* Buckets a count window keeps in replay. */
#define REPLAY_BUCKETS		10000
/* Operations in one batch at most. */
#define BATCH_MAX		8192
/* Freed operations kept for reuse. */
#define POOL_MAX		BATCH_MAX
/* Buckets per count window, and the narrowest (us). */
#define BUCKETS			30
#define MIN_WIDTH_US		1000
/* Buckets one key's part of a batch may ask about (a sparse replay). */
#define SPAN_MAX		256
/* Recent member adds and claims kept for a recovery. */
#define LOG_MAX			100000

/*
 * A count window's key, for one batch.  KEYS[1] (prefix, detector key,
 * '#', bucket width) is a hash bucket -> events of all monitors; KEYS[1]
 * .. '|' .. monitor the hash bucket -> this monitor's; KEYS[1] .. '|' the
 * monitors that wrote (when only this one, nothing more to read).  ARGV: monitor,
 * ttl_ms, lo, hi, keep, n, then n pairs bucket, this monitor's count
 * there.  A count only ever goes up: the total gets the difference.
 * keep: buckets below it may go, '-': none; they go when a hash holds
 * more than twice the buckets from keep to hi (so, rarely).  Returns, for
 * the buckets lo..hi, the other monitors' counts: pairs bucket, count
 * (those with none left out).
 */
static const char script_count[] =
    "local t, ttl = KEYS[1], ARGV[2]\n"
    "local m, w = t .. '|' .. ARGV[1], t .. '|'\n"
    "local lo, hi, n = tonumber(ARGV[3]), tonumber(ARGV[4]), "
    "tonumber(ARGV[6])\n"
    "local function prune(h, keep)\n"
    "  if redis.call('HLEN', h) <= 2 * (hi - keep + 1) + 16 then return end\n"
    "  local f = {}\n"
    "  for _, k in ipairs(redis.call('HKEYS', h)) do\n"
    "    if tonumber(k) < keep then f[#f + 1] = k end\n"
    "  end\n"
    "  for i = 1, #f, 500 do\n"
    "    redis.call('HDEL', h, unpack(f, i, math.min(i + 499, #f)))\n"
    "  end\n"
    "end\n"
    "for i = 0, n - 1 do\n"
    "  local b, c = ARGV[7 + 2 * i], tonumber(ARGV[8 + 2 * i])\n"
    "  local cur = tonumber(redis.call('HGET', m, b) or '0')\n"
    "  if c > cur then\n"
    "    redis.call('HSET', m, b, c)\n"
    "    redis.call('HINCRBY', t, b, c - cur)\n"
    "  end\n"
    "end\n"
    "if n > 0 then\n"
    "  if ARGV[5] ~= '-' then\n"
    "    prune(t, tonumber(ARGV[5]))\n"
    "    prune(m, tonumber(ARGV[5]))\n"
    "  end\n"
    "  redis.call('HSETNX', w, ARGV[1], 1)\n"
    "  redis.call('PEXPIRE', t, ttl)\n"
    "  redis.call('PEXPIRE', m, ttl)\n"
    "  redis.call('PEXPIRE', w, ttl)\n"
    "end\n"
    "local r = {}\n"
    "if lo > hi then return r end\n"
    "local nw = redis.call('HLEN', w)\n"
    "if nw == 0 or (nw == 1 and redis.call('HEXISTS', w, ARGV[1]) == 1) "
    "then\n"
    "  return r\n"
    "end\n"
    "local tot, mine = {}, {}\n"
    "if redis.call('HLEN', t) <= hi - lo + 1 then\n"
    "  local v = redis.call('HGETALL', t)\n"
    "  for j = 1, #v, 2 do tot[tonumber(v[j])] = tonumber(v[j + 1]) end\n"
    "  v = redis.call('HGETALL', m)\n"
    "  for j = 1, #v, 2 do mine[tonumber(v[j])] = tonumber(v[j + 1]) end\n"
    "  local bs = {}\n"
    "  for b, c in pairs(tot) do\n"
    "    if b >= lo and b <= hi and c > (mine[b] or 0) then bs[#bs + 1] = b end\n"
    "  end\n"
    "  table.sort(bs)\n"
    "  for _, b in ipairs(bs) do\n"
    "    r[#r + 1] = b; r[#r + 1] = tot[b] - (mine[b] or 0)\n"
    "  end\n"
    "  return r\n"
    "end\n"
    "local f = {}\n"
    "for b = lo, hi do f[#f + 1] = string.format('%d', b) end\n"
    "local tv = redis.call('HMGET', t, unpack(f))\n"
    "local mv = redis.call('HMGET', m, unpack(f))\n"
    "for j = 1, #f do\n"
    "  local c = tonumber(tv[j] or '0') - tonumber(mv[j] or '0')\n"
    "  if c > 0 then r[#r + 1] = lo + j - 1; r[#r + 1] = c end\n"
    "end\n"
    "return r\n";

/*
 * A member window's key, for one batch: KEYS[1]; ARGV: skew, ttl_ms, hard,
 * then per operation: a (add) or g (get), member, score, now - window
 * (the window's open edge, as "(N"), now + skew, cap, keep.  keep:
 * members at or below it are dropped ('-inf' in replay, where monitors do
 * not move through event time together); hard: members kept at most, the
 * highest.  ZADD GT only ever raises a member's score (Redis 6.2 and
 * later).  Each operation's answer, as the memory store gives it: of the
 * members in (now - window, now + skew], how many (at most cap), the
 * lowest of the cap highest, and the highest.
 */
static const char script_members[] =
    "local k, ttl, hard = KEYS[1], ARGV[2], tonumber(ARGV[3])\n"
    "local r, added = {}, false\n"
    "for i = 4, #ARGV, 7 do\n"
    "  local lo, hi, cap = ARGV[i + 3], ARGV[i + 4], tonumber(ARGV[i + 5])\n"
    "  if ARGV[i + 6] ~= '-inf' then\n"
    "    redis.call('ZREMRANGEBYSCORE', k, '-inf', ARGV[i + 6])\n"
    "  end\n"
    "  if ARGV[i] == 'a' and tonumber(ARGV[i + 2]) > "
    "tonumber(string.sub(lo, 2)) then\n"
    "    redis.call('ZADD', k, 'GT', ARGV[i + 2], ARGV[i + 1])\n"
    "    local n = redis.call('ZCARD', k)\n"
    "    if n > hard then redis.call('ZREMRANGEBYRANK', k, 0, n - hard - 1) "
    "end\n"
    "    added = true\n"
    "  end\n"
    "  local c, a, b = 0, 0, 0\n"
    "  if cap <= 64 then\n"
    "    local z = redis.call('ZREVRANGEBYSCORE', k, hi, lo, 'WITHSCORES', "
    "'LIMIT', 0, cap)\n"
    "    c = #z / 2\n"
    "    if c > 0 then a, b = tonumber(z[#z]), tonumber(z[2]) end\n"
    "  else\n"
    "    c = redis.call('ZCOUNT', k, lo, hi)\n"
    "    if c > cap then c = cap end\n"
    "    if c > 0 then\n"
    "      a = tonumber(redis.call('ZREVRANGEBYSCORE', k, hi, lo, "
    "'WITHSCORES', 'LIMIT', c - 1, 1)[2])\n"
    "      b = tonumber(redis.call('ZREVRANGEBYSCORE', k, hi, lo, "
    "'WITHSCORES', 'LIMIT', 0, 1)[2])\n"
    "    end\n"
    "  end\n"
    "  r[#r + 1] = c; r[#r + 1] = a; r[#r + 1] = b\n"
    "end\n"
    "if added then redis.call('PEXPIRE', k, ttl) end\n"
    "return r\n";

/*
 * A claim's key, for one batch: KEYS[1]; ARGV: ttl_ms (wall), then per
 * claim: c (a claim) or r (one sent again after an outage), now, ttl
 * (us).  The key holds "start end": the event times of the hold.  A claim
 * is taken unless a hold covers its now.  One sent again is not a
 * question: it restores a hold, and one earlier in event time than the
 * key's (commands of a dropped connection may run late, after newer
 * ones) takes its place.  Returns 1 (taken) or 0 per claim.
 */
static const char script_claim[] =
    "local k, px = KEYS[1], ARGV[1]\n"
    "local v = redis.call('GET', k)\n"
    "local s, e\n"
    "if v then\n"
    "  local a, b = string.match(v, '^(%-?%d+) (%-?%d+)$')\n"
    "  s, e = tonumber(a), tonumber(b)\n"
    "end\n"
    "local r, set = {}, false\n"
    "for i = 2, #ARGV, 3 do\n"
    "  local now, ttl = tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2])\n"
    "  if e == nil or now >= e or (ARGV[i] == 'r' and now < s and now + ttl > s) then\n"
    "    s, e, set = now, now + ttl, true\n"
    "    r[#r + 1] = 1\n"
    "  else\n"
    "    r[#r + 1] = 0\n"
    "  end\n"
    "end\n"
    "if set then\n"
    "  redis.call('SET', k, string.format('%.0f %.0f', s, e), 'PX', px)\n"
    "end\n"
    "return r\n";

enum { S_COUNT, S_MEMBERS, S_CLAIM, NSCRIPTS };
enum { OP_ADD, OP_GET, OP_COUNT_ADD, OP_COUNT_GET, OP_CLAIM };

struct bent;
struct batch;

/* An operation. */
struct rop {
	struct rop		*next;		/* in its batch, in order */
	struct rop		*bnext;		/* in its key's part */
	struct bent		*be;
	int			 type;
	store_window_cb		*wcb;
	store_claim_cb		*ccb;
	void			*arg;
	char			*member;	/* member windows */
	size_t			 mlen;
	char			*key;		/* claims: the detector's key */
	size_t			 klen;
	int64_t			 score, now, window, ttl;
	unsigned int		 cap;
	/* the local store's answer, used when Redis gives none */
	struct store_window	 lw;
	int			 lclaimed;
	/* Redis' answer (member windows, claims) */
	struct store_window	 rw;
	int			 rclaimed;
};

struct upd {
	int64_t		b;
	uint64_t	n;
};

/* One key's part of a batch: one script call. */
struct bent {
	struct bent		*next;
	struct batch		*batch;
	struct redis_store	*rs;
	int			 script;
	char			*key;		/* the Redis key */
	size_t			 klen;
	int64_t			 width;		/* count: bucket width, us */
	int64_t			 ttl_ms;
	int64_t			 lo, hi;	/* count: buckets asked */
	int64_t			 keep;		/* count: prune below */
	struct upd		*upd;		/* count: buckets to set */
	size_t			 nupd, updcap;
	struct rop		*first, *last;	/* its operations */
	size_t			 nops;
	int			 ok;		/* answered */
	struct upd		*others;	/* count: the others' buckets */
	size_t			 nothers;
};

struct batch {
	struct batch		*next;		/* sent, oldest first */
	struct rop		*first, *last;
	size_t			 nops;
	struct bent		*bfirst, *blast;
	size_t			 waiting;	/* replies to come */
	int			 resend;	/* nobody waits for the answers */
	int			 done;		/* all in; answers when first */
};

/* This monitor's own counts in a count window's buckets. */
struct own {
	int64_t		width;		/* us */
	int64_t		window;		/* ns */
	uint32_t	nring;
	struct upd	ring[];		/* bucket b at b mod nring */
};

/* A member add or a claim, kept to be sent again after an outage. */
struct logged {
	int		 type;
	char		*key, *member;	/* key: the detector's */
	size_t		 klen, mlen;
	int64_t		 score, now, window, ttl;
	unsigned int	 cap;
};

struct redis_store {
	struct store		*s;
	struct rconn		*rc;
	struct event_base	*base;		/* the daemon's; NULL: replay */
	int			 replay;
	char			*prefix;
	size_t			 plen;
	char			*monitor;
	int64_t			 skew;
	char			 sha[NSCRIPTS][41];
	uint64_t		 ops, errors, scripts, batches;
	int			 error_logged;
	/* the batch being gathered, and those sent */
	struct batch		*cur;
	struct lru		*bmap;		/* key -> its bent in cur */
	struct batch		*sent, *sent_tail;
	size_t			 sent_ops;
	struct event		*t_flush;
	int			 in_loop;	/* running the loop: no waiting */
	int			 delivering;	/* in finish() */
	struct rop		*spare;		/* freed operations, reused */
	size_t			 nspare;
	/*
	 * Every operation is applied to a local memory store as well, so
	 * that this monitor's own counts are always at hand; while degraded,
	 * operations are answered from it.  What must reach Redis again on
	 * recovery (see on_pong()): the own counts of count windows, and the
	 * log of recent member adds and claims taken, each kept until its window
	 * (or cooldown) plus max_skew has passed in event time, at most
	 * LOG_MAX of them (the oldest go first, counted).  All of it is
	 * idempotent, so sending again what Redis has is harmless.
	 */
	struct store		*local;
	struct lru		*own;		/* detector key -> struct own * */
	int			 degraded;
	int			 probing;	/* a PING is out on a new connection */
	struct logged		**log;		/* ring, oldest first */
	size_t			 lhead, ln;
	int64_t			 latest;	/* the latest "now" seen */
	uint64_t		 ldropped, outages;
	int			 ldrop_logged;
};

static void	flush(struct redis_store *);
static void	log_op(struct redis_store *, const struct rop *, const char *,
		    size_t);

static int64_t
us(int64_t ns)
{
	return ns >= 0 ? ns / 1000 : -((-ns + 999) / 1000);
}

static int64_t
floordiv(int64_t a, int64_t b)
{
	return a >= 0 ? a / b : -((-a + b - 1) / b);
}

static int64_t
width_of(int64_t window)
{
	int64_t w = (us(window) + BUCKETS - 1) / BUCKETS;

	return w < MIN_WIDTH_US ? MIN_WIDTH_US : w;
}

/* The buckets (now - window, now + skew] touches. */
static void
span(const struct redis_store *rs, int64_t now, int64_t window,
    int64_t width, int64_t *lo, int64_t *hi)
{
	*lo = floordiv(us(now) - us(window), width);
	*hi = floordiv(us(now) + us(rs->skew), width);
}

static char *
memdup0(const void *p, size_t n)
{
	char *c = ks_xmalloc(n + 1);

	memcpy(c, p, n);
	c[n] = '\0';
	return c;
}

static void
sha1_hex(const char *s, char out[41])
{
	unsigned char	md[EVP_MAX_MD_SIZE];
	unsigned int	n = 0;

	if (EVP_Digest(s, strlen(s), md, &n, EVP_sha1(), NULL) != 1 || n != 20)
		memset(md, 0, 20);	/* EVALSHA then fails: answered locally */
	ks_hex(md, 20, out);
}

/* Each new connection loads the scripts before anything else. */
static void
load_scripts(struct rconn *rc, void *arg)
{
	static const char	*scripts[NSCRIPTS] = { script_count,
				    script_members, script_claim };
	const char		*argv[3];
	size_t			 lens[3];
	int			 i;

	(void)arg;
	for (i = 0; i < NSCRIPTS; i++) {
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

/* ---- answers ---- */

/* A count: this monitor's own, exact, plus the others' buckets. */
static void
count_answer(const struct redis_store *rs, const struct rop *op,
    struct store_window *w)
{
	const struct bent	*be = op->be;
	int64_t			 lo, hi, first = INT64_MAX, last = INT64_MIN;
	int64_t			 start, end;
	uint64_t		 others = 0;
	size_t			 i;

	*w = op->lw;
	span(rs, op->now, op->window, be->width, &lo, &hi);
	for (i = 0; i < be->nothers; i++) {
		if (be->others[i].b < lo || be->others[i].b > hi)
			continue;
		others += be->others[i].n;
		if (be->others[i].b < first)
			first = be->others[i].b;
		if (be->others[i].b > last)
			last = be->others[i].b;
	}
	if (others == 0)
		return;
	w->count = op->lw.count + others;
	if (w->count > op->cap)
		w->count = op->cap;
	/* the others' times are known to a bucket */
	start = first * be->width * 1000;
	if (start <= op->now - op->window)
		start = op->now - op->window + 1;
	if (op->lw.count == 0 || start < op->lw.oldest)
		w->oldest = start;
	if (op->lw.count == 0) {
		end = (last + 1) * be->width * 1000 - 1;
		w->newest = end < op->now ? end : op->now;
	}
}

/* Operations are recycled: a batch frees thousands, the next needs them. */
static void
op_free(struct redis_store *rs, struct rop *op)
{
	free(op->member);
	free(op->key);
	if (rs->nspare < POOL_MAX) {
		op->next = rs->spare;
		rs->spare = op;
		rs->nspare++;
	} else
		free(op);
}

static struct rop *
op_alloc(struct redis_store *rs)
{
	struct rop *op = rs->spare;

	if (op == NULL)
		return ks_xcalloc(1, sizeof(*op));
	rs->spare = op->next;
	rs->nspare--;
	memset(op, 0, sizeof(*op));
	return op;
}

static void
answer(struct redis_store *rs, struct rop *op, int local)
{
	struct store_window	w;
	int			claimed;

	if (op->wcb != NULL) {
		if (local)
			w = op->lw;
		else if (op->type == OP_COUNT_ADD || op->type == OP_COUNT_GET)
			count_answer(rs, op, &w);
		else
			w = op->rw;
		op->wcb(op->arg, 0, &w);
	} else if (op->ccb != NULL) {
		claimed = local ? op->lclaimed : op->rclaimed;
		/*
		 * A claim taken is what a Redis that lost its data must get
		 * again; one refused must not (the claim that refused it may
		 * be gone from the log by then, and it would be taken).
		 */
		if (claimed)
			log_op(rs, op, op->key, op->klen);
		op->ccb(op->arg, 0, claimed);
	}
}

static void
bent_free(struct bent *be)
{
	free(be->key);
	free(be->upd);
	free(be->others);
	free(be);
}

static void
deliver(struct redis_store *rs, struct batch *b)
{
	struct rop	*op, *next;
	struct bent	*be, *bn;

	rs->sent = b->next;
	if (rs->sent == NULL)
		rs->sent_tail = NULL;
	rs->sent_ops -= b->nops;
	for (op = b->first; op != NULL; op = next) {
		next = op->next;
		if (!b->resend)
			answer(rs, op, !op->be->ok);
		op_free(rs, op);
	}
	for (be = b->bfirst; be != NULL; be = bn) {
		bn = be->next;
		bent_free(be);
	}
	free(b);
}

/*
 * All replies of b are in (or will never come).  Answers go out in the
 * order the operations were issued, whatever the order batches finish
 * in: a batch answered locally at once waits for those sent before it.
 */
static void
finish(struct redis_store *rs, struct batch *b)
{
	b->done = 1;
	if (rs->delivering)
		return;		/* the loop below takes it */
	rs->delivering = 1;
	while (rs->sent != NULL && rs->sent->done)
		deliver(rs, rs->sent);
	rs->delivering = 0;
}

static void
reply_error(struct redis_store *rs, const struct redisReply *reply)
{
	rs->errors++;
	if (!rs->error_logged)
		log_warnx("store %s: %.*s (reported once)", rconn_where(rs->rc),
		    reply->type == REDIS_REPLY_ERROR ? (int)(reply->len < 200 ?
		    reply->len : 200) : 16, reply->type == REDIS_REPLY_ERROR ?
		    reply->str : "unexpected reply");
	rs->error_logged = 1;
}

static int
int_at(const struct redisReply *r, size_t i, long long *v)
{
	if (i >= r->elements || r->element[i]->type != REDIS_REPLY_INTEGER)
		return -1;
	*v = r->element[i]->integer;
	return 0;
}

/* The reply to one key's part: into its operations. */
static int
take_reply(struct bent *be, const struct redisReply *reply)
{
	struct rop	*op;
	long long	 a, c, d;
	size_t		 i;

	switch (be->script) {
	case S_COUNT:
		if (reply->type != REDIS_REPLY_ARRAY || reply->elements % 2)
			return -1;
		be->nothers = reply->elements / 2;
		be->others = ks_xcalloc(be->nothers ? be->nothers : 1,
		    sizeof(*be->others));
		for (i = 0; i < be->nothers; i++) {
			if (int_at(reply, 2 * i, &a) == -1 ||
			    int_at(reply, 2 * i + 1, &c) == -1 || c < 0)
				return -1;
			be->others[i].b = a;
			be->others[i].n = (uint64_t)c;
		}
		return 0;
	case S_MEMBERS:
		if (reply->type != REDIS_REPLY_ARRAY ||
		    reply->elements != 3 * be->nops)
			return -1;
		for (op = be->first, i = 0; op != NULL; op = op->bnext, i++) {
			if (int_at(reply, 3 * i, &c) == -1 ||
			    int_at(reply, 3 * i + 1, &a) == -1 ||
			    int_at(reply, 3 * i + 2, &d) == -1 || c < 0)
				return -1;
			op->rw.count = (uint64_t)c;
			op->rw.oldest = a * 1000;
			op->rw.newest = d * 1000;
		}
		return 0;
	default:
		if (reply->type != REDIS_REPLY_ARRAY ||
		    reply->elements != be->nops)
			return -1;
		for (op = be->first, i = 0; op != NULL; op = op->bnext, i++) {
			if (int_at(reply, i, &c) == -1)
				return -1;
			op->rclaimed = c == 1;
		}
		return 0;
	}
}

static void
on_reply(void *arg, struct redisReply *reply)
{
	struct bent		*be = arg;
	struct batch		*b = be->batch;
	struct redis_store	*rs = be->rs;

	if (reply == NULL) {
		/* the connection is gone: this one, and the next, locally */
		if (!b->resend)
			rs->errors++;
		degrade(rs);
	} else if (take_reply(be, reply) == 0)
		be->ok = 1;
	else	/* refused (out of memory, say): answered locally */
		reply_error(rs, reply);
	if (--b->waiting == 0)
		finish(rs, b);
}

/* ---- sending ---- */

static char *
redis_key(const struct redis_store *rs, const char *key, size_t klen,
    int64_t width, size_t *len)
{
	char	*k = ks_xmalloc(rs->plen + klen + 32);
	size_t	 n = rs->plen + klen;

	memcpy(k, rs->prefix, rs->plen);
	memcpy(k + rs->plen, key, klen);
	if (width > 0)
		n += (size_t)snprintf(k + n, 32, "#%" PRId64, width);
	else
		k[n] = '\0';
	*len = n;
	return k;
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

/* Arguments, growing. */
struct args {
	const char	**v;
	size_t		 *len;
	char		 *buf;		/* numbers, 24 bytes each */
	size_t		  n, cap, nbuf;
};

static void
arg_add(struct args *a, const char *s, size_t len)
{
	if (a->n == a->cap) {
		a->cap = a->cap ? 2 * a->cap : 16;
		a->v = ks_xreallocarray(a->v, a->cap, sizeof(*a->v));
		a->len = ks_xreallocarray(a->len, a->cap, sizeof(*a->len));
	}
	a->v[a->n] = s;
	a->len[a->n++] = len;
}

/* An integer; open: as "(N", an open interval's edge. */
static void
arg_num(struct args *a, int64_t v, int open)
{
	char *p = a->buf + 24 * a->nbuf++;

	snprintf(p, 24, "%s%" PRId64, open ? "(" : "", v);
	arg_add(a, p, strlen(p));
}

static void
send_bent(struct redis_store *rs, struct bent *be)
{
	struct args	 a;
	struct rop	*op;
	size_t		 i, nnum;
	char		*keep;

	memset(&a, 0, sizeof(a));
	nnum = be->script == S_COUNT ? 5 + 2 * be->nupd :
	    be->script == S_MEMBERS ? 3 + 5 * be->nops : 1 + 2 * be->nops;
	a.buf = ks_xcalloc(nnum, 24);
	arg_add(&a, "EVALSHA", 7);
	arg_add(&a, rs->sha[be->script], 40);
	arg_add(&a, "1", 1);
	arg_add(&a, be->key, be->klen);
	switch (be->script) {
	case S_COUNT:
		arg_add(&a, rs->monitor, strlen(rs->monitor));
		arg_num(&a, be->ttl_ms, 0);
		arg_num(&a, be->lo, 0);
		arg_num(&a, be->hi, 0);
		if (be->keep == INT64_MIN)
			arg_add(&a, "-", 1);
		else
			arg_num(&a, be->keep, 0);
		arg_num(&a, (int64_t)be->nupd, 0);
		for (i = 0; i < be->nupd; i++) {
			arg_num(&a, be->upd[i].b, 0);
			arg_num(&a, (int64_t)be->upd[i].n, 0);
		}
		break;
	case S_MEMBERS:
		arg_num(&a, us(rs->skew), 0);
		arg_num(&a, be->ttl_ms, 0);
		op = be->first;
		arg_num(&a, rs->replay && op->cap < REPLAY_MEMBERS ?
		    REPLAY_MEMBERS : op->cap, 0);
		for (; op != NULL; op = op->bnext) {
			if (op->type == OP_ADD) {
				arg_add(&a, "a", 1);
				arg_add(&a, op->member, op->mlen);
			} else {
				arg_add(&a, "g", 1);
				arg_add(&a, "", 0);
			}
			arg_num(&a, us(op->score), 0);
			arg_num(&a, us(op->now) - us(op->window), 1);
			arg_num(&a, us(op->now) + us(rs->skew), 0);
			arg_num(&a, op->cap, 0);
			keep = a.buf + 24 * a.nbuf++;
			keep_from(rs, op->now, op->window, keep);
			arg_add(&a, keep, strlen(keep));
		}
		break;
	default:
		arg_num(&a, be->ttl_ms, 0);
		for (op = be->first; op != NULL; op = op->bnext) {
			arg_add(&a, be->batch->resend ? "r" : "c", 1);
			arg_num(&a, us(op->now), 0);
			arg_num(&a, us(op->ttl), 0);
		}
		break;
	}
	rs->scripts++;
	if (rconn_send(rs->rc, (int)a.n, a.v, a.len, on_reply, be) == 0)
		be->batch->waiting++;
	else
		degrade(rs);
	free(a.v);
	free(a.len);
	free(a.buf);
}

/* Sends a batch; its answers come when its last reply is in. */
static void
send_batch(struct redis_store *rs, struct batch *b)
{
	struct bent *be;

	rs->batches++;
	b->waiting = 1;		/* until everything is sent */
	if (rs->sent_tail != NULL)
		rs->sent_tail->next = b;
	else
		rs->sent = b;
	rs->sent_tail = b;
	rs->sent_ops += b->nops;
	for (be = b->bfirst; be != NULL && !rs->degraded; be = be->next)
		send_bent(rs, be);
	/* replay: hiredis writes when the loop runs; out now, not later */
	if (rs->replay && !rs->degraded && !rs->in_loop) {
		rs->in_loop = 1;
		rconn_poll(rs->rc);
		rs->in_loop = 0;
	}
	if (--b->waiting == 0)
		finish(rs, b);
}

/*
 * Sends the batch gathered so far.  A replay keeps one batch at Redis
 * while it gathers the next: it waits for the last one first, unless it
 * is in its loop already (an answer that issues operations), where it
 * cannot wait.
 */
static void
flush(struct redis_store *rs)
{
	struct batch	*b;
	size_t		 n;

	if (rs->cur == NULL)
		return;
	if (rs->replay && !rs->in_loop) {
		rs->in_loop = 1;
		while (rs->sent != NULL && (n = rconn_pending(rs->rc)) > 0)
			rconn_wait(rs->rc, n - 1);
		rs->in_loop = 0;
		if (rs->cur == NULL)	/* sent by an answer meanwhile */
			return;
	}
	b = rs->cur;
	rs->cur = NULL;
	lru_free(rs->bmap);
	rs->bmap = NULL;
	send_batch(rs, b);
}

static void
on_flush_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	flush(arg);
}

static struct batch *
cur_batch(struct redis_store *rs)
{
	if (rs->cur == NULL) {
		rs->cur = ks_xcalloc(1, sizeof(*rs->cur));
		rs->bmap = lru_new(BATCH_MAX + 1, NULL, NULL);
		if (rs->t_flush != NULL) {
			/* at the end of this turn of the loop */
			struct timeval tv = { 0, 0 };
			evtimer_add(rs->t_flush, &tv);
		}
	}
	return rs->cur;
}

static struct bent *
new_bent(struct redis_store *rs, struct batch *b, int script, char *key,
    size_t klen)
{
	struct bent *be = ks_xcalloc(1, sizeof(*be));

	be->rs = rs;
	be->batch = b;
	be->script = script;
	be->key = key;
	be->klen = klen;
	be->lo = 1;
	be->hi = 0;		/* no bucket asked */
	if (b->blast != NULL)
		b->blast->next = be;
	else
		b->bfirst = be;
	b->blast = be;
	return be;
}

/* Adds op to the batch, under its key's part (a new one for claims). */
static void
enqueue(struct redis_store *rs, struct rop *op, int script, const char *key,
    size_t klen, int64_t width, const struct upd *u)
{
	struct batch	 *b;
	struct bent	**slot, *be = NULL;
	char		 *rk;
	size_t		  rkl, i;
	int64_t		  lo = 1, hi = 0;
	int		  created;

	if (script == S_COUNT) {
		span(rs, op->now, op->window, width, &lo, &hi);
		/* a sparse replay: a part that would ask too wide goes first */
		if (rs->cur != NULL && (slot = lru_get(rs->bmap, key, klen,
		    NULL)) != NULL && (*slot)->script == S_COUNT &&
		    (*slot)->width == width &&
		    (hi > (*slot)->hi ? hi : (*slot)->hi) -
		    (lo < (*slot)->lo ? lo : (*slot)->lo) > SPAN_MAX)
			flush(rs);
	}
	b = cur_batch(rs);
	slot = lru_put(rs->bmap, key, klen, sizeof(*slot), &created);
	if (!created && (*slot)->script == script && (*slot)->width == width)
		be = *slot;
	if (be == NULL) {
		rk = redis_key(rs, key, klen, script == S_COUNT ? width : 0,
		    &rkl);
		be = new_bent(rs, b, script, rk, rkl);
		be->width = width;
		be->keep = INT64_MIN;
		*slot = be;
	}
	op->be = be;
	if (script == S_COUNT) {
		be->ttl_ms = (us(op->window) + us(rs->skew) + width) / 1000 +
		    TTL_MARGIN_MS;
		if (be->lo > be->hi) {
			be->lo = lo;
			be->hi = hi;
		} else {
			if (lo < be->lo)
				be->lo = lo;
			if (hi > be->hi)
				be->hi = hi;
		}
		/*
		 * Live: what a monitor max_skew behind still needs stays;
		 * replay: the last REPLAY_BUCKETS buckets.
		 */
		be->keep = rs->replay ? be->hi - REPLAY_BUCKETS : be->lo -
		    (us(rs->skew) + width - 1) / width - 1;
		if (u != NULL) {
			for (i = 0; i < be->nupd && be->upd[i].b != u->b; i++)
				;
			if (i == be->nupd) {
				if (be->nupd == be->updcap) {
					be->updcap = be->updcap ?
					    2 * be->updcap : 4;
					be->upd = ks_xreallocarray(be->upd,
					    be->updcap, sizeof(*be->upd));
				}
				be->nupd++;
			}
			be->upd[i] = *u;
		}
	} else if (script == S_MEMBERS)
		be->ttl_ms = (us(op->window) + us(rs->skew)) / 1000 +
		    TTL_MARGIN_MS;
	else
		be->ttl_ms = (op->ttl > 0 ? us(op->ttl) / 1000 : 0) +
		    us(rs->skew) / 1000 + TTL_MARGIN_MS;
	if (be->last != NULL)
		be->last->bnext = op;
	else
		be->first = op;
	be->last = op;
	be->nops++;
	if (b->last != NULL)
		b->last->next = op;
	else
		b->first = op;
	b->last = op;
	if (++b->nops >= BATCH_MAX)
		flush(rs);
}

/* ---- the own counts and the log, for recoveries ---- */

static void
own_evict(void *arg, const void *key, size_t klen, void *val)
{
	(void)arg;
	(void)key;
	(void)klen;
	free(*(struct own **)val);
}

/* One more own event in a count window; u gets its bucket's new count. */
static void
own_add(struct redis_store *rs, const char *key, size_t klen, int64_t score,
    int64_t window, int64_t width, struct upd *u)
{
	struct own	**slot, *o;
	struct upd	 *r;
	int64_t		  b = floordiv(us(score), width);
	uint32_t	  nring;
	int		  created;

	slot = lru_put(rs->own, key, klen, sizeof(*slot), &created);
	o = created ? NULL : *slot;
	if (o == NULL || o->width != width) {
		free(o);
		nring = (uint32_t)((us(window) + us(rs->skew)) / width + 4);
		o = ks_xcalloc(1, sizeof(*o) + nring * sizeof(o->ring[0]));
		o->width = width;
		o->nring = nring;
		*slot = o;
	}
	o->window = window;
	r = &o->ring[(uint64_t)(b - floordiv(b, o->nring) * o->nring)];
	if (r->b != b || r->n == 0) {
		if (r->n != 0 && r->b > b) {
			/* older than anything the ring holds: not kept */
			u->b = b;
			u->n = 0;
			return;
		}
		r->b = b;
		r->n = 0;
	}
	r->n++;
	*u = *r;
}

static void
logged_free(struct logged *l)
{
	free(l->key);
	free(l->member);
	free(l);
}

static int64_t
expiry(const struct redis_store *rs, const struct logged *l)
{
	return l->now + (l->type == OP_CLAIM ? l->ttl : l->window) + rs->skew;
}

/* Keeps a copy of a member add or a claim in the log. */
static void
log_op(struct redis_store *rs, const struct rop *op, const char *key,
    size_t klen)
{
	struct logged *l;

	while (rs->ln > 0 && expiry(rs, rs->log[rs->lhead]) < rs->latest) {
		logged_free(rs->log[rs->lhead]);
		rs->lhead = (rs->lhead + 1) % LOG_MAX;
		rs->ln--;
	}
	if (rs->ln == LOG_MAX) {
		logged_free(rs->log[rs->lhead]);
		rs->lhead = (rs->lhead + 1) % LOG_MAX;
		rs->ln--;
		rs->ldropped++;
		if (!rs->ldrop_logged && rs->degraded)
			log_warnx("store %s: more than %d recent operations; "
			    "the oldest will not reach the store when it is "
			    "back", rconn_where(rs->rc), LOG_MAX);
		rs->ldrop_logged = rs->degraded;
	}
	l = ks_xcalloc(1, sizeof(*l));
	l->type = op->type;
	l->key = memdup0(key, klen);
	l->klen = klen;
	if (op->member != NULL) {
		l->member = memdup0(op->member, op->mlen);
		l->mlen = op->mlen;
	}
	l->score = op->score;
	l->now = op->now;
	l->window = op->window;
	l->ttl = op->ttl;
	l->cap = op->cap;
	rs->log[(rs->lhead + rs->ln) % LOG_MAX] = l;
	rs->ln++;
}

struct resend_ctx {
	struct redis_store	*rs;
	struct batch		*b;
	size_t			 keys;
};

/* An own count window, sent again: its buckets that still matter. */
static void
resend_own(void *arg, const void *key, size_t klen, void *val)
{
	struct resend_ctx	*cx = arg;
	struct redis_store	*rs = cx->rs;
	struct own		*o = *(struct own **)val;
	struct batch		*b = cx->b;
	struct bent		*be = NULL;
	char			*rk;
	size_t			 rkl;
	int64_t			 from;
	uint32_t		 i;

	from = floordiv(us(rs->latest) - us(o->window) - us(rs->skew),
	    o->width);
	for (i = 0; i < o->nring; i++) {
		if (o->ring[i].n == 0 || (!rs->replay && o->ring[i].b < from))
			continue;
		if (be == NULL) {
			rk = redis_key(rs, key, klen, o->width, &rkl);
			be = new_bent(rs, b, S_COUNT, rk, rkl);
			be->width = o->width;
			be->keep = INT64_MIN;
			be->ttl_ms = (us(o->window) + us(rs->skew) +
			    o->width) / 1000 + TTL_MARGIN_MS;
			be->updcap = o->nring;
			be->upd = ks_xcalloc(o->nring, sizeof(*be->upd));
			cx->keys++;
		}
		be->upd[be->nupd++] = o->ring[i];
	}
}

/*
 * The new connection answered: what Redis must have from this monitor
 * goes again, before anything new, then business as usual.  (A
 * connection to a stopped server is accepted by the kernel, so
 * "connected" alone proves nothing; an answer does.)
 */
static void
on_pong(void *arg, struct redisReply *reply)
{
	struct redis_store	*rs = arg;
	struct resend_ctx	 cx = { rs, NULL, 0 };
	struct batch		*b;
	struct bent		*be;
	struct rop		*op;
	struct logged		*l;
	char			*rk;
	size_t			 k, n = rs->ln, rkl;

	rs->probing = 0;
	if (reply == NULL || !rs->degraded)
		return;		/* dropped again: the next connection tries */
	rs->degraded = 0;
	rs->ldrop_logged = 0;
	/* a batch of its own, ahead of any being gathered */
	b = cx.b = ks_xcalloc(1, sizeof(*b));
	b->resend = 1;
	lru_foreach(rs->own, resend_own, &cx);
	for (k = 0; k < n; k++) {
		l = rs->log[(rs->lhead + k) % LOG_MAX];
		op = op_alloc(rs);
		op->type = l->type;
		op->score = l->score;
		op->now = l->now;
		op->window = l->window;
		op->ttl = l->ttl;
		op->cap = l->cap;
		if (l->member != NULL) {
			op->member = memdup0(l->member, l->mlen);
			op->mlen = l->mlen;
		}
		rk = redis_key(rs, l->key, l->klen, 0, &rkl);
		be = new_bent(rs, b, l->type == OP_CLAIM ? S_CLAIM : S_MEMBERS,
		    rk, rkl);
		be->ttl_ms = l->type == OP_CLAIM ? (l->ttl > 0 ? us(l->ttl) /
		    1000 : 0) + us(rs->skew) / 1000 + TTL_MARGIN_MS :
		    (us(l->window) + us(rs->skew)) / 1000 + TTL_MARGIN_MS;
		op->be = be;
		be->first = be->last = op;
		be->nops = 1;
		if (b->last != NULL)
			b->last->next = op;
		else
			b->first = op;
		b->last = op;
		b->nops++;
	}
	send_batch(rs, b);
	log_info("store %s: back; the own counts of %zu windows and %zu recent "
	    "operations sent again", rconn_where(rs->rc), cx.keys, n);
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

/* ---- the backend ---- */

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
	char			 host[256], buf[512];

	rs->s = s;
	rs->prefix = ks_xstrdup(lim->prefix ? lim->prefix : "keysentry:");
	rs->plen = strlen(rs->prefix);
	rs->skew = lim->skew;
	if (lim->monitor != NULL)
		rs->monitor = ks_xstrdup(lim->monitor);
	else {
		if (gethostname(host, sizeof(host)) == -1)
			snprintf(host, sizeof(host), "?");
		host[sizeof(host) - 1] = '\0';
		snprintf(buf, sizeof(buf), "%s:%ld:%016" PRIx64, host,
		    (long)getpid(), s->salt);
		rs->monitor = ks_xstrdup(buf);
	}
	sha1_hex(script_count, rs->sha[S_COUNT]);
	sha1_hex(script_members, rs->sha[S_MEMBERS]);
	sha1_hex(script_claim, rs->sha[S_CLAIM]);
	local.base = NULL;
	rs->local = store_open("memory", &local, err, errlen);
	rs->own = lru_new(lim->entries ? lim->entries : 50000, own_evict,
	    NULL);
	rs->log = ks_xcalloc(LOG_MAX, sizeof(*rs->log));
	rs->rc = rconn_open(url, lim->base, "store", load_scripts, NULL, err,
	    errlen);
	if (rs->rc == NULL || rs->local == NULL) {
		rconn_close(rs->rc);
		store_close(rs->local);
		lru_free(rs->own);
		free(rs->log);
		free(rs->monitor);
		free(rs->prefix);
		free(rs);
		return -1;
	}
	rconn_on_up(rs->rc, on_up, rs);
	rs->replay = rconn_own_loop(rs->rc);
	rs->base = lim->base;
	if (rs->base != NULL)
		rs->t_flush = evtimer_new(rs->base, on_flush_timer, rs);
	s->priv = rs;
	return 0;
}

static void
redis_close(struct store *s)
{
	struct redis_store	*rs = s->priv;
	size_t			 k;

	rs->degraded = 1;	/* answers that come now: no notice */
	flush(rs);		/* degraded: answered locally */
	rconn_close(rs->rc);	/* pending: answered locally */
	if (rs->t_flush != NULL)
		event_free(rs->t_flush);
	for (k = 0; k < rs->ln; k++)
		logged_free(rs->log[(rs->lhead + k) % LOG_MAX]);
	free(rs->log);
	lru_foreach(rs->own, own_evict, NULL);	/* no hook in lru_free() */
	lru_free(rs->own);
	store_close(rs->local);
	while (rs->spare != NULL) {
		struct rop *op = rs->spare;
		rs->spare = op->next;
		free(op);
	}
	free(rs->monitor);
	free(rs->prefix);
	free(rs);
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
new_op(struct redis_store *rs, int type, int64_t now)
{
	struct rop *op = op_alloc(rs);

	rs->ops++;
	op->type = type;
	op->now = now;
	if (now > rs->latest)
		rs->latest = now;
	return op;
}

/* A window operation, with its caller's callback. */
static struct rop *
new_wop(struct redis_store *rs, int type, int64_t now, int64_t window,
    unsigned int cap, store_window_cb *cb, void *arg)
{
	struct rop *op = new_op(rs, type, now);

	op->wcb = cb;
	op->arg = arg;
	op->window = window;
	op->cap = cap ? cap : 1;
	return op;
}

/*
 * Degraded: answered from the local store at once, through the queue all
 * the same (sent at once, not to Redis), so that it comes after what was
 * issued before: a later event's claim must not be answered before an
 * earlier event's count.
 */
static void
degraded_now(struct redis_store *rs)
{
	if (rs->degraded)
		flush(rs);
}

static void
redis_count_add(struct store *s, const char *key, size_t klen, int64_t score,
    int64_t now, int64_t window, unsigned int cap, store_window_cb *cb,
    void *arg)
{
	struct redis_store	*rs = s->priv;
	struct rop		*op = new_wop(rs, OP_COUNT_ADD, now, window, cap, cb,
				    arg);
	int64_t			 width = width_of(window);
	struct upd		 u;
	int			 counted = score > now - window;

	op->score = score;
	store_count_add(rs->local, key, klen, score, now, window, op->cap,
	    local_window, op);
	if (counted)
		own_add(rs, key, klen, score, window, width, &u);
	enqueue(rs, op, S_COUNT, key, klen, width, counted && u.n > 0 ?
	    &u : NULL);
	degraded_now(rs);
}

static void
redis_count_get(struct store *s, const char *key, size_t klen, int64_t now,
    int64_t window, unsigned int cap, store_window_cb *cb, void *arg)
{
	struct redis_store	*rs = s->priv;
	struct rop		*op = new_wop(rs, OP_COUNT_GET, now, window, cap, cb,
				    arg);

	store_count_get(rs->local, key, klen, now, window, op->cap,
	    local_window, op);
	enqueue(rs, op, S_COUNT, key, klen, width_of(window), NULL);
	degraded_now(rs);
}

static void
redis_window_add(struct store *s, const char *key, size_t klen,
    const void *member, size_t mlen, int64_t score, int64_t now,
    int64_t window, unsigned int cap, store_window_cb *cb, void *arg)
{
	struct redis_store	*rs = s->priv;
	struct rop		*op = new_wop(rs, OP_ADD, now, window, cap, cb,
				    arg);

	op->member = memdup0(member, mlen);
	op->mlen = mlen;
	op->score = score;
	store_window_add(rs->local, key, klen, member, mlen, score, now,
	    window, op->cap, local_window, op);
	log_op(rs, op, key, klen);
	enqueue(rs, op, S_MEMBERS, key, klen, 0, NULL);
	degraded_now(rs);
}

static void
redis_window_get(struct store *s, const char *key, size_t klen, int64_t now,
    int64_t window, unsigned int cap, store_window_cb *cb, void *arg)
{
	struct redis_store	*rs = s->priv;
	struct rop		*op = new_wop(rs, OP_GET, now, window, cap, cb,
				    arg);

	store_window_get(rs->local, key, klen, now, window, op->cap,
	    local_window, op);
	enqueue(rs, op, S_MEMBERS, key, klen, 0, NULL);
	degraded_now(rs);
}

static void
redis_claim(struct store *s, const char *key, size_t klen, int64_t now,
    int64_t ttl, store_claim_cb *cb, void *arg)
{
	struct redis_store	*rs = s->priv;
	struct rop		*op = new_op(rs, OP_CLAIM, now);

	op->ccb = cb;
	op->arg = arg;
	op->ttl = ttl;
	store_claim(rs->local, key, klen, now, ttl, local_claim, op);
	op->key = memdup0(key, klen);	/* for the log, once taken */
	op->klen = klen;
	enqueue(rs, op, S_CLAIM, key, klen, 0, NULL);
	degraded_now(rs);
}

static void
redis_stats(struct store *s, struct store_stats *st)
{
	struct redis_store *rs = s->priv;

	st->ops = rs->ops;
	st->errors = rs->errors;
	st->up = rconn_up(rs->rc) && !rs->degraded;
	st->degraded = rs->degraded;
	st->pending = (rs->cur ? rs->cur->nops : 0) + rs->sent_ops;
	st->reconnects = rconn_reconnects(rs->rc);
	st->journal = rs->ln + lru_count(rs->own);
	st->journal_dropped = rs->ldropped;
	st->outages = rs->outages;
	st->batches = rs->batches;
	st->scripts = rs->scripts;
}

static size_t
redis_pending(struct store *s)
{
	struct redis_store *rs = s->priv;

	return (rs->cur ? rs->cur->nops : 0) + rs->sent_ops;
}

static void
redis_wait(struct store *s, size_t max_pending)
{
	struct redis_store	*rs = s->priv;
	size_t			 n;
	int			 i;

	if (rs->in_loop)	/* from an answer: nothing to wait for here */
		return;
	/* replay: a turn of our loop, for replies and reconnecting */
	if (max_pending == SIZE_MAX) {
		if (rs->degraded)
			flush(rs);	/* answered locally, in order */
		if (rs->replay) {
			rs->in_loop = 1;
			rconn_poll(rs->rc);
			rs->in_loop = 0;
		}
		return;
	}
	/* the batch being gathered goes only if waiting is not enough */
	if (max_pending == 0 || (rs->cur != NULL && rs->cur->nops >
	    max_pending))
		flush(rs);
	rs->in_loop = 1;
	if (rs->replay)
		rconn_poll(rs->rc);
	/* the watchdog bounds each step: a silent server is dropped */
	while (redis_pending(s) > max_pending && rs->sent_ops > 0 &&
	    (n = rconn_pending(rs->rc)) > 0)
		rconn_wait(rs->rc, n - 1);
	/*
	 * The end of a replay that is degraded: a last try, for up to 10 s,
	 * so that what this monitor counted reaches the fleet.
	 */
	for (i = 0; max_pending == 0 && rs->replay && rs->degraded && i < 50;
	    i++) {
		rconn_kick(rs->rc);
		rconn_run_for(rs->rc, KS_NSEC_PER_SEC / 5);
	}
	rs->in_loop = 0;
	/* the end: answers issue claims, whose answers issue nothing */
	while (max_pending == 0 && (rs->cur != NULL ||
	    rconn_pending(rs->rc) > 0)) {
		flush(rs);
		rs->in_loop = 1;
		rconn_wait(rs->rc, 0);
		rs->in_loop = 0;
	}
}

const struct store_backend store_redis_backend = {
	.name = "redis",
	.accepts = redis_accepts,
	.open = redis_open,
	.close = redis_close,
	.window_add = redis_window_add,
	.window_get = redis_window_get,
	.count_add = redis_count_add,
	.count_get = redis_count_get,
	.claim = redis_claim,
	.stats = redis_stats,
	.pending = redis_pending,
	.wait = redis_wait,
};
