/*
 * The daemon (see daemon.h).  Signals are libevent signal events: the
 * handler only marks them, and the loop acts (reload, reopen, stop).  A
 * reload builds the new config and rules aside and swaps them in only if
 * both load; the store stays, so counters and cooldowns survive.
 *
 * Timers, none of which runs when nothing happens but the last two:
 * positions, saved within a second of being read (a one-shot timer that
 * reading arms); silence, armed for the moment the quietest source would
 * cross silence_after; statistics every stats_interval when a stats_file
 * is set; DNS rounds every resolve_interval when names are configured.
 * follow.c's poll timer runs only while a file is polled or draining.
 * With live captures, a tick every second: their timeouts and pcap_stats.
 *
 * Live captures (capture.c) are opened before privileges are dropped,
 * as files are; a reload keeps a capture whose handle can serve the new
 * source (a new filter is set on it) and opens the others, which works
 * only while the daemon still has CAP_NET_RAW.
 */
#include "autoconfig.h"

#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <event2/event.h>

#include "capture.h"
#include "daemon.h"
#include "engine.h"
#include "follow.h"
#include "kstime.h"
#include "log.h"
#include "resolve.h"
#include "state.h"
#include "stats.h"
#include "util.h"

/* A live capture, by the index of its source. */
struct dcap {
	struct capture		*c;
	size_t			 source;
	struct dropwatch	 dw;
	uint64_t		 drops_seen;
};

struct daemon {
	const struct daemon_opts	*o;
	struct event_base		*base;
	struct engine			 eng;
	struct follow			*follow;
	struct state			*state;
	struct resolver			*resolver;	/* NULL: no names */
	struct event			*sig[4];
	struct event			*t_save, *t_stats, *t_silence;
	struct event			*t_capture;	/* the tick */
	struct event			*t_keyage;	/* daily */
	struct dcap			*caps;
	size_t				 ncaps;
	struct stats_daemon		 sd;
	int64_t				*last;		/* per source, wall */
	int				*silent;	/* per source */
	size_t				 nsrc;
	int				 stopping;
};


static struct timeval
tv_of(int64_t ns)
{
	struct timeval tv;

	if (ns < 0)
		ns = 0;
	tv.tv_sec = ns / KS_NSEC_PER_SEC;
	tv.tv_usec = (ns % KS_NSEC_PER_SEC) / 1000;
	return tv;
}

/* Prints every problem of a failed load, one per line. */
static void
log_diag(struct ydiag *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		log_warnx("%s", d->msgs[i]);
	if (d->total > d->n)
		log_warnx("%zu more errors not shown", d->total - d->n);
}

static struct config *
load(const char *path, struct ruleset **rsp)
{
	struct ydiag	 d;
	struct config	*cfg;

	ydiag_init(&d, path);
	if ((cfg = config_load(path, &d)) == NULL ||
	    (*rsp = ruleset_load(cfg, &d)) == NULL) {
		log_diag(&d);
		ydiag_free(&d);
		config_free(cfg);
		return NULL;
	}
	ydiag_free(&d);
	return cfg;
}

/* The warm-up: enough event time for every rule's window and cooldown. */
static int64_t
warmup_of(const struct config *cfg, const struct ruleset *rs)
{
	int64_t	w = 0;
	size_t	i;

	if (cfg->warmup >= 0)
		return cfg->warmup;
	for (i = 0; i < rs->nrules; i++)
		if (rs->rules[i].enabled && !rs->rules[i].builtin &&
		    rs->rules[i].window + rs->rules[i].cooldown > w)
			w = rs->rules[i].window + rs->rules[i].cooldown;
	return w < 86400 * KS_NSEC_PER_SEC ? w : 86400 * KS_NSEC_PER_SEC;
}

/* ------------------------------------------------------------------ */
/* silence                                                              */

static int64_t
silence_of(const struct daemon *dm, size_t i)
{
	const struct config *cfg = dm->eng.cfg;

	if (i < cfg->nsources && cfg->sources[i].silence_after != 0)
		return cfg->sources[i].silence_after;
	return cfg->silence_after;
}

