/* Packets to HTTP exchanges (see wire.h). */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "pkt.h"
#include "util.h"
#include "wire.h"

/* A request waiting for its response. */
struct pend {
	struct wire_exchange	 x;
	int			 told;	/* timed out: told with status 0 */
};

/* What a connection carries, beside tcp.c's flow. */
struct wflow {
	struct wire		*w;
	struct tcp_flow		*tf;
	struct wflow		*prev, *next;	/* all connections */
	struct http_parser	*req, *resp;
	struct pend		*q;		/* ring, grown to max_pending */
	unsigned int		 qhead, qn, qcap;
	int64_t			 ts;		/* the packet being fed */
	int			 gap[2];	/* a gap since the last message */
};

/*
 * Connections come and go by the thousand: a closed one's parsers and
 * request ring are kept for the next (reset, what they held wiped), a
 * dozen allocations a connection fewer.
 */
#define SPARE_MAX	256

struct wire {
	struct wire_opts	 o;
	wire_fn			*fn;
	void			*arg;
	struct tcp_table	*tcp;
	struct wflow		*flows;
	struct wflow		*spare;		/* by next */
	size_t			 nspare;
	struct wire_stats	 st;
};

static void
tell(struct wire *w, const struct wire_exchange *x)
{
	w->st.exchanges++;
	if (x->status == 0)
		w->st.unanswered++;
	if (x->nkeys > 0)
		w->st.keyed++;
	if (w->fn != NULL)
		w->fn(w->arg, x);
}

/* Room for one more waiting request (most connections need one). */
static void
grow(struct wflow *wf, unsigned int max)
{
	unsigned int	 cap = wf->qcap ? wf->qcap * 2 : 2, i;
	struct pend	*q;

	if (cap > max)
		cap = max;
	q = ks_xreallocarray(NULL, cap, sizeof(*q));
	for (i = 0; i < wf->qn; i++)
		q[i] = wf->q[(wf->qhead + i) % wf->qcap];
	free(wf->q);
	wf->q = q;
	wf->qcap = cap;
	wf->qhead = 0;
}

static void
on_request(void *arg, const struct http_msg *m)
{
	struct wflow		*wf = arg;
	struct wire		*w = wf->w;
	struct wire_exchange	*x;
	struct pend		*p;

	w->st.requests++;
	if (wf->qn == w->o.max_pending) {
		/* far behind its responses: the oldest is told as is */
		p = &wf->q[wf->qhead];
		if (!p->told) {
			p->x.told = wf->ts;
			tell(w, &p->x);
		}
		wf->qhead = (wf->qhead + 1) % wf->qcap;
		wf->qn--;
		w->st.pending_dropped++;
	} else if (wf->qn == wf->qcap)
		grow(wf, w->o.max_pending);
	p = &wf->q[(wf->qhead + wf->qn) % wf->qcap];
	wf->qn++;
	p->told = 0;
	x = &p->x;
	x->client = wf->tf->client;
	x->server = wf->tf->server;
	x->cport = wf->tf->cport;
	x->sport = wf->tf->sport;
	x->ts = wf->ts;
	x->answered = x->told = 0;
	x->status = 0;
	/* the strings as long as they are (1.3 KB of arrays a request) */
	memcpy(x->method, m->method, strlen(m->method) + 1);
	memcpy(x->path, m->path, strlen(m->path) + 1);
	x->version = m->version;
	memcpy(x->fingerprint, m->fingerprint, sizeof(x->fingerprint));
	x->nkeys = m->nkeys;
	x->bearer = m->bearer;
	memcpy(x->user_agent, m->user_agent, strlen(m->user_agent) + 1);
	x->after_gap = wf->gap[0];
	wf->gap[0] = 0;
	http_parser_expect_head(wf->resp, strcmp(m->method, "HEAD") == 0);
}

static void
on_response(void *arg, const struct http_msg *m)
{
	struct wflow	*wf = arg;
	struct wire	*w = wf->w;
	struct pend	*p;

	w->st.responses++;
	if (m->status < 200 && m->status != 101)
		return;		/* interim: the final one follows */
	if (wf->qn == 0) {
		w->st.unpaired_responses++;
		return;
	}
	p = &wf->q[wf->qhead];
	wf->qhead = (wf->qhead + 1) % wf->qcap;
	wf->qn--;
	if (p->told)
		return;		/* its time was out: told already */
	p->x.status = m->status;
	p->x.answered = wf->ts;
	p->x.told = wf->ts;
	tell(w, &p->x);
}

static void
wflow_free(struct wflow *wf)
{
	http_parser_free(wf->req);
	http_parser_free(wf->resp);
	free(wf->q);
	free(wf);
}

static void
flow_open(void *arg, struct tcp_flow *tf, int64_t ts)
{
	struct wire	*w = arg;
	struct wflow	*wf;

	(void)ts;
	if ((wf = w->spare) != NULL) {
		w->spare = wf->next;
		w->nspare--;
	} else {
		wf = ks_xcalloc(1, sizeof(*wf));
		wf->w = w;
		wf->req = http_parser_new(1, &w->o.http, on_request, wf);
		wf->resp = http_parser_new(0, &w->o.http, on_response, wf);
	}
	wf->tf = tf;
	wf->prev = NULL;
	wf->next = w->flows;
	if (w->flows != NULL)
		w->flows->prev = wf;
	w->flows = wf;
	tf->user = wf;
}

