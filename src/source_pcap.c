/* Captures as a replay input (see source_pcap.h). */
#define _GNU_SOURCE		/* fopencookie */
#include "autoconfig.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <pcap/pcap.h>
#include <zlib.h>

#include "log.h"
#include "source_pcap.h"
#include "util.h"
#include "wire.h"

#define HELD_MAX	65536	/* exchanges held to be put in order */
#define READ_BUFFER	(1 << 20)	/* bytes read from the file at once */
#define MAX_CAPLEN	262144		/* libpcap's largest snapshot length */
#define TICK_NS		INT64_C(1000000000)

struct pcsrc {
	char			*name;
	uint32_t		 index;
	pcap_t			*pc;
	char			*iobuf;		/* the FILE's buffer */
	int			 link;
	/*
	 * Classic pcap is read here, from libpcap's FILE once it has read
	 * the file header: its reader calls fread() twice a packet, which
	 * was an eighth of a replay's time.  pcapng is left to libpcap.
	 */
	int			 classic, swapped, nsec;
	uint8_t			*rbuf;		/* READ_BUFFER bytes */
	size_t			 rlen, roff;	/* rbuf[roff, rlen) unread */
	uint64_t		 rpos;		/* file offset of rbuf[roff] */
	struct wire		*w;
	int64_t			 response_timeout;
	int64_t			 now, last_tick;
	int			 eof, failed;
	uint64_t		 packets, seq, early;
	/* exchanges, a min-heap by time, until no earlier one can come */
	struct wire_exchange	**held;
	size_t			  nheld;
	struct wire_exchange	**spare;	/* freed, for reuse */
	size_t			  nspare;
};

#define SPARE_MAX	1024

static ssize_t
gz_read(void *cookie, char *buf, size_t size)
{
	int n = gzread(cookie, buf, size > INT32_MAX ? INT32_MAX :
	    (unsigned int)size);

	return n < 0 ? -1 : n;
}

static int
gz_close(void *cookie)
{
	return gzclose(cookie) == Z_OK ? 0 : -1;
}

/* The file through zlib (plain files pass as they are). */
static FILE *
gz_fopen(const char *path)
{
	static const cookie_io_functions_t io = { gz_read, NULL, NULL,
	    gz_close };
	gzFile	 gz = gzopen(path, "rb");
	FILE	*f;

	if (gz == NULL)
		return NULL;
	if ((f = fopencookie(gz, "r", io)) == NULL)
		gzclose(gz);
	return f;
}

static int
is_gzip(const char *path)
{
	uint8_t	 b[2];
	FILE	*f = fopen(path, "rb");
	int	 gz;

	if (f == NULL)
		return 0;
	gz = fread(b, 1, 2, f) == 2 && b[0] == 0x1f && b[1] == 0x8b;
	fclose(f);
	return gz;
}

/* The first four bytes, big-endian, through zlib (plain or gzip). */
static int
magic_of(const char *path, uint32_t *m)
{
	uint8_t	b[4];
	gzFile	gz;
	int	n;

	if (strcmp(path, "-") == 0 || (gz = gzopen(path, "rb")) == NULL)
		return -1;
	n = gzread(gz, b, 4);
	gzclose(gz);
	if (n != 4)
		return -1;
	*m = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 |
	    b[3];
	return 0;
}

/* pcap in either byte order, microseconds or nanoseconds */
#define MAGIC_US	0xa1b2c3d4
#define MAGIC_US_SWAP	0xd4c3b2a1
#define MAGIC_NS	0xa1b23c4d
#define MAGIC_NS_SWAP	0x4d3cb2a1
#define MAGIC_PCAPNG	0x0a0d0d0a

int
pcsrc_is_capture(const char *path)
{
	uint32_t m;

	return magic_of(path, &m) == 0 && (m == MAGIC_US ||
	    m == MAGIC_US_SWAP || m == MAGIC_NS || m == MAGIC_NS_SWAP ||
	    m == MAGIC_PCAPNG);
}

int64_t
pcsrc_event_time(const struct wire_exchange *x)
{
	return x->status == 0 && x->told > x->ts ? x->told : x->ts;
}

static int
earlier(const struct wire_exchange *a, const struct wire_exchange *b)
{
	return pcsrc_event_time(a) < pcsrc_event_time(b);
}