static const char *
source_name(const struct daemon *dm, size_t i)
{
	struct follow_source_stats st;

	follow_source_stats(dm->follow, i, &st);
	return st.name != NULL ? st.name : "?";
}

/* Arms the silence timer for the next source that could go silent. */
static void
arm_silence(struct daemon *dm)
{
	int64_t	now = kstime_now(), next = INT64_MAX, s;
	size_t	i;
	struct timeval tv;

	for (i = 0; i < dm->nsrc; i++) {
		s = silence_of(dm, i);
		if (s <= 0 || dm->silent[i])
			continue;
		if (dm->last[i] + s < next)
			next = dm->last[i] + s;
	}
	event_del(dm->t_silence);
	if (next == INT64_MAX)
		return;
	tv = tv_of(next - now + 1000000);
	event_add(dm->t_silence, &tv);
}

static void
on_silence(evutil_socket_t fd, short what, void *arg)
{
	struct daemon	*dm = arg;
	int64_t		 now = kstime_now(), s;
	size_t		 i;

	(void)fd;
	(void)what;
	for (i = 0; i < dm->nsrc; i++) {
		s = silence_of(dm, i);
		if (s <= 0 || dm->silent[i] || now - dm->last[i] < s)
			continue;
		dm->silent[i] = 1;
		log_warnx("%s: no line for %" PRId64 " s", source_name(dm, i),
		    (now - dm->last[i]) / KS_NSEC_PER_SEC);
		engine_raise(&dm->eng, ruleset_rule(dm->eng.rs,
		    "source-silent"), source_name(dm, i), now, dm->last[i],
		    dm->last[i]);
	}
	arm_silence(dm);
}

/* ------------------------------------------------------------------ */
/* follow hooks                                                         */

static void
hook_event(void *arg, struct event *ev, int warm)
{
	struct daemon *dm = arg;

	dm->eng.holding = warm;
	engine_event(&dm->eng, ev);
	dm->eng.holding = 0;
}

static uint32_t
hook_input(void *arg, const char *name)
{
	struct daemon *dm = arg;

	return engine_add_input(&dm->eng, name);
}

static int64_t
hook_clock(void *arg)
{
	struct daemon *dm = arg;

	return detect_clock(dm->eng.dt);
}

static void
stop(struct daemon *dm, const char *why)
{
	if (dm->stopping)
		return;
	dm->stopping = 1;
	log_info("%s: stopping", why);
	follow_stop(dm->follow);
	event_base_loopbreak(dm->base);
}

static void
hook_finished(void *arg)
{
	stop(arg, "every source is at its end");
}

static void
hook_lines(void *arg, size_t i)
{
	struct daemon	*dm = arg;
	int64_t		 now = kstime_now();
	struct timeval	 sec = { 1, 0 };

	/* positions changed: saved within a second (and at exit) */
	if (dm->t_save != NULL && !evtimer_pending(dm->t_save, NULL))
		evtimer_add(dm->t_save, &sec);

	if (i >= dm->nsrc)
		return;
	if (dm->silent[i]) {
		dm->silent[i] = 0;
		log_info("%s: lines again after %" PRId64 " s",
		    source_name(dm, i), (now - dm->last[i]) / KS_NSEC_PER_SEC);
		engine_raise(&dm->eng, ruleset_rule(dm->eng.rs,
		    "source-resumed"), source_name(dm, i), now, dm->last[i],
		    now);
		dm->last[i] = now;
		arm_silence(dm);
		return;
	}
	dm->last[i] = now;
}

/* ------------------------------------------------------------------ */
/* live captures                                                        */

static void
hook_capture(void *arg, size_t source, struct event *ev)
{
	struct daemon *dm = arg;

	engine_event(&dm->eng, ev);
	hook_lines(dm, source);
}

