/*
 * Replay (see replay.h).  A binary heap holds, per input, its next event;
 * the earliest is fed to the engine, ties broken by input order and then
 * by record order, so a replay is deterministic.
 */
#include "autoconfig.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kstime.h"
#include "log.h"
#include "replay.h"
#include "store.h"
#include "source.h"
#include "source_pcap.h"
#include "util.h"

struct slot {
	struct input	*in;		/* a log, or */
	struct pcsrc	*pc;		/* a capture */
	struct event	 ev;		/* its next event */
};

static int
slot_next(struct engine *e, struct slot *s)
{
	if (s->pc != NULL)
		return pcsrc_next(s->pc, &s->ev);
	return input_next(s->in, e->rs, e->cfg, &s->ev);
}

struct heap {
	struct slot	**s;
	size_t		  n;
};

static int
earlier(const struct slot *a, const struct slot *b)
{
	if (a->ev.ts != b->ev.ts)
		return a->ev.ts < b->ev.ts;
	if (a->ev.input != b->ev.input)
		return a->ev.input < b->ev.input;
	return a->ev.line < b->ev.line;
}

static void
heap_down(struct heap *h, size_t i)
{
	size_t		 l, r, m;
	struct slot	*t;

	for (;;) {
		l = 2 * i + 1;
		r = l + 1;
		m = i;
		if (l < h->n && earlier(h->s[l], h->s[m]))
			m = l;
		if (r < h->n && earlier(h->s[r], h->s[m]))
			m = r;
		if (m == i)
			return;
		t = h->s[i];
		h->s[i] = h->s[m];
		h->s[m] = t;
		i = m;
	}
}

