/*
 * The bounded LRU map (see lru.h): chained hashing over a power-of-two
 * bucket array sized for the cap, and an intrusive doubly linked recency
 * list whose head is the most recent entry.  Key and value live in one
 * allocation with the entry header.
 */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "lru.h"
#include "util.h"

struct lru_ent {
	struct lru_ent	*hnext;		/* next in bucket */
	struct lru_ent	*prev, *next;	/* recency list */
	uint64_t	 hash;
	uint32_t	 klen;
	uint32_t	 vsize;
	unsigned char	 data[] __attribute__((aligned(16)));
};

struct lru {
	struct lru_ent	**buckets;
	size_t		  mask;
	size_t		  count, cap;
	struct lru_ent	 *head, *tail;
	uint64_t	  evictions;
	lru_evict_fn	 *evict;
	void		 *arg;
};

#define VOFF(klen)	(((size_t)(klen) + 15) & ~(size_t)15)

static void *
ent_val(struct lru_ent *e)
{
	return e->data + VOFF(e->klen);
}

struct lru *
lru_new(size_t cap, lru_evict_fn *evict, void *arg)
{
	struct lru	*l = ks_xcalloc(1, sizeof(*l));
	size_t		 nb = 16;

	if (cap == 0)
		cap = 1;
	while (nb < cap && nb < ((size_t)1 << 30))
		nb <<= 1;
	l->buckets = ks_xcalloc(nb, sizeof(*l->buckets));
	l->mask = nb - 1;
	l->cap = cap;
	l->evict = evict;
	l->arg = arg;
	return l;
}

void
lru_free(struct lru *l)
{
	struct lru_ent *e, *next;

	if (l == NULL)
		return;
	for (e = l->head; e != NULL; e = next) {
		next = e->next;
		free(e);
	}
	free(l->buckets);
	free(l);
}

static void
list_unlink(struct lru *l, struct lru_ent *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		l->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		l->tail = e->prev;
	e->prev = e->next = NULL;
}

static void
list_push_head(struct lru *l, struct lru_ent *e)
{
	e->prev = NULL;
	e->next = l->head;
	if (l->head)
		l->head->prev = e;
	l->head = e;
	if (l->tail == NULL)
		l->tail = e;
}

/* The link that points at the entry for key (or the bucket's end). */
static struct lru_ent **
find(struct lru *l, const void *key, size_t klen, uint64_t h)
{
	struct lru_ent **pp = &l->buckets[h & l->mask];

	for (; *pp != NULL; pp = &(*pp)->hnext)
		if ((*pp)->hash == h && (*pp)->klen == klen &&
		    memcmp((*pp)->data, key, klen) == 0)
			break;
	return pp;
}

static void
remove_ent(struct lru *l, struct lru_ent *e)
{
	struct lru_ent **pp = find(l, e->data, e->klen, e->hash);

	*pp = e->hnext;
	list_unlink(l, e);
	l->count--;
}

void *
lru_get(struct lru *l, const void *key, size_t klen, size_t *vsize)
{
	uint64_t	 h = ks_hash(key, klen);
	struct lru_ent	*e = *find(l, key, klen, h);

	if (e == NULL)
		return NULL;
	if (e != l->head) {
		list_unlink(l, e);
		list_push_head(l, e);
	}
	if (vsize)
		*vsize = e->vsize;
	return ent_val(e);
}

void *
lru_put(struct lru *l, const void *key, size_t klen, size_t vsize,
    int *created)
{
	uint64_t	  h = ks_hash(key, klen);
	struct lru_ent	**pp = find(l, key, klen, h), *e = *pp, *n;

	if (created)
		*created = e == NULL;
	if (e != NULL) {
		if (e->vsize < vsize) {
			/* grow: a new block takes the old one's places */
			n = ks_xmalloc(sizeof(*n) + VOFF(klen) + vsize);
			memcpy(n, e, sizeof(*n) + VOFF(klen) + e->vsize);
			memset((unsigned char *)ent_val(n) + e->vsize, 0,
			    vsize - e->vsize);
			n->vsize = (uint32_t)vsize;
			*pp = n;
			if (n->prev)
				n->prev->next = n;
			else
				l->head = n;
			if (n->next)
				n->next->prev = n;
			else
				l->tail = n;
			free(e);
			e = n;
		}
		if (e != l->head) {
			list_unlink(l, e);
			list_push_head(l, e);
		}
		return ent_val(e);
	}
	if (l->count >= l->cap && l->tail != NULL) {
		struct lru_ent *victim = l->tail;
		remove_ent(l, victim);
		if (l->evict)
			l->evict(l->arg, victim->data, victim->klen,
			    ent_val(victim));
		free(victim);
		l->evictions++;
		pp = find(l, key, klen, h);	/* the chain may have changed */
	}
	e = ks_xcalloc(1, sizeof(*e) + VOFF(klen) + vsize);
	e->hash = h;
	e->klen = (uint32_t)klen;
	e->vsize = (uint32_t)vsize;
	memcpy(e->data, key, klen);
	e->hnext = NULL;
	*pp = e;
	list_push_head(l, e);
	l->count++;
	return ent_val(e);
}

void
lru_del(struct lru *l, const void *key, size_t klen)
{
	uint64_t	 h = ks_hash(key, klen);
	struct lru_ent	*e = *find(l, key, klen, h);

	if (e == NULL)
		return;
	remove_ent(l, e);
	free(e);
}

size_t
lru_count(const struct lru *l)
{
	return l->count;
}

size_t
lru_cap(const struct lru *l)
{
	return l->cap;
}

uint64_t
lru_evictions(const struct lru *l)
{
	return l->evictions;
}

void
lru_foreach(struct lru *l, void (*fn)(void *, const void *, size_t, void *),
    void *arg)
{
	struct lru_ent *e;

	for (e = l->head; e != NULL; e = e->next)
		fn(arg, e->data, e->klen, ent_val(e));
}