/* Drops since the last tick, into the capture-drops alert. */
static void
watch_drops(struct daemon *dm, struct dcap *d, int64_t now)
{
	const struct rule	*r = ruleset_rule(dm->eng.rs, "capture-drops");
	struct capture_stats	 st;
	struct alert		 al;
	uint64_t		 total, n;
	int64_t			 first = now;

	capture_stats(d->c, &st);
	total = st.dropped + st.ifdropped;
	n = total - d->drops_seen;
	d->drops_seen = total;
	if (r == NULL || !r->enabled)
		return;
	if ((n = dropwatch_add(&d->dw, now, n, r->window, r->threshold,
	    r->cooldown, &first)) == 0)
		return;
	log_warnx("%s: %" PRIu64 " packets dropped within %" PRId64 " s (%"
	    PRIu64 " by the kernel, %" PRIu64 " by the interface since the "
	    "start)", st.name, n, r->window / KS_NSEC_PER_SEC, st.dropped,
	    st.ifdropped);
	memset(&al, 0, sizeof(al));
	al.rule = r;
	al.interface = st.interface;
	al.ts = now;
	al.count = n;
	al.first_seen = first;
	al.last_seen = now;
	engine_raise_alert(&dm->eng, &al);
}

static void
on_capture_tick(evutil_socket_t fd, short what, void *arg)
{
	struct daemon	*dm = arg;
	int64_t		 now = kstime_now();
	size_t		 i;

	(void)fd;
	(void)what;
	for (i = 0; i < dm->ncaps; i++) {
		capture_tick(dm->caps[i].c, now);
		watch_drops(dm, &dm->caps[i], now);
	}
}

/*
 * Opens the config's captures (all of them, or fail, when starting).  At
 * a reload a capture whose handle can serve a source is kept, with the
 * source's filter; one that cannot is opened anew, which needs the
 * privileges of the start.
 */
static int
configure_captures(struct daemon *dm, const struct config *cfg, int starting)
{
	struct dcap		*old = dm->caps, *caps = NULL, *d;
	struct capture		*c;
	struct capture_stats	 st;
	size_t			 nold = dm->ncaps, n = 0, i, j;
	struct timeval		 sec = { 1, 0 };
	char			 err[1024];
	int			 rc = 0;

	for (i = 0; i < cfg->nsources && rc == 0; i++) {
		const struct source_conf *sc = &cfg->sources[i];
		if (sc->type != SOURCE_PCAP)
			continue;
		for (j = 0; j < nold; j++)
			if (old[j].c != NULL &&
			    capture_same_handle(old[j].c, sc))
				break;
		caps = ks_xreallocarray(caps, n + 1, sizeof(*caps));
		d = &caps[n];
		if (j < nold) {
			*d = old[j];
			old[j].c = NULL;
			d->source = i;
			if (capture_configure(d->c, sc, cfg, i, err,
			    sizeof(err)) == -1)
				log_warnx("%s; the previous filter stays", err);
			n++;
			continue;
		}
		if ((c = capture_open(sc, cfg, err, sizeof(err))) == NULL) {
			if (starting)
				rc = -1;
			log_warnx("%s%s", err, starting ? "" : "; it is not "
			    "read until a restart");
			continue;
		}
		capture_stats(c, &st);
		if (capture_start(c, dm->base, i, engine_add_input(&dm->eng,
		    st.name), hook_capture, dm) == -1) {
			log_warnx("%s: cannot wait on the capture", st.name);
			capture_close(c);
			rc = starting ? -1 : 0;
			continue;
		}
		memset(d, 0, sizeof(*d));
		d->c = c;
		d->source = i;
		n++;
	}
	for (j = 0; j < nold; j++) {
		if (old[j].c == NULL)
			continue;
		capture_stats(old[j].c, &st);
		log_info("%s: no longer configured; closing it", st.name);
		capture_close(old[j].c);
	}
	free(old);
	dm->caps = caps;
	dm->ncaps = n;
	if (dm->t_capture == NULL)
		dm->t_capture = event_new(dm->base, -1, EV_PERSIST,
		    on_capture_tick, dm);
	if (n > 0 && !evtimer_pending(dm->t_capture, NULL))
		event_add(dm->t_capture, &sec);
	else if (n == 0)
		event_del(dm->t_capture);
	return rc;
}