static void
heap_up(struct heap *h, size_t i)
{
	struct slot *t;

	while (i > 0 && earlier(h->s[i], h->s[(i - 1) / 2])) {
		t = h->s[i];
		h->s[i] = h->s[(i - 1) / 2];
		h->s[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

static const char *
base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

const struct decoder_opts *
replay_decoder_opts(const struct config *cfg, const char *path)
{
	const char	*b = base_name(path), *sb;
	size_t		 i, best = 0, len;
	const struct decoder_opts *found = NULL;

	/* access.log.2.gz belongs to the source reading access.log */
	for (i = 0; i < cfg->nsources; i++) {
		if (cfg->sources[i].path == NULL)
			continue;
		sb = base_name(cfg->sources[i].path);
		len = strlen(sb);
		if (len > best && strncmp(b, sb, len) == 0 &&
		    (b[len] == '\0' || b[len] == '.' || b[len] == '-')) {
			best = len;
			found = &cfg->sources[i].dopts;
		}
	}
	return found;
}

static double
now_seconds(void)
{
	return (double)kstime_monotonic() / 1e9;
}

static void
show_progress(struct slot *slots, size_t n, uint64_t events, uint64_t alerts)
{
	uint64_t	done = 0, total = 0, d, t;
	size_t		i;

	for (i = 0; i < n; i++) {
		if (slots[i].in == NULL)
			continue;
		input_progress(slots[i].in, &d, &t);
		done += d;
		total += t;
	}
	if (total > 0)
		fprintf(stderr, "\rkeysentry: replay: %5.1f%%, %" PRIu64
		    " events, %" PRIu64 " alerts ", 100.0 * (double)done /
		    (double)total, events, alerts);
	else
		fprintf(stderr, "\rkeysentry: replay: %" PRIu64 " events, %"
		    PRIu64 " alerts ", events, alerts);
}

/* This process's peak resident memory in KiB (VmHWM), or 0. */
static unsigned long
peak_rss_kib(void)
{
	FILE		*f = fopen("/proc/self/status", "r");
	char		 line[256];
	unsigned long	 kib = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmHWM: %lu kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

static void
summary(struct engine *e, struct slot *slots, size_t n, double secs)
{
	const struct detect_rule_stats	*rst = detect_rule_stats(e->dt);
	struct detect_stats		 ds;
	struct store_stats		 ss;
	const struct input_stats	*st;
	uint64_t			 records = 0;
	size_t				 i;

	for (i = 0; i < n; i++) {
		if (slots[i].pc != NULL) {
			pcsrc_summary(slots[i].pc, stderr);
			continue;
		}
		st = input_stats(slots[i].in);
		records += st->read;
		fprintf(stderr, "keysentry: %s: %" PRIu64 " lines read, %"
		    PRIu64 " decoded, %" PRIu64 " skipped (%" PRIu64
		    " filtered by the fast path, %" PRIu64 " not access "
		    "records, %" PRIu64 " malformed, %" PRIu64 " too long, %"
		    PRIu64 " without a time)\n", input_name(slots[i].in),
		    st->read, st->decoded, st->read - st->decoded,
		    st->filtered, st->ignored, st->malformed, st->too_long,
		    st->no_time);
	}
	detect_stats(e->dt, &ds);
	fprintf(stderr, "keysentry: replay: %" PRIu64 " lines in %.2f s, %"
	    PRIu64 " events, %" PRIu64 " late, %" PRIu64 " alerts, %" PRIu64
	    " suppressed in cooldown, peak memory %.1f MiB\n", records, secs,
	    ds.events, ds.late, ds.alerts, ds.suppressed,
	    (double)peak_rss_kib() / 1024);
	for (i = 0; i < e->rs->nrules; i++) {
		if (rst[i].matched == 0)
			continue;
		fprintf(stderr, "keysentry:   %-28s %8" PRIu64 " matched %6"
		    PRIu64 " alerts %6" PRIu64 " suppressed\n",
		    e->rs->rules[i].id, rst[i].matched, rst[i].alerts,
		    rst[i].suppressed);
	}
	store_stats(e->store, &ss);
	if (ss.batches > 0)
		fprintf(stderr, "keysentry: store: %" PRIu64 " operations in %"
		    PRIu64 " batches, %" PRIu64 " scripts, %" PRIu64
		    " errors, %" PRIu64 " outages\n", ss.ops, ss.batches,
		    ss.scripts, ss.errors, ss.outages);
	if (ds.group_evictions > 0)
		fprintf(stderr, "keysentry: replay: %" PRIu64 " detector "
		    "groups evicted (limits.groups is %zu)\n",
		    ds.group_evictions, e->cfg->limits.groups);
}

/* A slot's first event, and the slot into the merge. */
static void
start(struct engine *e, struct heap *h, struct slot *s)
{
	if (slot_next(e, s)) {
		h->s[h->n++] = s;
		heap_up(h, h->n - 1);
	}
}

int
replay_run(struct engine *e, char *const *paths, int npaths,
    const struct replay_opts *ro)
{
	struct slot			*slots;
	struct heap			 h;
	struct decoder_opts		 dopts;
	const struct decoder_opts	*found;
	struct decoder			*dec;
	char				 err[1024];
	size_t				 n = 0, i;
	int				 rc = 0;
	uint64_t			 events = 0;
	double				 t0 = now_seconds(), last = t0, t;

	slots = ks_xcalloc((size_t)npaths, sizeof(*slots));
	h.s = ks_xcalloc((size_t)npaths, sizeof(*h.s));
	h.n = 0;
	for (i = 0; i < (size_t)npaths; i++) {
		if (pcsrc_is_capture(paths[i])) {
			slots[n].pc = pcsrc_open(paths[i],
			    engine_add_input(e, paths[i]), e->cfg, err,
			    sizeof(err));
			if (slots[n].pc == NULL) {
				log_warnx("%s", err);
				rc = 2;
				continue;
			}
			start(e, &h, &slots[n++]);
			continue;
		}
		memset(&dopts, 0, sizeof(dopts));
		dopts.format = "auto";
		if ((found = replay_decoder_opts(e->cfg, paths[i])) != NULL)
			dopts = *found;
		if (ro->format != NULL)
			dopts.format = ro->format;
		if ((dec = decoder_new(&dopts, err, sizeof(err))) == NULL) {
			log_warnx("%s: %s", paths[i], err);
			rc = 2;
			continue;
		}
		slots[n].in = input_open_file(paths[i],
		    engine_add_input(e, paths[i]), dec, e->cfg->limits.max_line,
		    err, sizeof(err));
		if (slots[n].in == NULL) {
			log_warnx("%s", err);
			rc = 2;
			continue;
		}
		start(e, &h, &slots[n++]);
	}
	while (h.n > 0) {
		struct slot *s = h.s[0];
		engine_event(e, &s->ev);
		events++;
		/*
		 * A network store: a bounded pipeline of operations (the
		 * store bounds its own batches; this is a safety net), and
		 * a look at its connection now and then (reconnecting).
		 */
		if ((events & 63) == 0 && store_pending(e->store) > 65536)
			store_wait(e->store, 16384);
		else if ((events & 4095) == 0)
			store_wait(e->store, SIZE_MAX);
		if (slot_next(e, s) == 0) {
			h.s[0] = h.s[--h.n];
		}
		heap_down(&h, 0);
		if (ro->progress && (events & 0xfff) == 0 &&
		    (t = now_seconds()) - last > 0.5) {
			show_progress(slots, n, events, e->alerts);
			last = t;
		}
	}
	engine_drain(e);
	engine_flush(e);
	if (ro->progress)
		fprintf(stderr, "\r%60s\r", "");
	for (i = 0; i < n; i++)
		if (slots[i].pc != NULL ? pcsrc_failed(slots[i].pc) :
		    input_failed(slots[i].in))
			rc = 2;
	if (!ro->quiet)
		summary(e, slots, n, now_seconds() - t0);
	for (i = 0; i < n; i++) {
		if (slots[i].pc != NULL)
			pcsrc_close(slots[i].pc);
		else
			input_close(slots[i].in);
	}
	free(slots);
	free(h.s);
	return rc;
}