void
pcsrc_wire_opts(const struct config *cfg, int64_t response_timeout,
    struct wire_opts *o)
{
	size_t i, k;

	memset(o, 0, sizeof(*o));
	/* the endpoints' key headers (and any more), each once */
	for (i = 0; i < cfg->nendpoints + cfg->nextra_key_headers; i++) {
		const char *kh = i < cfg->nendpoints ?
		    cfg->endpoints[i].key_header :
		    cfg->extra_key_headers[i - cfg->nendpoints];
		if (kh == NULL || o->http.nkey_headers == HTTP_MAX_KEY_HEADERS)
			continue;
		for (k = 0; k < o->http.nkey_headers; k++)
			if (strcasecmp(o->http.key_headers[k], kh) == 0)
				break;
		if (k == o->http.nkey_headers)
			o->http.key_headers[o->http.nkey_headers++] = kh;
	}
	o->tcp.max_flows = cfg->limits.tcp_flows;
	o->tcp.max_flow_bytes = cfg->limits.tcp_flow_bytes;
	o->tcp.max_total_bytes = cfg->limits.tcp_total_bytes;
	o->response_timeout = response_timeout;
}

void
pcsrc_event(const struct wire_exchange *x, uint32_t input, uint64_t seq,
    struct event *ev)
{
	event_clear(ev);
	ev->ts = pcsrc_event_time(x);
	ev->line = seq;
	ev->input = input;
	ev->flags = EV_HAS_TIME | EV_HAS_SRC | EV_HAS_STATUS | EV_HAS_PORT;
	/* a whole request head: no fingerprint means no key was there */
	if (!x->after_gap)
		ev->flags |= EV_KEY_SEEN;
	ev->status = x->status;
	ev->src = x->client;
	ev->src_port = x->cport;
	event_set_method(ev, x->method, strlen(x->method));
	event_set_path(ev, x->path, strlen(x->path));
	ks_strlcpy(ev->key_fp, x->fingerprint, sizeof(ev->key_fp));
	event_set_string(ev, ev->user_agent, sizeof(ev->user_agent),
	    x->user_agent, strlen(x->user_agent));
}

static void
on_exchange(void *arg, const struct wire_exchange *x)
{
	struct pcsrc		*s = arg;
	struct wire_exchange	*c, *t;
	size_t			 i, p;

	if (s->nheld == HELD_MAX)
		return;		/* cannot happen: pcsrc_next() drains */
	c = s->nspare > 0 ? s->spare[--s->nspare] : ks_xmalloc(sizeof(*c));
	wire_exchange_copy(c, x);
	i = s->nheld++;
	s->held[i] = c;
	while (i > 0 && earlier(s->held[i], s->held[p = (i - 1) / 2])) {
		t = s->held[p];
		s->held[p] = s->held[i];
		s->held[i] = t;
		i = p;
	}
}

/* The earliest exchange, out of the heap (give it back with unhold()). */
static struct wire_exchange *
pop(struct pcsrc *s)
{
	struct wire_exchange	*out = s->held[0], *t;
	size_t			 i = 0, l, m;

	s->held[0] = s->held[--s->nheld];
	for (;;) {
		l = 2 * i + 1;
		m = i;
		if (l < s->nheld && earlier(s->held[l], s->held[m]))
			m = l;
		if (l + 1 < s->nheld && earlier(s->held[l + 1], s->held[m]))
			m = l + 1;
		if (m == i)
			break;
		t = s->held[m];
		s->held[m] = s->held[i];
		s->held[i] = t;
		i = m;
	}
	return out;
}

static void
unhold(struct pcsrc *s, struct wire_exchange *x)
{
	if (s->nspare < SPARE_MAX)
		s->spare[s->nspare++] = x;
	else
		free(x);
}

