/* TCP reassembly (see tcp.h). */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "tcp.h"
#include "util.h"

/* A segment waiting for the bytes before it (a copy: wiped when freed). */
struct seg {
	struct seg	*next;
	uint32_t	 seq;
	uint32_t	 len;
	uint8_t		 data[];
};

struct half {
	int		 started;	/* next is known */
	uint32_t	 next;		/* the next byte expected */
	int		 fin;
	uint32_t	 fin_seq;
	int		 closed;	/* delivered up to its FIN */
	struct seg	*wait;		/* sorted by seq, from next */
	size_t		 waiting;
};

struct flow {
	struct tcp_flow	 pub;
	struct flow	*hnext;			/* hash chain */
	struct flow	*newer, *older;		/* recency */
	uint8_t		 key[38];
	uint64_t	 hash;
	struct half	 h[2];
	int64_t		 last;
};

#define SPARE_MAX	256	/* ended flows kept for new ones */

struct tcp_table {
	struct tcp_opts	 o;
	struct tcp_cb	 cb;
	void		*arg;
	struct flow	**buckets;
	size_t		 mask;
	struct flow	*newest, *oldest;
	struct flow	*spare;		/* by hnext */
	size_t		 nspare;
	struct flow	*last;		/* the last packet's: most packets
					   follow one of the same flow */
	struct tcp_stats st;
};

/* A payload may hold a key: the copy goes, byte by byte. */
static void
seg_free(struct seg *s)
{
	explicit_bzero(s->data, s->len);
	free(s);
}

/* a after b, in sequence space */
static int32_t
sdiff(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b);
}

struct tcp_table *
tcp_new(const struct tcp_opts *o, const struct tcp_cb *cb, void *arg)
{
	struct tcp_table	*t = ks_xcalloc(1, sizeof(*t));
	size_t			 nb = 64;

	if (o != NULL)
		t->o = *o;
	if (t->o.max_flows == 0)
		t->o.max_flows = 10000;
	if (t->o.max_flow_bytes == 0)
		t->o.max_flow_bytes = 256 * 1024;
	if (t->o.max_total_bytes == 0)
		t->o.max_total_bytes = 64 * 1024 * 1024;
	if (t->o.idle_timeout == 0)
		t->o.idle_timeout = 60 * INT64_C(1000000000);
	while (nb < t->o.max_flows && nb < ((size_t)1 << 24))
		nb <<= 1;
	t->buckets = ks_xcalloc(nb, sizeof(*t->buckets));
	t->mask = nb - 1;
	t->cb = *cb;
	t->arg = arg;
	return t;
}

/* The 4-tuple, the same from either side. */
static void
flow_key(const struct pkt *pk, uint8_t key[38])
{
	uint8_t a[19], b[19];

	memcpy(a, &pk->src, 17);
	a[17] = (uint8_t)(pk->sport >> 8);
	a[18] = (uint8_t)pk->sport;
	memcpy(b, &pk->dst, 17);
	b[17] = (uint8_t)(pk->dport >> 8);
	b[18] = (uint8_t)pk->dport;
	if (memcmp(a, b, 19) <= 0) {
		memcpy(key, a, 19);
		memcpy(key + 19, b, 19);
	} else {
		memcpy(key, b, 19);
		memcpy(key + 19, a, 19);
	}
}

static void
unlink_recent(struct tcp_table *t, struct flow *f)
{
	if (f->newer != NULL)
		f->newer->older = f->older;
	else
		t->newest = f->older;
	if (f->older != NULL)
		f->older->newer = f->newer;
	else
		t->oldest = f->newer;
	f->newer = f->older = NULL;
}

static void
push_recent(struct tcp_table *t, struct flow *f)
{
	f->older = t->newest;
	f->newer = NULL;
	if (t->newest != NULL)
		t->newest->newer = f;
	else
		t->oldest = f;
	t->newest = f;
}

static void
deliver(struct tcp_table *t, struct flow *f, int dir, const uint8_t *d,
    size_t len, int64_t ts)
{
	if (len > 0 && t->cb.data != NULL)
		t->cb.data(t->arg, &f->pub, dir, d, len, ts);
}

static void
gap(struct tcp_table *t, struct flow *f, int dir, uint64_t len, int64_t ts)
{
	t->st.gaps++;
	t->st.gap_bytes += len;
	if (t->cb.gap != NULL)
		t->cb.gap(t->arg, &f->pub, dir, len, ts);
}

