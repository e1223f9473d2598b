/* The Prometheus textfile (see stats.h). */
#include "autoconfig.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kstime.h"
#include "log.h"
#include "stats.h"
#include "util.h"

/* A label value with \, " and newlines escaped. */
static void
label(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', f);
		if (*s == '\n') {
			fputs("\\n", f);
			continue;
		}
		fputc(*s, f);
	}
}

static void
help(FILE *f, const char *name, const char *type, const char *text)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, type);
}

/* A metric without labels: its HELP, TYPE and value. */
/* One metric family with a sample per output: a uint64_t of struct sink. */
static void
per_output(FILE *f, const struct engine *e, const char *name,
    const char *type, const char *text, size_t off)
{
	size_t i;

	help(f, name, type, text);
	for (i = 0; i < e->nsinks; i++) {
		uint64_t v;
		memcpy(&v, (const char *)e->sinks[i] + off, sizeof(v));
		fprintf(f, "%s{output=\"", name);
		label(f, e->sinks[i]->conf->path);
		fprintf(f, "\"} %" PRIu64 "\n", v);
	}
}

static void
scalar(FILE *f, const char *name, const char *type, const char *text,
    uint64_t v)
{
	help(f, name, type, text);
	fprintf(f, "%s %" PRIu64 "\n", name, v);
}

static void
per_source(FILE *f, const struct follow *fl, const char *name,
    const char *type, const char *text, int which, double now)
{
	struct follow_source_stats	st;
	size_t				i;

	help(f, name, type, text);
	for (i = 0; i < follow_nsources(fl); i++) {
		double v = 0;
		follow_source_stats(fl, i, &st);
		if (st.capture)		/* no lines: keysentry_capture_* */
			continue;
		switch (which) {
		case 0: v = (double)st.st.read; break;
		case 1: v = (double)st.st.decoded; break;
		case 2: v = (double)(st.st.read - st.st.decoded); break;
		case 3: v = (double)st.lines; break;
		case 4: v = st.last_line ? now - (double)st.last_line / 1e9 :
			    -1; break;
		case 5: v = (double)st.rotations; break;
		case 6: v = (double)st.truncations; break;
		case 7: v = (double)st.files; break;
		case 8: v = (double)st.st.malformed; break;
		case 9: v = (double)st.skipped_bytes; break;
		}
		fprintf(f, "%s{source=\"", name);
		label(f, st.name);
		fprintf(f, "\"} %.17g\n", v);
	}
}

static void
per_capture(FILE *f, const struct capture_stats *cs, size_t n,
    const char *name, const char *type, const char *text, int which)
{
	size_t		i;
	uint64_t	v = 0;

	help(f, name, type, text);
	for (i = 0; i < n; i++) {
		const struct wire_stats *w = &cs[i].wire;
		switch (which) {
		case 0: v = cs[i].read; break;
		case 1: v = cs[i].received; break;
		case 2: v = cs[i].dropped; break;
		case 3: v = cs[i].ifdropped; break;
		case 4: v = w->exchanges; break;
		case 5: v = w->unanswered; break;
		case 6: v = w->keyed; break;
		case 7: v = w->malformed; break;
		case 8: v = w->fragments; break;
		case 9: v = w->http_errors; break;
		case 10: v = w->tcp_st.flows; break;
		case 11: v = w->tcp_st.active; break;
		case 12: v = w->tcp_st.gaps; break;
		case 13: v = w->tcp_st.evicted_flows; break;
		case 14: v = w->tcp_st.cut_bytes; break;
		case 15: v = w->tcp_st.waiting; break;
		case 16: v = cs[i].read_errors; break;
		}
		fprintf(f, "%s{source=\"", name);
		label(f, cs[i].name);
		fprintf(f, "\"} %" PRIu64 "\n", v);
	}
}