static void
close_captures(struct daemon *dm)
{
	struct capture_stats	st;
	size_t			i;

	for (i = 0; i < dm->ncaps; i++) {
		capture_stats(dm->caps[i].c, &st);
		log_info("%s: %" PRIu64 " packets read, %" PRIu64 " dropped by "
		    "the kernel, %" PRIu64 " by the interface; %" PRIu64
		    " TCP connections, %" PRIu64 " exchanges (%" PRIu64
		    " unanswered, %" PRIu64 " presenting a key), %" PRIu64
		    " HTTP errors, %" PRIu64 " gaps", st.name, st.read,
		    st.dropped, st.ifdropped, st.wire.tcp_st.flows,
		    st.wire.exchanges, st.wire.unanswered, st.wire.keyed,
		    st.wire.http_errors, st.wire.tcp_st.gaps);
		capture_close(dm->caps[i].c);
	}
	free(dm->caps);
	dm->caps = NULL;
	dm->ncaps = 0;
}

/*
 * Without root, CAP_NET_RAW (systemd's AmbientCapabilities) was needed
 * only to open the captures: every capability goes now.
 */
static void
drop_capabilities(void)
{
	struct __user_cap_header_struct	h;
	struct __user_cap_data_struct	d[_LINUX_CAPABILITY_U32S_3];
	size_t				i;
	int				any = 0;

	memset(&h, 0, sizeof(h));
	memset(d, 0, sizeof(d));
	h.version = _LINUX_CAPABILITY_VERSION_3;
	if (syscall(SYS_capget, &h, d) == -1)
		return;
	for (i = 0; i < KS_ARRAY_LEN(d); i++)
		any |= d[i].permitted != 0;
	if (!any)
		return;
	memset(d, 0, sizeof(d));
	if (syscall(SYS_capset, &h, d) == -1)
		log_warn("dropping capabilities");
	else
		log_info("capabilities dropped");
}

/* Alerts: at most once, even after a restart re-reads a little. */
static int
gate_alert(void *arg, const char *id)
{
	struct daemon *dm = arg;

	return !state_alert_seen(dm->state, id);
}

static void
gate_written(void *arg, const char *id)
{
	struct daemon *dm = arg;

	state_alert_add(dm->state, id);
}

/* ------------------------------------------------------------------ */
/* timers and signals                                                   */

static void
on_save(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *dm = arg;

	(void)fd;
	(void)what;
	if (follow_dirty(dm->follow))
		follow_save(dm->follow);
}

/* key-age: at start, then once a day, on the wall clock. */
static void
on_keyage(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *dm = arg;

	(void)fd;
	(void)what;
	engine_key_age(&dm->eng, kstime_now());
}

static void
write_stats(struct daemon *dm)
{
	struct capture_stats	*cs;
	size_t			 i;

	if (dm->eng.cfg->stats_file == NULL)
		return;
	cs = ks_xcalloc(dm->ncaps + 1, sizeof(*cs));
	for (i = 0; i < dm->ncaps; i++)
		capture_stats(dm->caps[i].c, &cs[i]);
	dm->sd.silent = dm->silent;
	dm->sd.resolver = dm->resolver;
	dm->sd.captures = cs;
	dm->sd.ncaptures = dm->ncaps;
	stats_write(dm->eng.cfg->stats_file, &dm->eng, dm->follow, &dm->sd);
	dm->sd.captures = NULL;
	free(cs);
}

static void
on_stats(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	write_stats(arg);
}

static void
arm_stats(struct daemon *dm)
{
	struct timeval tv = tv_of(dm->eng.cfg->stats_interval);

	event_del(dm->t_stats);
	if (dm->eng.cfg->stats_file != NULL)
		event_add(dm->t_stats, &tv);
}

/* Sources may have changed: the silence bookkeeping follows them. */
static void
resize_sources(struct daemon *dm)
{
	size_t	n = follow_nsources(dm->follow), i;
	int64_t	now = kstime_now();

	dm->last = ks_xreallocarray(dm->last, n + 1, sizeof(*dm->last));
	dm->silent = ks_xreallocarray(dm->silent, n + 1, sizeof(*dm->silent));
	for (i = dm->nsrc; i < n; i++) {
		dm->last[i] = now;
		dm->silent[i] = 0;
	}
	dm->nsrc = n;
	arm_silence(dm);
}