static void
flow_data(void *arg, struct tcp_flow *tf, int dir, const uint8_t *d,
    size_t len, int64_t ts)
{
	struct wflow *wf = tf->user;

	(void)arg;
	wf->ts = ts;
	if (http_parser_feed(dir == 0 ? wf->req : wf->resp, d, len) == -1)
		wf->w->st.http_errors++;
}

static void
flow_gap(void *arg, struct tcp_flow *tf, int dir, uint64_t len, int64_t ts)
{
	struct wflow *wf = tf->user;

	(void)arg;
	wf->ts = ts;
	wf->gap[dir] = 1;
	http_parser_gap(dir == 0 ? wf->req : wf->resp, len);
}

static void
flow_close(void *arg, struct tcp_flow *tf, enum tcp_end why, int64_t ts)
{
	struct wire	*w = arg;
	struct wflow	*wf = tf->user;
	struct pend	*p;

	(void)why;
	wf->ts = ts;
	http_parser_eof(wf->resp);
	/* what was asked and not answered: status 0 */
	while (wf->qn > 0) {
		p = &wf->q[wf->qhead];
		if (!p->told) {
			p->x.told = ts;
			tell(w, &p->x);
		}
		wf->qhead = (wf->qhead + 1) % wf->qcap;
		wf->qn--;
	}
	if (wf->prev != NULL)
		wf->prev->next = wf->next;
	else
		w->flows = wf->next;
	if (wf->next != NULL)
		wf->next->prev = wf->prev;
	tf->user = NULL;
	if (w->nspare < SPARE_MAX) {
		http_parser_reset(wf->req);
		http_parser_reset(wf->resp);
		wf->qhead = wf->qn = 0;
		wf->gap[0] = wf->gap[1] = 0;
		wf->tf = NULL;
		wf->ts = 0;
		wf->prev = NULL;
		wf->next = w->spare;
		w->spare = wf;
		w->nspare++;
		return;
	}
	wflow_free(wf);
}

struct wire *
wire_new(const struct wire_opts *o, wire_fn *fn, void *arg)
{
	static const struct tcp_cb cb = { flow_open, flow_data, flow_gap,
	    flow_close };
	struct wire *w = ks_xcalloc(1, sizeof(*w));

	if (o != NULL)
		w->o = *o;
	if (w->o.response_timeout == 0)
		w->o.response_timeout = 30 * INT64_C(1000000000);
	if (w->o.max_pending == 0)
		w->o.max_pending = 64;
	w->fn = fn;
	w->arg = arg;
	w->tcp = tcp_new(&w->o.tcp, &cb, w);
	return w;
}

void
wire_free(struct wire *w)
{
	struct wflow *wf;

	if (w == NULL)
		return;
	w->fn = NULL;		/* nobody is told any more */
	tcp_flush(w->tcp, 0);
	tcp_free(w->tcp);
	while ((wf = w->spare) != NULL) {
		w->spare = wf->next;
		wflow_free(wf);
	}
	free(w);
}

void
wire_packet(struct wire *w, int linktype, const uint8_t *d, size_t caplen,
    int64_t ts)
{
	struct pkt pk;

	w->st.packets++;
	switch (pkt_decode(linktype, d, caplen, &pk)) {
	case PKT_TCP:
		w->st.tcp++;
		tcp_segment(w->tcp, &pk, ts);
		break;
	case PKT_OTHER:
		w->st.other++;
		break;
	case PKT_FRAGMENT:
		w->st.fragments++;
		break;
	case PKT_MALFORMED:
		w->st.malformed++;
		w->st.last_error = pk.why;
		break;
	case PKT_LINK_UNSUPPORTED:
		w->st.unsupported_link++;
		break;
	}
}

void
wire_tick(struct wire *w, int64_t now)
{
	struct wflow	*wf;
	struct pend	*p;
	unsigned int	 i;

	for (wf = w->flows; wf != NULL; wf = wf->next)
		for (i = 0; i < wf->qn; i++) {
			p = &wf->q[(wf->qhead + i) % wf->qcap];
			if (!p->told && p->x.ts < now - w->o.response_timeout) {
				p->told = 1;
				p->x.told = p->x.ts + w->o.response_timeout;
				tell(w, &p->x);
			}
		}
	tcp_expire(w->tcp, now);
}

void
wire_flush(struct wire *w, int64_t now)
{
	tcp_flush(w->tcp, now);
}

void
wire_exchange_copy(struct wire_exchange *dst, const struct wire_exchange *src)
{
	dst->client = src->client;
	dst->server = src->server;
	dst->cport = src->cport;
	dst->sport = src->sport;
	dst->ts = src->ts;
	dst->answered = src->answered;
	dst->told = src->told;
	memcpy(dst->method, src->method, strlen(src->method) + 1);
	memcpy(dst->path, src->path, strlen(src->path) + 1);
	dst->version = src->version;
	dst->status = src->status;
	memcpy(dst->fingerprint, src->fingerprint, sizeof(dst->fingerprint));
	dst->nkeys = src->nkeys;
	dst->bearer = src->bearer;
	memcpy(dst->user_agent, src->user_agent, strlen(src->user_agent) + 1);
	dst->after_gap = src->after_gap;
}

void
wire_stats(const struct wire *w, struct wire_stats *st)
{
	*st = w->st;
	tcp_stats(w->tcp, &st->tcp_st);
}