struct pcsrc *
pcsrc_open(const char *path, uint32_t index, const struct config *cfg,
    char *err, size_t errlen)
{
	struct pcsrc		*s;
	struct wire_opts	 o;
	char			 perr[PCAP_ERRBUF_SIZE];
	FILE			*f;
	size_t			 i;
	uint32_t		 magic;

	s = ks_xcalloc(1, sizeof(*s));
	f = is_gzip(path) ? gz_fopen(path) : fopen(path, "rb");
	if (f == NULL)
		snprintf(perr, sizeof(perr), "%s", strerror(errno));
	else {
		/*
		 * libpcap reads a header then a packet, each with fread():
		 * with stdio's 4 KiB buffer, a read() every 4 KiB.  Classic
		 * pcap is read below in large pieces, without the buffer.
		 */
		if (magic_of(path, &magic) == -1 || magic == MAGIC_PCAPNG) {
			/* glibc ignores the size without a buffer */
			s->iobuf = ks_xmalloc(READ_BUFFER);
			setvbuf(f, s->iobuf, _IOFBF, READ_BUFFER);
		}
		if ((s->pc = pcap_fopen_offline_with_tstamp_precision(f,
		    PCAP_TSTAMP_PRECISION_NANO, perr)) == NULL)
			fclose(f);
	}
	if (s->pc == NULL) {
		snprintf(err, errlen, "%s: %s", path, perr);
		free(s->iobuf);
		free(s);
		return NULL;
	}
	s->link = pcap_datalink(s->pc);
	if (s->iobuf == NULL) {
		/* the file's header is read: the records are ours */
		s->classic = 1;
		s->swapped = pcap_is_swapped(s->pc);
		s->nsec = magic == MAGIC_NS || magic == MAGIC_NS_SWAP;
		s->rbuf = ks_xmalloc(READ_BUFFER);
		s->rpos = 24;
	}
	/* as the config's (first) live capture would see it */
	s->response_timeout = 30 * TICK_NS;
	for (i = 0; i < cfg->nsources; i++)
		if (cfg->sources[i].type == SOURCE_PCAP) {
			s->response_timeout = cfg->sources[i].response_timeout;
			break;
		}
	pcsrc_wire_opts(cfg, s->response_timeout, &o);
	s->w = wire_new(&o, on_exchange, s);
	s->held = ks_xcalloc(HELD_MAX, sizeof(*s->held));
	s->spare = ks_xcalloc(SPARE_MAX, sizeof(*s->spare));
	s->name = ks_xstrdup(path);
	s->index = index;
	if (!pkt_link_supported(s->link))
		log_warnx("%s: link type %d (%s) is not read; its packets are "
		    "counted and skipped", path, s->link,
		    pcap_datalink_val_to_name(s->link) ?
		    pcap_datalink_val_to_name(s->link) : "?");
	return s;
}

/* At least need unread bytes in rbuf; 0 if the file ends first. */
static int
fill(struct pcsrc *s, size_t need)
{
	size_t	have = s->rlen - s->roff, n;

	if (have >= need)
		return 1;
	memmove(s->rbuf, s->rbuf + s->roff, have);
	s->rlen = have;
	s->roff = 0;
	while (s->rlen < need) {
		n = fread(s->rbuf + s->rlen, 1, READ_BUFFER - s->rlen,
		    pcap_file(s->pc));
		if (n == 0)
			return 0;
		s->rlen += n;
	}
	return 1;
}

static uint32_t
field(const struct pcsrc *s, const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return s->swapped ? __builtin_bswap32(v) : v;
}

/* A classic pcap record: 1, 0 at the end, -1 (said) if broken. */
static int
read_classic(struct pcsrc *s, const uint8_t **data, uint32_t *caplen,
    int64_t *ts)
{
	const uint8_t	*h;
	uint32_t	 frac;

	if (!fill(s, 16)) {
		if (ferror(pcap_file(s->pc)))
			log_warnx("%s: after packet %" PRIu64 ", at byte %"
			    PRIu64 ": %s", s->name, s->packets, s->rpos,
			    strerror(errno));
		else if (s->rlen > s->roff)
			log_warnx("%s: after packet %" PRIu64 ", at byte %"
			    PRIu64 ": the file ends within a packet header "
			    "(%zu of its 16 bytes)", s->name, s->packets,
			    s->rpos, s->rlen - s->roff);
		else
			return 0;
		return -1;
	}
	h = s->rbuf + s->roff;
	*caplen = field(s, h + 8);
	if (*caplen > MAX_CAPLEN) {
		log_warnx("%s: after packet %" PRIu64 ", at byte %" PRIu64
		    ": a packet header says %" PRIu32 " bytes were captured, "
		    "more than any capture keeps (%d): the file is damaged",
		    s->name, s->packets, s->rpos, *caplen, MAX_CAPLEN);
		return -1;
	}
	if (!fill(s, 16 + (size_t)*caplen)) {
		log_warnx("%s: after packet %" PRIu64 ", at byte %" PRIu64
		    ": the file ends within a packet (%zu of its %" PRIu32
		    " bytes)", s->name, s->packets, s->rpos + 16, s->rlen -
		    s->roff - 16, *caplen);
		return -1;
	}
	h = s->rbuf + s->roff;		/* moved by fill() */
	frac = field(s, h + 4);
	*ts = (int64_t)field(s, h) * TICK_NS + (int64_t)frac *
	    (s->nsec ? 1 : 1000);
	*data = h + 16;
	s->roff += 16 + (size_t)*caplen;
	s->rpos += 16 + (uint64_t)*caplen;
	return 1;
}