/* Live captures: what libpcap counted, then what wire.c made of it. */
static void
captures(FILE *f, const struct capture_stats *cs, size_t n)
{
	static const struct {
		const char *name, *type, *text;
	} m[] = {
		{ "keysentry_capture_packets_total", "counter",
		  "Packets read from the capture." },
		{ "keysentry_capture_received_total", "counter",
		  "Packets that passed the filter, as libpcap counts them." },
		{ "keysentry_capture_dropped_total", "counter",
		  "Packets the kernel dropped: the capture buffer was full." },
		{ "keysentry_capture_if_dropped_total", "counter",
		  "Packets the interface dropped (all of its traffic)." },
		{ "keysentry_capture_exchanges_total", "counter",
		  "HTTP requests seen, each an event with its response's "
		  "status." },
		{ "keysentry_capture_unanswered_total", "counter",
		  "Requests with no response (status 0)." },
		{ "keysentry_capture_keyed_total", "counter",
		  "Requests that presented a key (known by fingerprint)." },
		{ "keysentry_capture_malformed_total", "counter",
		  "Packets whose headers could not be decoded." },
		{ "keysentry_capture_fragments_total", "counter",
		  "IP fragments, counted and skipped." },
		{ "keysentry_capture_http_errors_total", "counter",
		  "Streams that were not HTTP where a message was expected." },
		{ "keysentry_capture_flows_total", "counter",
		  "TCP connections followed." },
		{ "keysentry_capture_flows", "gauge",
		  "TCP connections followed now (limits.tcp_flows)." },
		{ "keysentry_capture_gaps_total", "counter",
		  "Places where stream bytes were lost and skipped." },
		{ "keysentry_capture_flow_evictions_total", "counter",
		  "Connections ended early to stay under limits.tcp_flows "
		  "or limits.tcp_total_bytes." },
		{ "keysentry_capture_cut_bytes_total", "counter",
		  "Bytes skipped to stay under limits.tcp_flow_bytes." },
		{ "keysentry_capture_waiting_bytes", "gauge",
		  "Out-of-order bytes held now, all connections." },
		{ "keysentry_capture_read_errors_total", "counter",
		  "Reads that failed (the interface went down or away)." },
	};
	size_t i;

	for (i = 0; i < KS_ARRAY_LEN(m); i++)
		per_capture(f, cs, n, m[i].name, m[i].type, m[i].text,
		    (int)i);
}

/* A failure is logged when it starts or changes, not at every interval. */
static int last_errno;

static void
failed(const char *path)
{
	if (errno != last_errno)
		log_warn("stats file %s (reported once until it changes)",
		    path);
	last_errno = errno != 0 ? errno : -1;
}