static void
reload(struct daemon *dm)
{
	struct config	*cfg, *old = dm->eng.cfg;
	struct ruleset	*rs;
	char		 err[1024];
	size_t		 i;
	int		 dns_changed;

	log_info("reloading %s", dm->o->config);
	if ((cfg = load(dm->o->config, &rs)) == NULL) {
		dm->sd.reloads_failed++;
		log_warnx("reload failed; still running on the previous "
		    "config and rules");
		return;
	}
	if (strcmp(cfg->store, old->store) != 0 ||
	    cfg->limits.store_entries != old->limits.store_entries)
		log_warnx("store settings changed: they take effect at the "
		    "next restart");
	if ((cfg->user == NULL) != (old->user == NULL) ||
	    (cfg->user && strcmp(cfg->user, old->user) != 0) ||
	    strcmp(cfg->state_dir, old->state_dir) != 0)
		log_warnx("user and state_dir changes take effect at the "
		    "next restart");
	dns_changed = old->resolve_interval != cfg->resolve_interval ||
	    old->ndns_servers != cfg->ndns_servers;
	for (i = 0; !dns_changed && i < cfg->ndns_servers; i++)
		dns_changed = strcmp(old->dns_servers[i],
		    cfg->dns_servers[i]) != 0;
	if (engine_reload(&dm->eng, cfg, rs, err, sizeof(err)) == -1) {
		log_warnx("reload failed: %s; still running on the previous "
		    "config and rules", err);
		ruleset_free(rs);
		config_free(cfg);
		dm->sd.reloads_failed++;
		return;
	}
	cfg = dm->eng.cfg;
	if (dm->resolver != NULL) {
		resolver_use(dm->resolver, cfg);
		if (dns_changed)
			log_warnx("resolve_interval and dns_servers changes take "
			    "effect at the next restart");
	} else if (resolver_count(cfg) > 0) {
		/* names for the first time: asked at once, not waited for */
		dm->resolver = resolver_new(dm->base, cfg,
		    cfg->resolve_interval, err, sizeof(err));
		if (dm->resolver == NULL)
			log_warnx("%s; allowed sources named by DNS allow "
			    "nothing", err);
	}
	log_to_syslog(cfg->log_syslog);
	log_set_level((enum log_level)cfg->log_level);
	follow_configure(dm->follow, cfg, dm->eng.rs, cfg->limits.max_line,
	    err, sizeof(err));
	configure_captures(dm, cfg, 0);
	resize_sources(dm);
	arm_stats(dm);
	dm->sd.reloads_ok++;
	dm->sd.last_reload_ok = kstime_now();
	log_info("reloaded: %zu rules, %zu sources", dm->eng.rs->nrules,
	    cfg->nsources);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *dm = arg;

	(void)what;
	if (dm->follow == NULL) {	/* still starting (DNS) */
		if (sig == SIGTERM || sig == SIGINT) {
			log_info("%s while starting: stopping",
			    sig == SIGTERM ? "SIGTERM" : "SIGINT");
			dm->stopping = 1;
			event_base_loopbreak(dm->base);
		} else
			log_info("signal %d ignored while starting", (int)sig);
		return;
	}
	switch (sig) {
	case SIGHUP:
		reload(dm);
		break;
	case SIGUSR1:
		log_info("reopening outputs");
		engine_reopen(&dm->eng);
		break;
	default:
		stop(dm, sig == SIGTERM ? "SIGTERM" : "SIGINT");
		break;
	}
}

/* ------------------------------------------------------------------ */
/* start-up                                                             */

/* Gives the state directory to the user we are about to become. */
static int
chown_state(const char *dir, uid_t uid, gid_t gid)
{
	static const char	*files[] = { "positions.json", "alerts.ledger" };
	char			 path[4096];
	size_t			 i;

	if (chown(dir, uid, gid) == -1)
		return -1;
	for (i = 0; i < KS_ARRAY_LEN(files); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		if (chown(path, uid, gid) == -1 && errno != ENOENT)
			return -1;
	}
	return 0;
}

/*
 * Becomes user (with its supplementary groups, so that membership of a
 * group such as adm keeps rotated logs readable).  Sources, outputs and
 * state are open by now.
 */
