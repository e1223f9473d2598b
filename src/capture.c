/* Live captures (see capture.h). */
#include "autoconfig.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <pcap/pcap.h>
#include <event2/event.h>

#include "capture.h"
#include "log.h"
#include "pkt.h"
#include "source_pcap.h"
#include "util.h"

#define READ_TIMEOUT_MS	100	/* the kernel hands packets over at least
				   this often (TPACKET_V3 blocks) */
#define DISPATCH_COUNT	256	/* packets per pcap_dispatch() */
#define DISPATCH_TURNS	64	/* pcap_dispatch() calls per wake-up */

struct capture {
	char			*name;		/* "pcap:eth0" */
	char			*interface;
	char			*filter;
	unsigned int		 snaplen;
	int			 promisc;
	size_t			 buffer_size;
	pcap_t			*pc;
	int			 link, nano;
	struct event		*ev_read;
	struct wire		*w;
	struct wire_opts	 wo;
	char			*khdr[HTTP_MAX_KEY_HEADERS];	/* owned */
	capture_fn		*fn;
	void			*arg;
	size_t			 source;
	uint32_t		 input;
	uint64_t		 seq;
	struct event		 ev;		/* handed to fn */
	/* pcap_stats() counters are 32 bits: totals kept here */
	unsigned int		 last_recv, last_drop, last_ifdrop;
	uint64_t		 received, dropped, ifdropped;
	uint64_t		 read, read_errors;
	int			 stopped;	/* a read error: retried each tick */
};

static void
on_exchange(void *arg, const struct wire_exchange *x)
{
	struct capture *c = arg;

	if (c->fn == NULL)
		return;
	pcsrc_event(x, c->input, ++c->seq, &c->ev);
	c->fn(c->arg, c->source, &c->ev);
}

static void
on_packet(u_char *arg, const struct pcap_pkthdr *h, const u_char *d)
{
	struct capture	*c = (struct capture *)arg;
	int64_t		 ts;

	ts = (int64_t)h->ts.tv_sec * KS_NSEC_PER_SEC + (int64_t)h->ts.tv_usec *
	    (c->nano ? 1 : 1000);
	c->read++;
	wire_packet(c->w, c->link, d, h->caplen, ts);
}

static void
on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct capture	*c = arg;
	int		 i, n;

	(void)fd;
	(void)what;
	for (i = 0; i < DISPATCH_TURNS; i++) {
		n = pcap_dispatch(c->pc, DISPATCH_COUNT, on_packet,
		    (u_char *)c);
		if (n == 0)
			break;
		if (n < 0) {
			/* the interface went away, or down: tried each tick */
			c->read_errors++;
			if (!c->stopped)
				log_warnx("%s: %s; reading again every second",
				    c->name, pcap_geterr(c->pc));
			c->stopped = 1;
			event_del(c->ev_read);
			return;
		}
		if (c->stopped) {
			log_info("%s: packets again", c->name);
			c->stopped = 0;
		}
	}
}

/* wire.c's options from the config, with the strings copied. */
static void
make_opts(const struct source_conf *sc, const struct config *cfg,
    struct wire_opts *o, char **khdr)
{
	size_t i;

	pcsrc_wire_opts(cfg, sc->response_timeout, o);
	for (i = 0; i < o->http.nkey_headers; i++) {
		khdr[i] = ks_xstrdup(o->http.key_headers[i]);
		o->http.key_headers[i] = khdr[i];
	}
}

static int
same_opts(const struct wire_opts *a, const struct wire_opts *b)
{
	size_t i;

	if (a->http.nkey_headers != b->http.nkey_headers ||
	    a->http.max_line != b->http.max_line ||
	    a->http.max_headers != b->http.max_headers ||
	    a->tcp.max_flows != b->tcp.max_flows ||
	    a->tcp.max_flow_bytes != b->tcp.max_flow_bytes ||
	    a->tcp.max_total_bytes != b->tcp.max_total_bytes ||
	    a->tcp.idle_timeout != b->tcp.idle_timeout ||
	    a->response_timeout != b->response_timeout ||
	    a->max_pending != b->max_pending)
		return 0;
	for (i = 0; i < a->http.nkey_headers; i++)
		if (strcasecmp(a->http.key_headers[i],
		    b->http.key_headers[i]) != 0)
			return 0;
	return 1;
}

static int
set_filter(struct capture *c, const char *filter, char *err, size_t errlen)
{
	struct bpf_program prog;

	if (pcap_compile(c->pc, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) ==
	    -1) {
		snprintf(err, errlen, "%s: filter \"%s\": %s", c->name, filter,
		    pcap_geterr(c->pc));
		return -1;
	}
	if (pcap_setfilter(c->pc, &prog) == -1) {
		snprintf(err, errlen, "%s: setting the filter: %s", c->name,
		    pcap_geterr(c->pc));
		pcap_freecode(&prog);
		return -1;
	}
	pcap_freecode(&prog);
	free(c->filter);
	c->filter = ks_xstrdup(filter);
	return 0;
}

