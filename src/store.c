/* The store backend table and thin dispatch (see store.h). */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "kstime.h"
#include "util.h"

static const struct store_backend *backends[] = {
	&store_memory_backend,
	&store_redis_backend,
	NULL
};

struct store *
store_open(const char *url, const struct store_limits *lim, char *err,
    size_t errlen)
{
	struct store	*s;
	size_t		 i;

	for (i = 0; backends[i] != NULL; i++)
		if (backends[i]->accepts(url))
			break;
	if (backends[i] == NULL) {
		snprintf(err, errlen, "no store backend for \"%s\"", url);
		return NULL;
	}
	s = ks_xcalloc(1, sizeof(*s));
	s->be = backends[i];
	s->salt = ks_hash(&s, sizeof(s)) ^ (uint64_t)kstime_now();
	if (s->be->open(s, url, lim, err, errlen) == -1) {
		free(s);
		return NULL;
	}
	return s;
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	s->be->close(s);
	free(s);
}

const char *
store_name(const struct store *s)
{
	return s->be->name;
}

void
store_window_add(struct store *s, const char *key, size_t klen,
    const void *member, size_t mlen, int64_t score, int64_t now,
    int64_t window, unsigned int cap, store_window_cb *cb, void *arg)
{
	s->be->window_add(s, key, klen, member, mlen, score, now, window, cap,
	    cb, arg);
}

void
store_window_get(struct store *s, const char *key, size_t klen, int64_t now,
    int64_t window, unsigned int cap, store_window_cb *cb, void *arg)
{
	s->be->window_get(s, key, klen, now, window, cap, cb, arg);
}

void
store_count_add(struct store *s, const char *key, size_t klen, int64_t score,
    int64_t now, int64_t window, unsigned int cap, store_window_cb *cb,
    void *arg)
{
	uint64_t m[2];

	if (s->be->count_add != NULL) {
		s->be->count_add(s, key, klen, score, now, window, cap, cb, arg);
		return;
	}
	/* a member nobody else has: this store's salt and a counter */
	m[0] = s->salt;
	m[1] = s->seq++;
	s->be->window_add(s, key, klen, m, sizeof(m), score, now, window, cap,
	    cb, arg);
}

void
store_count_get(struct store *s, const char *key, size_t klen, int64_t now,
    int64_t window, unsigned int cap, store_window_cb *cb, void *arg)
{
	if (s->be->count_get != NULL)
		s->be->count_get(s, key, klen, now, window, cap, cb, arg);
	else
		s->be->window_get(s, key, klen, now, window, cap, cb, arg);
}

void
store_claim(struct store *s, const char *key, size_t klen, int64_t now,
    int64_t ttl, store_claim_cb *cb, void *arg)
{
	s->be->claim(s, key, klen, now, ttl, cb, arg);
}

void
store_stats(struct store *s, struct store_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->up = 1;
	s->be->stats(s, st);
}

void
store_set_notify(struct store *s, store_notify_fn *fn, void *arg)
{
	s->notify = fn;
	s->notify_arg = arg;
}

size_t
store_pending(struct store *s)
{
	return s->be->pending != NULL ? s->be->pending(s) : 0;
}

void
store_wait(struct store *s, size_t max_pending)
{
	if (s->be->wait != NULL)
		s->be->wait(s, max_pending);
}