static int
drop_privileges(const char *user, const char *statedir)
{
	struct passwd	*pw;
	uid_t		 r, e, s;

	if ((pw = getpwnam(user)) == NULL) {
		log_warnx("user %s: no such user", user);
		return -1;
	}
	if (geteuid() != 0) {
		if (geteuid() == pw->pw_uid)
			return 0;
		log_warnx("user %s: only root can become another user", user);
		return -1;
	}
	if (chown_state(statedir, pw->pw_uid, pw->pw_gid) == -1) {
		log_warn("state_dir %s: giving it to %s", statedir, user);
		return -1;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) == -1 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1) {
		log_warn("dropping privileges to %s", user);
		return -1;
	}
	if (getresuid(&r, &e, &s) == -1 || r != pw->pw_uid ||
	    e != pw->pw_uid || s != pw->pw_uid || setuid(0) != -1) {
		log_warnx("dropping privileges to %s did not hold", user);
		return -1;
	}
	log_info("running as %s", user);
	return 0;
}

/* The statistics are written by rename, so their directory must be ours. */
static int
dir_writable(const char *path)
{
	char	*dir = ks_xstrdup(path), *slash = strrchr(dir, '/');
	int	 ok;

	if (slash == dir)
		slash[1] = '\0';
	else if (slash != NULL)
		*slash = '\0';
	ok = access(slash != NULL ? dir : ".", W_OK | X_OK) == 0;
	free(dir);
	return ok;
}

static void
summary(struct daemon *dm)
{
	struct follow_source_stats	 st;
	struct detect_stats		 ds;
	size_t				 i;

	for (i = 0; i < follow_nsources(dm->follow); i++) {
		follow_source_stats(dm->follow, i, &st);
		if (st.capture)		/* close_captures() says its own */
			continue;
		log_info("%s: %" PRIu64 " lines read, %" PRIu64 " decoded, %"
		    PRIu64 " skipped (%" PRIu64 " filtered, %" PRIu64
		    " malformed); %" PRIu64 " lines consumed in all; %" PRIu64
		    " rotations, %" PRIu64 " truncations", st.name, st.st.read,
		    st.st.decoded, st.st.read - st.st.decoded, st.st.filtered,
		    st.st.malformed, st.lines, st.rotations, st.truncations);
	}
	detect_stats(dm->eng.dt, &ds);
	log_info("%" PRIu64 " events, %" PRIu64 " late, %" PRIu64
	    " alerts written, %" PRIu64 " held back after the restart",
	    ds.events, ds.late, dm->eng.alerts, dm->eng.held +
	    dm->eng.duplicates);
}

