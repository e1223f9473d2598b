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
 */
#include "autoconfig.h"

#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <event2/event.h>

#include "daemon.h"
#include "engine.h"
#include "follow.h"
#include "kstime.h"
#include "log.h"
#include "resolve.h"
#include "state.h"
#include "stats.h"
#include "util.h"

struct daemon {
	const struct daemon_opts	*o;
	struct event_base		*base;
	struct engine			 eng;
	struct follow			*follow;
	struct state			*state;
	struct resolver			*resolver;	/* NULL: no names */
	struct event			*sig[4];
	struct event			*t_save, *t_stats, *t_silence;
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

static void
write_stats(struct daemon *dm)
{
	dm->sd.silent = dm->silent;
	dm->sd.resolver = dm->resolver;
	if (dm->eng.cfg->stats_file != NULL)
		stats_write(dm->eng.cfg->stats_file, &dm->eng, dm->follow,
		    &dm->sd);
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
	resize_sources(&dm);
	/* 5. privileges */
	if (cfg->user != NULL && drop_privileges(cfg->user,
	    state_dir(dm.state)) == -1)
		goto out;
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
