/*
 * A bounded hash map with least-recently-used eviction, keyed by bytes.
 * Every table that grows with input (counters, detector groups, later
 * flows) is one of these, so memory is bounded by configuration and never
 * by what a hostile peer sends.  Keys are hashed with SipHash under a
 * per-process random key.  Values are blocks of caller-chosen size, owned
 * by the map; an eviction callback sees an entry before it is freed.
 */
#ifndef KS_LRU_H
#define KS_LRU_H

#include <stddef.h>
#include <stdint.h>

struct lru;

typedef void lru_evict_fn(void *arg, const void *key, size_t klen,
    void *val);

/* cap >= 1 entries.  evict may be NULL. */
struct lru	*lru_new(size_t cap, lru_evict_fn *evict, void *arg);
/* Frees every entry without calling evict. */
void		 lru_free(struct lru *);

/* Finds key and makes it the most recent; NULL if absent. */
void		*lru_get(struct lru *, const void *key, size_t klen,
		    size_t *vsize);
/*
 * Finds or creates key with a value of at least vsize bytes and makes it
 * the most recent.  New or grown bytes are zeroed; *created says whether
 * the entry is new.  When the map is full the least recent entry is
 * evicted first (and counted).  The pointer is valid until the next call
 * that modifies the map.
 */
void		*lru_put(struct lru *, const void *key, size_t klen,
		    size_t vsize, int *created);
/* Removes key if present (not counted as an eviction). */
void		 lru_del(struct lru *, const void *key, size_t klen);

size_t		 lru_count(const struct lru *);
size_t		 lru_cap(const struct lru *);
uint64_t	 lru_evictions(const struct lru *);

/* Calls fn for every entry, most recent first; fn must not modify. */
void		 lru_foreach(struct lru *, void (*fn)(void *arg, const void *key,
		    size_t klen, void *val), void *arg);

#endif