/* Delivers what waits and is now in order; trims what came before. */
static void
drain(struct tcp_table *t, struct flow *f, int dir, int64_t ts)
{
	struct half	*h = &f->h[dir];
	struct seg	*s;
	int32_t		 rel;

	while ((s = h->wait) != NULL && (rel = sdiff(s->seq, h->next)) <= 0) {
		h->wait = s->next;
		h->waiting -= s->len;
		t->st.waiting -= s->len;
		if ((int64_t)s->len + rel > 0) {
			t->st.overlaps += (uint64_t)-rel;
			deliver(t, f, dir, s->data - rel, s->len + rel, ts);
			h->next += (uint32_t)((int64_t)s->len + rel);
		} else
			t->st.overlaps += s->len;
		seg_free(s);
	}
	if (h->fin && !h->closed && sdiff(h->next, h->fin_seq) >= 0) {
		h->closed = 1;
		h->next = h->fin_seq + 1;
	}
}

/* Skips to the first waiting segment: the hole will not fill. */
static void
skip(struct tcp_table *t, struct flow *f, int dir, int64_t ts)
{
	struct half	*h = &f->h[dir];
	int32_t		 rel;

	if (h->wait == NULL)
		return;
	rel = sdiff(h->wait->seq, h->next);
	if (rel > 0) {
		gap(t, f, dir, (uint64_t)rel, ts);
		h->next = h->wait->seq;
	}
	drain(t, f, dir, ts);
}

static void
half_free(struct tcp_table *t, struct half *h)
{
	struct seg *s;

	while ((s = h->wait) != NULL) {
		h->wait = s->next;
		t->st.waiting -= s->len;
		seg_free(s);
	}
	h->waiting = 0;
}

/* The flow ends: what waits goes out past its holes, then close. */
static void
end_flow(struct tcp_table *t, struct flow *f, enum tcp_end why, int64_t ts)
{
	struct flow	**pp;
	int		  dir;

	for (dir = 0; dir < 2; dir++) {
		while (f->h[dir].wait != NULL)
			skip(t, f, dir, ts);
		half_free(t, &f->h[dir]);
	}
	if (why == TCP_END_EVICTED)
		t->st.evicted_flows++;
	if (t->cb.close != NULL)
		t->cb.close(t->arg, &f->pub, why, ts);
	for (pp = &t->buckets[f->hash & t->mask]; *pp != NULL;
	    pp = &(*pp)->hnext)
		if (*pp == f) {
			*pp = f->hnext;
			break;
		}
	unlink_recent(t, f);
	t->st.active--;
	if (t->last == f)
		t->last = NULL;
	if (t->nspare < SPARE_MAX) {
		f->hnext = t->spare;
		t->spare = f;
		t->nspare++;
	} else
		free(f);
}

static struct flow *
new_flow(struct tcp_table *t, const struct pkt *pk, const uint8_t key[38],
    uint64_t hash, int64_t ts)
{
	struct flow	*f;
	int		 client_is_src;

	while (t->st.active >= t->o.max_flows && t->oldest != NULL)
		end_flow(t, t->oldest, TCP_END_EVICTED, ts);
	if ((f = t->spare) != NULL) {
		t->spare = f->hnext;
		t->nspare--;
		memset(f, 0, sizeof(*f));
	} else
		f = ks_xcalloc(1, sizeof(*f));
	memcpy(f->key, key, 38);
	f->hash = hash;
	/* who opened it: the SYN says; else the side sending to the lower
	 * port (a server's), else the first seen */
	if (pk->flags & PKT_SYN) {
		client_is_src = !(pk->flags & PKT_ACK);
		f->pub.saw_syn = 1;
	} else
		client_is_src = pk->dport <= pk->sport;
	if (client_is_src) {
		f->pub.client = pk->src;
		f->pub.server = pk->dst;
		f->pub.cport = pk->sport;
		f->pub.sport = pk->dport;
	} else {
		f->pub.client = pk->dst;
		f->pub.server = pk->src;
		f->pub.cport = pk->dport;
		f->pub.sport = pk->sport;
	}
	f->hnext = t->buckets[hash & t->mask];
	t->buckets[hash & t->mask] = f;
	push_recent(t, f);
	t->st.flows++;
	t->st.active++;
	if (t->cb.open != NULL)
		t->cb.open(t->arg, &f->pub, ts);
	return f;
}

/* Keeps a copy of an out-of-order segment, in seq order. */
static void
wait_seg(struct tcp_table *t, struct flow *f, int dir, uint32_t seq,
    const uint8_t *d, size_t len)
{
	struct half	 *h = &f->h[dir];
	struct seg	**pp, *s;

	for (pp = &h->wait; *pp != NULL &&
	    sdiff((*pp)->seq, h->next) <= sdiff(seq, h->next);
	    pp = &(*pp)->next)
		;
	s = ks_xmalloc(sizeof(*s) + len);
	s->seq = seq;
	s->len = (uint32_t)len;
	memcpy(s->data, d, len);
	s->next = *pp;
	*pp = s;
	h->waiting += len;
	t->st.waiting += len;
	t->st.out_of_order++;
}

