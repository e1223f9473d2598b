/*
 * The embedded counter store (see store.h): one bounded LRU map.  A
 * window keeps its members sorted by score, oldest first, and drops
 * members that have left the window whenever it is touched; claims drop
 * themselves when they expire.  Members are kept as 64-bit keyed hashes,
 * which makes a false "already seen" for a distinct count about as likely
 * as 2^-64 per pair.
 */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "lru.h"
#include "store.h"
#include "util.h"

enum { MEM_WINDOW = 1, MEM_CLAIM = 2 };

struct member {
	int64_t		score;
	uint64_t	hash;
};

struct mem_val {
	uint32_t	type;
	uint32_t	cap;		/* windows: members kept at most */
	uint32_t	n;
	int64_t		until;		/* claims */
	struct member	m[];		/* sorted by score, ascending */
};

struct mem_store {
	struct lru	*map;
	uint64_t	 ops;
	int64_t		 skew;
};

static int
mem_accepts(const char *url)
{
	return strcmp(url, "memory") == 0 || strcmp(url, "memory://") == 0;
}

static int
mem_open(struct store *s, const char *url, const struct store_limits *lim,
    char *err, size_t errlen)
{
	struct mem_store *ms = ks_xcalloc(1, sizeof(*ms));

	(void)url;
	(void)err;
	(void)errlen;
	ms->map = lru_new(lim->entries ? lim->entries : 50000, NULL, NULL);
	ms->skew = lim->skew;
	s->priv = ms;
	return 0;
}

static void
mem_close(struct store *s)
{
	struct mem_store *ms = s->priv;

	lru_free(ms->map);
	free(ms);
}

/* Removes the member at index i. */
static void
drop_at(struct mem_val *v, uint32_t i)
{
	memmove(v->m + i, v->m + i + 1, (v->n - i - 1) * sizeof(v->m[0]));
	v->n--;
}

/*
 * Drops members at or before now - window (- max_skew: a monitor that is
 * behind by up to max_skew still counts them, as with Redis).
 */
static void
prune(struct mem_val *v, int64_t now, int64_t window)
{
	uint32_t i = 0;

	while (i < v->n && v->m[i].score <= now - window)
		i++;
	if (i > 0) {
		memmove(v->m, v->m + i, (v->n - i) * sizeof(v->m[0]));
		v->n -= i;
	}
}

/*
 * Members in (now - window, now + skew]: a monitor whose clock is ahead
 * by up to max_skew still counts with the others.  (Alone, no member is
 * ever after now: now is the latest event time.)
 */
static void
summarize(const struct mem_val *v, int64_t now, int64_t window, int64_t skew,
    struct store_window *w)
{
	uint32_t i;

	memset(w, 0, sizeof(*w));
	for (i = 0; i < v->n; i++) {
		if (v->m[i].score <= now - window || v->m[i].score > now + skew)
			continue;
		if (w->count == 0)
			w->oldest = v->m[i].score;
		w->newest = v->m[i].score;
		w->count++;
	}
}

static void
insert_sorted(struct mem_val *v, int64_t score, uint64_t hash)
{
	uint32_t i, pos;

	/* an existing member moves to its new, higher score */
	for (i = 0; i < v->n; i++) {
		if (v->m[i].hash == hash) {
			if (v->m[i].score >= score)
				return;
			drop_at(v, i);
			break;
		}
	}
	if (v->n == v->cap) {
		if (score <= v->m[0].score)
			return;		/* lower than every kept score */
		drop_at(v, 0);
	}
	pos = v->n;
	while (pos > 0 && v->m[pos - 1].score > score)
		pos--;
	memmove(v->m + pos + 1, v->m + pos, (v->n - pos) * sizeof(v->m[0]));
	v->m[pos].score = score;
	v->m[pos].hash = hash;
	v->n++;
}

static void
mem_window_add(struct store *s, const char *key, size_t klen,
    const void *member, size_t mlen, int64_t score, int64_t now,
    int64_t window, unsigned int cap, store_window_cb *cb, void *arg)
{
	struct mem_store	*ms = s->priv;
	struct mem_val		*v;
	struct store_window	 w;
	size_t			 vsize;
	int			 created;

	if (cap == 0)
		cap = 1;
	ms->ops++;
	vsize = sizeof(*v) + cap * sizeof(struct member);
	v = lru_put(ms->map, key, klen, vsize, &created);
	if (created || v->type != MEM_WINDOW) {
		memset(v, 0, vsize);
		v->type = MEM_WINDOW;
	}
	while (v->n > cap)		/* the cap was lowered by a reload */
		drop_at(v, 0);
	v->cap = cap;
	prune(v, now, window + ms->skew);
	if (score > now - window)
		insert_sorted(v, score, ks_hash(member, mlen));
	summarize(v, now, window, ms->skew, &w);
	cb(arg, 0, &w);
}

static void
mem_window_get(struct store *s, const char *key, size_t klen, int64_t now,
    int64_t window, unsigned int cap, store_window_cb *cb, void *arg)
{
	struct mem_store	*ms = s->priv;
	struct mem_val		*v;
	struct store_window	 w;

	(void)cap;		/* the adds kept at most cap members */
	ms->ops++;
	memset(&w, 0, sizeof(w));
	v = lru_get(ms->map, key, klen, NULL);
	if (v != NULL && v->type == MEM_WINDOW) {
		prune(v, now, window + ms->skew);
		summarize(v, now, window, ms->skew, &w);
		if (v->n == 0)
			lru_del(ms->map, key, klen);
	}
	cb(arg, 0, &w);
}

static void
mem_claim(struct store *s, const char *key, size_t klen, int64_t now,
    int64_t ttl, store_claim_cb *cb, void *arg)
{
	struct mem_store	*ms = s->priv;
	struct mem_val		*v;
	int			 created;

	ms->ops++;
	v = lru_put(ms->map, key, klen, sizeof(*v), &created);
	if (!created && v->type == MEM_CLAIM && v->until > now) {
		cb(arg, 0, 0);
		return;
	}
	memset(v, 0, sizeof(*v));
	v->type = MEM_CLAIM;
	v->until = now + ttl;
	cb(arg, 0, 1);
}

static void
mem_stats(struct store *s, struct store_stats *st)
{
	struct mem_store *ms = s->priv;

	st->entries = lru_count(ms->map);
	st->cap = lru_cap(ms->map);
	st->evictions = lru_evictions(ms->map);
	st->ops = ms->ops;
}

const struct store_backend store_memory_backend = {
	.name = "memory",
	.accepts = mem_accepts,
	.open = mem_open,
	.close = mem_close,
	.window_add = mem_window_add,
	.window_get = mem_window_get,
	.claim = mem_claim,
	.stats = mem_stats,
};