/* One more packet into wire.c; 0 at the end of the file. */
static int
read_packet(struct pcsrc *s)
{
	struct pcap_pkthdr	*h;
	const u_char		*d;
	uint32_t		 caplen;
	int			 r;

	if (s->classic) {
		if ((r = read_classic(s, &d, &caplen, &s->now)) != 1) {
			s->failed = r == -1;
			return 0;
		}
	} else if ((r = pcap_next_ex(s->pc, &h, &d)) != 1) {
		if (r == -1) {
			log_warnx("%s: after packet %" PRIu64 ": %s", s->name,
			    s->packets, pcap_geterr(s->pc));
			s->failed = 1;
		}
		return 0;
	} else {
		caplen = h->caplen;
		/* nanoseconds, as opened */
		s->now = (int64_t)h->ts.tv_sec * TICK_NS +
		    (int64_t)h->ts.tv_usec;
	}
	s->packets++;
	wire_packet(s->w, s->link, d, caplen, s->now);
	if (s->now - s->last_tick >= TICK_NS) {
		wire_tick(s->w, s->now);
		s->last_tick = s->now;
	}
	return 1;
}

int
pcsrc_next(struct pcsrc *s, struct event *ev)
{
	struct wire_exchange *x;

	for (;;) {
		/*
		 * An exchange is told at its response, or response_timeout
		 * after its request at the latest: once the capture is that
		 * far past it, no earlier one can come.
		 */
		if (s->nheld > 0 && (s->eof || s->nheld > HELD_MAX / 2 ||
		    pcsrc_event_time(s->held[0]) < s->now -
		    s->response_timeout - TICK_NS))
			break;
		if (s->eof)
			return 0;
		if (!read_packet(s)) {
			s->eof = 1;
			wire_flush(s->w, s->now);
		}
	}
	if (s->nheld > HELD_MAX / 2 && !s->eof)
		s->early++;
	x = pop(s);
	pcsrc_event(x, s->index, ++s->seq, ev);
	unhold(s, x);
	return 1;
}

int
pcsrc_failed(const struct pcsrc *s)
{
	return s->failed;
}

void
pcsrc_summary(const struct pcsrc *s, FILE *f)
{
	struct wire_stats st;

	wire_stats(s->w, &st);
	fprintf(f, "keysentry: %s: %" PRIu64 " packets read (%" PRIu64
	    " TCP, %" PRIu64 " other, %" PRIu64 " IP fragments skipped, %"
	    PRIu64 " malformed), %" PRIu64 " TCP connections, %" PRIu64
	    " exchanges (%" PRIu64 " unanswered, %" PRIu64 " presenting a "
	    "key, known by fingerprint only), %" PRIu64 " HTTP errors, %"
	    PRIu64 " gaps\n", s->name, st.packets, st.tcp, st.other,
	    st.fragments, st.malformed, st.tcp_st.flows, st.exchanges,
	    st.unanswered, st.keyed, st.http_errors, st.tcp_st.gaps);
	if (st.malformed > 0)
		fprintf(f, "keysentry: %s: last malformed packet: %s\n",
		    s->name, st.last_error);
}

void
pcsrc_close(struct pcsrc *s)
{
	if (s == NULL)
		return;
	wire_free(s->w);
	pcap_close(s->pc);		/* and its FILE */
	free(s->iobuf);
	free(s->rbuf);
	while (s->nheld > 0)
		free(s->held[--s->nheld]);
	while (s->nspare > 0)
		free(s->spare[--s->nspare]);
	free(s->spare);
	free(s->held);
	free(s->name);
	free(s);
}