int
stats_write(const char *path, const struct engine *e, const struct follow *fl,
    const struct stats_daemon *sd)
{
	const struct detect_rule_stats	*rst = detect_rule_stats(e->dt);
	struct detect_stats		 ds;
	struct store_stats		 ss;
	double				 now;
	char				*tmp;
	FILE				*f;
	size_t				 i;

	now = (double)kstime_now() / 1e9;
	tmp = ks_xmalloc(strlen(path) + 16);
	sprintf(tmp, "%s.tmp.%ld", path, (long)getpid());
	if ((f = fopen(tmp, "w")) == NULL) {
		failed(tmp);
		free(tmp);
		return -1;
	}
	help(f, "keysentry_build_info", "gauge", "The running version.");
	fprintf(f, "keysentry_build_info{version=\"%s\"} 1\n", PACKAGE_VERSION);
	help(f, "keysentry_start_time_seconds", "gauge",
	    "When the daemon started, seconds since the epoch.");
	fprintf(f, "keysentry_start_time_seconds %.3f\n",
	    (double)sd->started / 1e9);
	per_source(f, fl, "keysentry_lines_read_total", "counter",
	    "Lines read from the source since the start.", 0, now);
	per_source(f, fl, "keysentry_lines_decoded_total", "counter",
	    "Lines that became events.", 1, now);
	per_source(f, fl, "keysentry_lines_skipped_total", "counter",
	    "Lines that did not become events (fast path, not access "
	    "records, malformed, too long).", 2, now);
	per_source(f, fl, "keysentry_lines_malformed_total", "counter",
	    "Lines that could not be decoded.", 8, now);
	per_source(f, fl, "keysentry_source_lines_total", "counter",
	    "Lines consumed from the source, across restarts.", 3, now);
	per_source(f, fl, "keysentry_source_last_line_age_seconds", "gauge",
	    "Seconds since the source's last line (-1: none yet).", 4, now);
	per_source(f, fl, "keysentry_source_rotations_total", "counter",
	    "Files of the source that lost their name (rotated).", 5, now);
	per_source(f, fl, "keysentry_source_truncations_total", "counter",
	    "Files of the source that shrank (copytruncate).", 6, now);
	per_source(f, fl, "keysentry_source_files", "gauge",
	    "Files of the source open now.", 7, now);
	per_source(f, fl, "keysentry_source_skipped_bytes_total", "counter",
	    "Bytes not read because of max_catchup_bytes.", 9, now);
	if (sd->silent != NULL) {
		help(f, "keysentry_source_silent", "gauge",
		    "1 while the source is silent (source-silent raised).");
		for (i = 0; i < follow_nsources(fl); i++) {
			struct follow_source_stats st;
			follow_source_stats(fl, i, &st);
			fprintf(f, "keysentry_source_silent{source=\"");
			label(f, st.name);
			fprintf(f, "\"} %d\n", sd->silent[i]);
		}
	}
	if (sd->ncaptures > 0)
		captures(f, sd->captures, sd->ncaptures);
	detect_stats(e->dt, &ds);
	scalar(f, "keysentry_events_total", "counter",
	    "Events detected on.",
	    ds.events);
	scalar(f, "keysentry_events_late_total", "counter",
	    "Events older than allowed_lateness, not used.",
	    ds.late);
	help(f, "keysentry_alerts_total", "counter",
	    "Alerts raised, by rule.");
	for (i = 0; i < e->rs->nrules; i++)
		fprintf(f, "keysentry_alerts_total{rule=\"%s\"} %" PRIu64 "\n",
		    e->rs->rules[i].id, rst[i].alerts);
	help(f, "keysentry_alerts_suppressed_total", "counter",
	    "Alerts held back by a cooldown, by rule.");
	for (i = 0; i < e->rs->nrules; i++)
		fprintf(f, "keysentry_alerts_suppressed_total{rule=\"%s\"} %"
		    PRIu64 "\n", e->rs->rules[i].id, rst[i].suppressed);
	help(f, "keysentry_alerts_rollups_total", "counter",
	    "Roll-up alerts raised when a cooldown that held alerts back "
	    "ended, by rule.");
	for (i = 0; i < e->rs->nrules; i++)
		fprintf(f, "keysentry_alerts_rollups_total{rule=\"%s\"} %"
		    PRIu64 "\n", e->rs->rules[i].id, rst[i].rollups);
	scalar(f, "keysentry_alerts_rollups_dropped_total", "counter",
	    "Cooldowns that ended without their roll-up (beyond "
	    "limits.groups).",
	    ds.rollups_dropped);
	scalar(f, "keysentry_alerts_capped_total", "counter",
	    "Alerts held back by limits.alerts_per_minute.",
	    e->cap_total);
	scalar(f, "keysentry_alerts_written_total", "counter",
	    "Alerts written to the outputs.",
	    e->alerts);
	scalar(f, "keysentry_alerts_held_total", "counter",
	    "Alerts held back: raised again while re-reading after a restart.",
	    e->held + e->duplicates);
	scalar(f, "keysentry_groups", "gauge",
	    "Detector groups held.",
	    ds.groups);
	scalar(f, "keysentry_group_evictions_total", "counter",
	    "Detector groups evicted to stay under limits.groups.",
	    ds.group_evictions);
	store_stats(e->store, &ss);
	help(f, "keysentry_store_up", "gauge", "1 if the store answers.");
	fprintf(f, "keysentry_store_up{store=\"%s\"} %d\n", store_name(e->store),
	    ss.up);
	scalar(f, "keysentry_store_degraded", "gauge",
	    "1 while counting locally because the shared store is away.",
	    ss.degraded);
	scalar(f, "keysentry_store_outages_total", "counter",
	    "Times the shared store went away.",
	    ss.outages);
	scalar(f, "keysentry_store_pending", "gauge",
	    "Store operations awaiting an answer.",
	    ss.pending);
	scalar(f, "keysentry_store_reconnects_total", "counter",
	    "Connection attempts to the shared store after the first.",
	    ss.reconnects);
	scalar(f, "keysentry_store_log_entries", "gauge",
	    "Kept to send again after an outage: count windows with own "
	    "counts, recent distinct adds and claims taken.",
	    ss.journal);
	scalar(f, "keysentry_store_batches_total", "counter",
	    "Batches of operations sent to the shared store.",
	    ss.batches);
	scalar(f, "keysentry_store_scripts_total", "counter",
	    "Scripts run by the shared store (one per key a batch touches).",
	    ss.scripts);
	scalar(f, "keysentry_store_log_dropped_total", "counter",
	    "Recent operations dropped to stay under the log's bound.",
	    ss.journal_dropped);
	scalar(f, "keysentry_store_entries", "gauge",
	    "Keys in the store.",
	    ss.entries);
	scalar(f, "keysentry_store_evictions_total", "counter",
	    "Keys evicted to stay under limits.store_entries.",
	    ss.evictions);
	scalar(f, "keysentry_store_errors_total", "counter",
	    "Store operations that failed.",
	    ss.errors + ds.store_errors);
	per_output(f, e, "keysentry_output_written_total", "counter",
	    "Alerts written (exec: taken, less those given up), by output.",
	    offsetof(struct sink, written));
	per_output(f, e, "keysentry_output_failed_total", "counter",
	    "Alerts that could not be written (exec: given up after every "
	    "retry), by output.", offsetof(struct sink, failed));
	per_output(f, e, "keysentry_output_delivered_total", "counter",
	    "exec: runs that exited 0, by output.",
	    offsetof(struct sink, delivered));
	per_output(f, e, "keysentry_output_run_failures_total", "counter",
	    "exec: runs that failed (exit status, signal, timeout), by "
	    "output.", offsetof(struct sink, run_failures));
	per_output(f, e, "keysentry_output_retries_total", "counter",
	    "exec: failed runs to be tried again, by output.",
	    offsetof(struct sink, retries));
	per_output(f, e, "keysentry_output_dropped_total", "counter",
	    "Alerts dropped because the output's queue was full, by output.",
	    offsetof(struct sink, dropped));
	per_output(f, e, "keysentry_output_queued", "gauge",
	    "exec: alerts waiting for a run.",
	    offsetof(struct sink, queued));
	help(f, "keysentry_output_backlog", "gauge",
	    "Alerts the output has not taken yet: in memory and spooled.");
	for (i = 0; i < e->nsinks; i++) {
		fprintf(f, "keysentry_output_backlog{output=\"");
		label(f, e->sinks[i]->conf->path);
		fprintf(f, "\"} %" PRIu64 "\n", sink_backlog(e->sinks[i]));
	}
	per_output(f, e, "keysentry_output_backlogged_total", "counter",
	    "Alerts that went into the backlog, by output.",
	    offsetof(struct sink, backlogged));
	per_output(f, e, "keysentry_output_spilled_total", "counter",
	    "Alerts written to the spool in state_dir, by output.",
	    offsetof(struct sink, spilled));
	per_output(f, e, "keysentry_output_spool_bytes", "gauge",
	    "Bytes in the output's spool file.",
	    offsetof(struct sink, spool_bytes));
	per_output(f, e, "keysentry_output_running", "gauge",
	    "exec: runs under way.", offsetof(struct sink, running));
	help(f, "keysentry_config_reloads_total", "counter",
	    "SIGHUP reloads, by result.");
	fprintf(f, "keysentry_config_reloads_total{result=\"ok\"} %" PRIu64
	    "\n", sd->reloads_ok);
	fprintf(f, "keysentry_config_reloads_total{result=\"failed\"} %"
	    PRIu64 "\n", sd->reloads_failed);
	if (sd->resolver != NULL) {
		struct resolver_stats rs;
		resolver_stats(sd->resolver, &rs);
		scalar(f, "keysentry_dns_names", "gauge",
		    "Allowed sources named by DNS.", rs.names);
		scalar(f, "keysentry_dns_names_failing", "gauge",
		    "Names whose last resolution got no answer (they keep "
		    "their previous addresses).", rs.failing);
		scalar(f, "keysentry_dns_addresses", "gauge",
		    "Addresses the names resolve to now.", rs.addresses);
		help(f, "keysentry_dns_resolutions_total", "counter",
		    "Name resolutions, by result.");
		fprintf(f, "keysentry_dns_resolutions_total{result=\"answer\"} %"
		    PRIu64 "\n", rs.answers);
		fprintf(f, "keysentry_dns_resolutions_total{result=\"failed\"} %"
		    PRIu64 "\n", rs.failures);
		scalar(f, "keysentry_dns_changes_total", "counter",
		    "Answers that changed a name's addresses.", rs.changes);
	}
	if (fclose(f) != 0 || rename(tmp, path) == -1) {
		failed(path);
		unlink(tmp);
		free(tmp);
		return -1;
	}
	if (last_errno != 0)
		log_info("stats file %s written again", path);
	last_errno = 0;
	free(tmp);
	return 0;
}