/* pcap_activate()'s failures, said for the person who runs keysentry. */
static void
activate_error(struct capture *c, int rc, char *err, size_t errlen)
{
	const char *why = pcap_geterr(c->pc);

	switch (rc) {
	case PCAP_ERROR_PERM_DENIED:
	case PCAP_ERROR_PROMISC_PERM_DENIED:
		snprintf(err, errlen, "%s: not permitted to capture (%s): run "
		    "as root, or with the CAP_NET_RAW capability (see "
		    "contrib/systemd)", c->name, why);
		break;
	case PCAP_ERROR_NO_SUCH_DEVICE:
		snprintf(err, errlen, "%s: no such interface (%s)", c->name,
		    why);
		break;
	case PCAP_ERROR_IFACE_NOT_UP:
		snprintf(err, errlen, "%s: the interface is not up", c->name);
		break;
	default:
		snprintf(err, errlen, "%s: %s", c->name, why[0] != '\0' ? why :
		    pcap_statustostr(rc));
		break;
	}
}

struct capture *
capture_open(const struct source_conf *sc, const struct config *cfg,
    char *err, size_t errlen)
{
	struct capture	*c = ks_xcalloc(1, sizeof(*c));
	char		 perr[PCAP_ERRBUF_SIZE];
	int		 rc;

	c->name = ks_xmalloc(strlen(sc->interface) + 6);
	sprintf(c->name, "pcap:%s", sc->interface);
	c->interface = ks_xstrdup(sc->interface);
	c->snaplen = sc->snaplen;
	c->promisc = sc->promisc;
	c->buffer_size = sc->buffer_size;
	perr[0] = '\0';
	if ((c->pc = pcap_create(sc->interface, perr)) == NULL) {
		snprintf(err, errlen, "%s: %s", c->name, perr);
		goto fail;
	}
	pcap_set_snaplen(c->pc, (int)sc->snaplen);
	pcap_set_promisc(c->pc, sc->promisc);
	pcap_set_timeout(c->pc, READ_TIMEOUT_MS);
	if (sc->buffer_size > 0)
		pcap_set_buffer_size(c->pc, (int)sc->buffer_size);
	/* nanoseconds where the kernel has them; microseconds will do */
	pcap_set_tstamp_precision(c->pc, PCAP_TSTAMP_PRECISION_NANO);
	if ((rc = pcap_activate(c->pc)) < 0) {
		activate_error(c, rc, err, errlen);
		goto fail;
	}
	if (rc > 0)	/* a warning: it works, perhaps not as asked */
		log_warnx("%s: %s", c->name, pcap_geterr(c->pc)[0] != '\0' ?
		    pcap_geterr(c->pc) : pcap_statustostr(rc));
	c->nano = pcap_get_tstamp_precision(c->pc) ==
	    PCAP_TSTAMP_PRECISION_NANO;
	c->link = pcap_datalink(c->pc);
	if (!pkt_link_supported(c->link)) {
		snprintf(err, errlen, "%s: link type %d (%s) is not supported",
		    c->name, c->link, pcap_datalink_val_to_name(c->link) ?
		    pcap_datalink_val_to_name(c->link) : "?");
		goto fail;
	}
	if (set_filter(c, sc->filter, err, errlen) == -1)
		goto fail;
	if (pcap_setnonblock(c->pc, 1, perr) == -1) {
		snprintf(err, errlen, "%s: %s", c->name, perr);
		goto fail;
	}
	if (pcap_get_selectable_fd(c->pc) < 0) {
		snprintf(err, errlen, "%s: the capture has no descriptor to "
		    "wait on", c->name);
		goto fail;
	}
	make_opts(sc, cfg, &c->wo, c->khdr);
	c->w = wire_new(&c->wo, on_exchange, c);
	return c;
fail:
	capture_close(c);
	return NULL;
}

int
capture_start(struct capture *c, struct event_base *base, size_t source,
    uint32_t input, capture_fn *fn, void *arg)
{
	c->source = source;
	c->input = input;
	c->fn = fn;
	c->arg = arg;
	c->ev_read = event_new(base, pcap_get_selectable_fd(c->pc),
	    EV_READ | EV_PERSIST, on_readable, c);
	if (c->ev_read == NULL || event_add(c->ev_read, NULL) == -1)
		return -1;
	log_info("%s: capturing \"%s\" (link %s, snaplen %u%s)", c->name,
	    c->filter, pcap_datalink_val_to_name(c->link) ?
	    pcap_datalink_val_to_name(c->link) : "?", c->snaplen,
	    c->promisc ? ", promiscuous" : "");
	return 0;
}