void
tcp_segment(struct tcp_table *t, const struct pkt *pk, int64_t ts)
{
	uint8_t		 key[38];
	uint64_t	 hash;
	struct flow	*f;
	struct half	*h;
	uint32_t	 seq;
	int32_t		 rel;
	size_t		 len = pk->len;
	int		 dir;

	t->st.segments++;
	flow_key(pk, key);
	if ((f = t->last) == NULL || memcmp(f->key, key, 38) != 0) {
		hash = ks_hash(key, sizeof(key));
		for (f = t->buckets[hash & t->mask]; f != NULL; f = f->hnext)
			if (f->hash == hash && memcmp(f->key, key, 38) == 0)
				break;
	}
	if (f == NULL) {
		/* a flow starts with a SYN or with data, not with an ACK */
		if ((pk->flags & PKT_RST) || (!(pk->flags & PKT_SYN) &&
		    len == 0))
			return;
		f = new_flow(t, pk, key, hash, ts);
	} else if (f != t->newest) {
		unlink_recent(t, f);
		push_recent(t, f);
	}
	f->last = ts;
	t->last = f;
	dir = addr_equal(&pk->src, &f->pub.client) &&
	    pk->sport == f->pub.cport ? 0 : 1;
	if (pk->flags & PKT_RST) {
		end_flow(t, f, TCP_END_RST, ts);
		return;
	}
	h = &f->h[dir];
	seq = pk->seq;
	if (pk->flags & PKT_SYN) {
		if (!h->started) {
			h->started = 1;
			h->next = seq + 1;
		}
		seq++;		/* data after a SYN starts one further */
	} else if (!h->started) {
		h->started = 1;	/* picked up mid-stream */
		h->next = seq;
	}
	if (pk->flags & PKT_FIN) {
		h->fin = 1;
		h->fin_seq = seq + (uint32_t)len;
	}
	if (len > 0 && !h->closed) {
		rel = sdiff(seq, h->next);
		if ((int64_t)rel + (int64_t)len <= 0) {
			t->st.retransmitted++;
			t->st.overlaps += len;
		} else if (rel <= 0) {
			t->st.overlaps += (uint64_t)-rel;
			deliver(t, f, dir, pk->payload - rel, len + rel, ts);
			h->next += (uint32_t)((int64_t)len + rel);
		} else if (len <= t->o.max_flow_bytes)
			wait_seg(t, f, dir, seq, pk->payload, len);
		else {		/* larger than a flow may hold: a hole */
			gap(t, f, dir, (uint64_t)rel, ts);
			h->next = seq;
			deliver(t, f, dir, pk->payload, len, ts);
			h->next += (uint32_t)len;
		}
	}
	drain(t, f, dir, ts);
	while (h->waiting > t->o.max_flow_bytes) {
		struct seg *s = h->wait;
		t->st.cut_bytes += (uint64_t)sdiff(s->seq, h->next);
		skip(t, f, dir, ts);
	}
	if (f->h[0].closed && f->h[1].closed) {
		end_flow(t, f, TCP_END_FIN, ts);
		return;
	}
	/* over the bytes all flows may hold: the oldest holding some goes */
	while (t->st.waiting > t->o.max_total_bytes) {
		for (f = t->oldest; f != NULL && f->h[0].waiting +
		    f->h[1].waiting == 0; f = f->newer)
			;
		if (f == NULL)
			break;
		end_flow(t, f, TCP_END_EVICTED, ts);
	}
}

void
tcp_expire(struct tcp_table *t, int64_t now)
{
	while (t->oldest != NULL && t->oldest->last < now -
	    t->o.idle_timeout)
		end_flow(t, t->oldest, TCP_END_IDLE, now);
}

void
tcp_flush(struct tcp_table *t, int64_t now)
{
	while (t->oldest != NULL)
		end_flow(t, t->oldest, TCP_END_FLUSH, now);
}

void
tcp_free(struct tcp_table *t)
{
	struct flow *f;

	if (t == NULL)
		return;
	while ((f = t->oldest) != NULL) {	/* no callbacks now */
		half_free(t, &f->h[0]);
		half_free(t, &f->h[1]);
		unlink_recent(t, f);
		free(f);
	}
	while ((f = t->spare) != NULL) {
		t->spare = f->hnext;
		free(f);
	}
	free(t->buckets);
	free(t);
}

void
tcp_stats(const struct tcp_table *t, struct tcp_stats *st)
{
	*st = t->st;
}