int
daemon_run(const struct daemon_opts *o)
{
	struct daemon		 dm;
	struct config		*cfg;
	struct ruleset		*rs;
	struct follow_opts	 fo;
	struct follow_hooks	 fh = { hook_event, hook_input, hook_clock,
				    hook_finished, hook_lines };
	struct engine_gate	 gate;
	struct timeval		 sec = { 1, 0 };
	char			 err[1024];
	static const int	 sigs[4] = { SIGHUP, SIGUSR1, SIGTERM, SIGINT };
	int			 i, rc = 1;

	memset(&dm, 0, sizeof(dm));
	dm.o = o;
	/* 1. config and rules */
	if ((cfg = load(o->config, &rs)) == NULL)
		return 1;
	if (cfg->nsources == 0) {
		log_warnx("%s: no sources to follow", o->config);
		ruleset_free(rs);
		config_free(cfg);
		return 1;
	}
	log_set_level((enum log_level)cfg->log_level);
	log_to_syslog(cfg->log_syslog);
	signal(SIGPIPE, SIG_IGN);
	if ((dm.base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	/* signals are the loop's from here on (start-up waits on DNS) */
	for (i = 0; i < 4; i++) {
		dm.sig[i] = evsignal_new(dm.base, sigs[i], on_signal, &dm);
		event_add(dm.sig[i], NULL);
	}
	/* 2. state */
	if ((dm.state = state_open(cfg->state_dir, err, sizeof(err))) == NULL) {
		log_warnx("%s", err);
		ruleset_free(rs);
		config_free(cfg);
		goto out;
	}
	/* 3. store and outputs */
	if (engine_init_base(&dm.eng, cfg, rs, NULL, dm.base, err,
	    sizeof(err)) == -1) {
		log_warnx("%s", err);
		goto out;
	}
	/* 3b. allowed sources named by DNS, resolved before any line is read */
	if (resolver_count(cfg) > 0) {
		dm.resolver = resolver_new(dm.base, dm.eng.cfg,
		    cfg->resolve_interval, err, sizeof(err));
		if (dm.resolver == NULL) {
			log_warnx("%s", err);
			goto out;
		}
		if (resolver_wait(dm.resolver, RESOLVE_FIRST_WAIT) > 0 &&
		    !dm.stopping)
			log_warnx("some allowed sources named by DNS have no "
			    "answer yet; reading the sources meanwhile");
		if (dm.stopping) {	/* SIGTERM while waiting: nothing read */
			rc = 0;
			goto out;
		}
	}
	gate.gate = gate_alert;
	gate.written = gate_written;
	gate.arg = &dm;
	dm.eng.gate = gate;
	/* 4. sources */
	fo.from_start = o->from_start;
	fo.rotate_wait = cfg->rotate_wait;
	fo.poll_interval = cfg->poll_interval;
	fo.max_catchup = cfg->max_catchup;
	fo.warmup = warmup_of(cfg, dm.eng.rs);
	dm.follow = follow_new(dm.base, dm.state, &fo, &fh, &dm);
	dm.t_silence = evtimer_new(dm.base, on_silence, &dm);
	dm.sd.started = kstime_now();
	if (follow_configure(dm.follow, cfg, dm.eng.rs, cfg->limits.max_line,
	    err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		goto out;
	}
	if (configure_captures(&dm, dm.eng.cfg, 1) == -1)
		goto out;
	resize_sources(&dm);
	/* 5. privileges */
	if (cfg->user != NULL && drop_privileges(cfg->user,
	    state_dir(dm.state)) == -1)
		goto out;
	if (geteuid() != 0)
		drop_capabilities();
	if (cfg->stats_file != NULL && !dir_writable(cfg->stats_file)) {
		log_warn("stats_file %s: its directory is not writable%s%s",
		    cfg->stats_file, cfg->user ? " by user " : "",
		    cfg->user ? cfg->user : "");
		goto out;
	}
	/* 6. the loop */
	dm.t_save = evtimer_new(dm.base, on_save, &dm);
	event_add(dm.t_save, &sec);	/* the first save; then when read */
	dm.t_stats = event_new(dm.base, -1, EV_PERSIST, on_stats, &dm);
	arm_stats(&dm);
	{
		struct timeval day = { 86400, 0 };
		dm.t_keyage = event_new(dm.base, -1, EV_PERSIST, on_keyage,
		    &dm);
		event_add(dm.t_keyage, &day);
		engine_key_age(&dm.eng, kstime_now());
	}
	log_info("following %zu sources with %zu rules (warm-up after a "
	    "restart: %" PRId64 " s of events)", cfg->nsources,
	    dm.eng.rs->nrules, fo.warmup / KS_NSEC_PER_SEC);
	write_stats(&dm);
	event_base_dispatch(dm.base);
	/* 7. stop: flush, save, report */
	engine_drain(&dm.eng);
	engine_flush(&dm.eng);
	follow_save(dm.follow);
	write_stats(&dm);
	summary(&dm);
	close_captures(&dm);
	resolver_free(dm.resolver);
	dm.resolver = NULL;
	rc = 0;
out:
	for (i = 0; i < 4; i++)
		if (dm.sig[i] != NULL)
			event_free(dm.sig[i]);
	if (dm.t_save != NULL)
		event_free(dm.t_save);
	if (dm.t_stats != NULL)
		event_free(dm.t_stats);
	if (dm.t_silence != NULL)
		event_free(dm.t_silence);
	close_captures(&dm);
	if (dm.t_capture != NULL)
		event_free(dm.t_capture);
	if (dm.t_keyage != NULL)
		event_free(dm.t_keyage);
	resolver_free(dm.resolver);
	follow_free(dm.follow);
	if (dm.eng.cfg != NULL)
		engine_fini(&dm.eng);
	state_close(dm.state);
	free(dm.last);
	free(dm.silent);
	if (dm.base != NULL)
		event_base_free(dm.base);
	return rc;
}