int
capture_same_handle(const struct capture *c, const struct source_conf *sc)
{
	return strcmp(c->interface, sc->interface) == 0 &&
	    c->snaplen == sc->snaplen && c->promisc == sc->promisc &&
	    c->buffer_size == sc->buffer_size;
}

int
capture_configure(struct capture *c, const struct source_conf *sc,
    const struct config *cfg, size_t source, char *err, size_t errlen)
{
	struct wire_opts	 o;
	char			*khdr[HTTP_MAX_KEY_HEADERS];
	size_t			 i;
	int			 rc = 0;

	c->source = source;
	if (strcmp(c->filter, sc->filter) != 0) {
		if ((rc = set_filter(c, sc->filter, err, errlen)) == 0)
			log_info("%s: now capturing \"%s\"", c->name,
			    c->filter);
	}
	memset(khdr, 0, sizeof(khdr));
	make_opts(sc, cfg, &o, khdr);
	if (same_opts(&o, &c->wo)) {
		for (i = 0; i < HTTP_MAX_KEY_HEADERS; i++)
			free(khdr[i]);
		return rc;
	}
	/* key headers or limits changed: connections start over */
	log_info("%s: key headers or capture limits changed; following "
	    "connections afresh", c->name);
	wire_free(c->w);
	for (i = 0; i < HTTP_MAX_KEY_HEADERS; i++) {
		free(c->khdr[i]);
		c->khdr[i] = khdr[i];
	}
	c->wo = o;
	c->w = wire_new(&c->wo, on_exchange, c);
	return rc;
}

/* A 32-bit counter's growth since it was last read. */
static uint64_t
grew(unsigned int *last, unsigned int now)
{
	unsigned int d = now - *last;	/* wraps as the counter does */

	*last = now;
	return d;
}

void
capture_tick(struct capture *c, int64_t now)
{
	struct pcap_stat ps;

	if (c->stopped && c->ev_read != NULL)
		event_add(c->ev_read, NULL);	/* try again */
	wire_tick(c->w, now);
	memset(&ps, 0, sizeof(ps));
	if (pcap_stats(c->pc, &ps) == 0) {
		c->received += grew(&c->last_recv, ps.ps_recv);
		c->dropped += grew(&c->last_drop, ps.ps_drop);
		c->ifdropped += grew(&c->last_ifdrop, ps.ps_ifdrop);
	}
}

void
capture_stats(const struct capture *c, struct capture_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->name = c->name;
	st->interface = c->interface;
	st->received = c->received;
	st->dropped = c->dropped;
	st->ifdropped = c->ifdropped;
	st->read = c->read;
	st->read_errors = c->read_errors;
	wire_stats(c->w, &st->wire);
	st->events = st->wire.exchanges;
}

void
capture_close(struct capture *c)
{
	size_t i;

	if (c == NULL)
		return;
	if (c->ev_read != NULL)
		event_free(c->ev_read);
	c->fn = NULL;		/* requests in flight are not told */
	wire_free(c->w);
	if (c->pc != NULL)
		pcap_close(c->pc);
	for (i = 0; i < HTTP_MAX_KEY_HEADERS; i++)
		free(c->khdr[i]);
	free(c->filter);
	free(c->interface);
	free(c->name);
	free(c);
}

/* ------------------------------------------------------------------ */
/* drops to an alert                                                    */

uint64_t
dropwatch_add(struct dropwatch *dw, int64_t now, uint64_t delta,
    int64_t window, uint64_t threshold, int64_t cooldown, int64_t *first)
{
	int64_t		w = window / DROPWATCH_BUCKETS, b, oldest = 0;
	uint64_t	sum = 0;
	size_t		i;

	if (w < KS_NSEC_PER_SEC)
		w = KS_NSEC_PER_SEC;
	if (dw->width != w) {		/* the first call, or a new window */
		memset(dw->start, 0, sizeof(dw->start));
		memset(dw->n, 0, sizeof(dw->n));
		dw->width = w;
	}
	if (now < 0)
		now = 0;
	b = now / w;
	i = (size_t)(b % DROPWATCH_BUCKETS);
	if (dw->start[i] != b * w || dw->n[i] == 0) {
		dw->start[i] = b * w;
		dw->n[i] = 0;
	}
	dw->n[i] += delta;
	for (i = 0; i < DROPWATCH_BUCKETS; i++) {
		/* the ring's buckets that are still in its span */
		if (dw->n[i] == 0 || dw->start[i] <= (b - DROPWATCH_BUCKETS) * w)
			continue;
		sum += dw->n[i];
		if (oldest == 0 || dw->start[i] < oldest)
			oldest = dw->start[i];
	}
	if (sum == 0 || sum < threshold)
		return 0;
	if (dw->last_alert != 0 && now - dw->last_alert < cooldown)
		return 0;
	dw->last_alert = now;
	if (first != NULL)
		*first = oldest;
	return sum;
}
