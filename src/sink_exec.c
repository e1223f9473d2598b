/*
 * The exec sink: a program run for every alert (a response playbook such
 * as contrib/leak-response/leak-response.sh, a pager, a ticket).
 *
 *   - argv from the config, never a shell; the alert's JSON on stdin and
 *     KEYSENTRY_RULE, _SEVERITY, _SOURCE_IP, _ENDPOINT, _FINGERPRINT in
 *     the environment (empty when the alert has none);
 *   - its own process group, killed (TERM, then KILL 2 s later) when it
 *     runs past timeout; at most max_running at once; stdout discarded,
 *     the end of stderr kept and logged with the exit status;
 *   - a run that fails (exit status not 0, a signal, the timeout) is
 *     tried again after backoff, doubling each time up to backoff_max,
 *     up to retries times, after which the alert goes back to the
 *     output's backlog (sink.h); alerts wait in a queue of at most queue
 *     entries, and beyond it in the backlog.
 *
 * Nothing here blocks detection: children are started with posix_spawn,
 * their pipes are non-blocking, and a 50 ms tick (a timer on the daemon's
 * loop while anything is queued or running) writes stdin, reads stderr,
 * reaps and retries.  A replay has no loop: it ticks when it writes and
 * waits at its end (drain), when a full queue also makes it wait, since
 * nobody is in a hurry there.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <event2/event.h>
#include <jansson.h>

#include "kstime.h"
#include "log.h"
#include "severity.h"
#include "sink.h"
#include "util.h"

extern char **environ;

#define TICK_NS		(50 * 1000 * 1000)
#define KILL_GRACE	(2 * KS_NSEC_PER_SEC)
#define ERR_KEEP	1024		/* the end of a run's stderr */
#define NENV		5

static const char *env_names[NENV] = {
	"KEYSENTRY_RULE", "KEYSENTRY_SEVERITY", "KEYSENTRY_SOURCE_IP",
	"KEYSENTRY_ENDPOINT", "KEYSENTRY_FINGERPRINT"
};

struct job {
	struct job	*next;
	char		*json;
	size_t		 len;
	char		*env[NENV];	/* "NAME=value" */
	unsigned int	 attempts;	/* runs that failed */
	int64_t		 not_before;	/* monotonic ns */
};

struct run {
	struct run	*next;
	struct job	*job;
	pid_t		 pid;
	int		 in_fd, err_fd;
	size_t		 in_off;
	int64_t		 started;
	int64_t		 termed;	/* SIGTERM sent at; 0: not */
	int		 timed_out;
	char		 err[ERR_KEEP];
	size_t		 errlen;
	int		 err_cut;	/* older stderr dropped */
};

struct exec_sink {
	struct sink	*s;
	const struct output_conf *o;
	struct job	*head, **tail;
	size_t		 queued;
	struct run	*runs;
	unsigned int	 running;
	struct event	*tick;		/* daemon: armed while busy */
	int		 armed;
};

static int64_t
mono(void)
{
	return kstime_monotonic();
}

/* "NAME=value" of an alert's field (sanitised to printable ASCII). */
static char *
env_of(const char *name, json_t *doc, const char *path)
{
	char		 key[64], buf[256];
	const char	*p = path, *dot, *s = "";
	json_t		*v = doc;
	size_t		 i, n;

	while (v != NULL && (dot = strchr(p, '.')) != NULL) {
		n = (size_t)(dot - p) < sizeof(key) - 1 ? (size_t)(dot - p) :
		    sizeof(key) - 1;
		memcpy(key, p, n);
		key[n] = '\0';
		v = json_object_get(v, key);
		p = dot + 1;
	}
	if (v != NULL && (v = json_object_get(v, p)) != NULL &&
	    json_is_string(v))
		s = json_string_value(v);
	ks_strlcpy(buf, s, sizeof(buf));
	for (i = 0; buf[i] != '\0'; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			buf[i] = '?';
	n = strlen(name) + strlen(buf) + 2;
	s = ks_xmalloc(n);
	snprintf((char *)s, n, "%s=%s", name, buf);
	return (char *)s;
}

static void
job_free(struct job *j)
{
	size_t i;

	if (j == NULL)
		return;
	for (i = 0; i < NENV; i++)
		free(j->env[i]);
	free(j->json);
	free(j);
}

static void	arm(struct exec_sink *);
static void	tick(struct exec_sink *);

/* Starts a run of the job; -1 if it could not be started. */
static int
start(struct exec_sink *xs, struct job *j)
{
	const struct output_conf	*o = xs->o;
	posix_spawn_file_actions_t	 fa;
	posix_spawnattr_t		 at;
	sigset_t			 none, def;
	int				 in[2], er[2], rc;
	size_t				 n = 0, i, k;
	char				**envp;
	struct run			*r;
	pid_t				 pid;

	for (i = 0; environ[i] != NULL; i++)
		n++;
	envp = ks_xcalloc(n + NENV + 1, sizeof(*envp));
	for (i = 0, k = 0; environ[i] != NULL; i++)
		if (strncmp(environ[i], "KEYSENTRY_", 10) != 0)
			envp[k++] = environ[i];
	for (i = 0; i < NENV; i++)
		envp[k++] = j->env[i];
	if (pipe2(in, O_CLOEXEC) == -1) {
		log_warn("output %s: pipe", xs->s->conf->path);
		free(envp);
		return -1;
	}
	if (pipe2(er, O_CLOEXEC) == -1) {
		log_warn("output %s: pipe", xs->s->conf->path);
		close(in[0]);
		close(in[1]);
		free(envp);
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, er[1], 2);
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	sigaddset(&def, SIGHUP);
	sigaddset(&def, SIGINT);
	sigaddset(&def, SIGTERM);
	sigaddset(&def, SIGUSR1);
	sigaddset(&def, SIGUSR2);
	sigaddset(&def, SIGCHLD);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &def);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK |
	    POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
	rc = posix_spawn(&pid, o->argv[0], &fa, &at, o->argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	free(envp);
	close(in[0]);
	close(er[1]);
	if (rc != 0) {
		log_warnx("output %s: cannot run %s: %s", xs->s->conf->path,
		    o->argv[0], strerror(rc));
		close(in[1]);
		close(er[0]);
		return -1;
	}
	(void)fcntl(in[1], F_SETFL, O_NONBLOCK);
	(void)fcntl(er[0], F_SETFL, O_NONBLOCK);
	r = ks_xcalloc(1, sizeof(*r));
	r->job = j;
	r->pid = pid;
	r->in_fd = in[1];
	r->err_fd = er[0];
	r->started = mono();
	r->next = xs->runs;
	xs->runs = r;
	xs->running++;
	return 0;
}

/* Writes what the child's stdin takes; closes it when all is written. */
static void
feed(struct run *r)
{
	ssize_t w;

	while (r->in_fd != -1 && r->in_off < r->job->len + 1) {
		/* the document, then a newline */
		if (r->in_off < r->job->len)
			w = write(r->in_fd, r->job->json + r->in_off,
			    r->job->len - r->in_off);
		else
			w = write(r->in_fd, "\n", 1);
		if (w > 0) {
			r->in_off += (size_t)w;
			continue;
		}
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1 && errno == EAGAIN)
			return;
		break;		/* EPIPE: it does not read; its exit says */
	}
	close(r->in_fd);
	r->in_fd = -1;
}

/* Reads what the child wrote to stderr, keeping the end of it. */
static void
drain_err(struct run *r)
{
	char	buf[4096];
	ssize_t	n;
	size_t	k;

	while (r->err_fd != -1) {
		n = read(r->err_fd, buf, sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		if (n <= 0) {
			close(r->err_fd);
			r->err_fd = -1;
			return;
		}
		k = (size_t)n;
		if (k >= sizeof(r->err)) {
			memcpy(r->err, buf + k - sizeof(r->err), sizeof(r->err));
			r->errlen = sizeof(r->err);
			r->err_cut = 1;
		} else {
			if (r->errlen + k > sizeof(r->err)) {
				size_t drop = r->errlen + k - sizeof(r->err);
				memmove(r->err, r->err + drop, r->errlen - drop);
				r->errlen -= drop;
				r->err_cut = 1;
			}
			memcpy(r->err + r->errlen, buf, k);
			r->errlen += k;
		}
	}
}

/* The end of stderr, as one printable line for the log. */
static void
err_text(const struct run *r, char *out, size_t size)
{
	size_t i, n = 0, len = r->errlen;

	while (len > 0 && (r->err[len - 1] == '\n' || r->err[len - 1] == ' '))
		len--;
	if (r->err_cut && size > 4) {
		memcpy(out, "...", 3);
		n = 3;
	}
	for (i = 0; i < len && n + 1 < size; i++) {
		unsigned char c = (unsigned char)r->err[i];
		out[n++] = c == '\n' ? '|' : (c < 0x20 || c == 0x7f) ? '?' :
		    (char)c;
	}
	out[n] = '\0';
}

static void
enqueue_front(struct exec_sink *xs, struct job *j)
{
	j->next = xs->head;
	xs->head = j;
	if (xs->tail == &xs->head)
		xs->tail = &j->next;
	xs->queued++;
}

/* A run is over: log it, and try again later or let it go. */
static void
finished(struct exec_sink *xs, struct run *r, int status)
{
	const struct output_conf *o = xs->o;
	struct job	*j = r->job;
	char		 why[64], err[ERR_KEEP + 8];
	double		 secs = (double)(mono() - r->started) / 1e9;
	int64_t		 wait;

	drain_err(r);
	err_text(r, err, sizeof(err));
	if (!r->timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		if (err[0] != '\0')
			log_info("output %s: done in %.1f s: %s",
			    xs->s->conf->path, secs, err);
		xs->s->delivered++;
		job_free(j);
		return;
	}
	if (r->timed_out)
		snprintf(why, sizeof(why), "killed after its timeout (%.0f s)",
		    (double)o->timeout / 1e9);
	else if (WIFEXITED(status))
		snprintf(why, sizeof(why), "exit status %d",
		    WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(why, sizeof(why), "killed by signal %d",
		    WTERMSIG(status));
	else
		snprintf(why, sizeof(why), "status %d", status);
	j->attempts++;
	xs->s->run_failures++;
	if (j->attempts <= o->retries) {
		wait = o->backoff;
		for (unsigned int i = 1; i < j->attempts &&
		    wait < o->backoff_max; i++)
			wait *= 2;
		if (wait > o->backoff_max)
			wait = o->backoff_max;
		j->not_before = mono() + wait;
		xs->s->retries++;
		log_warnx("output %s: %s after %.1f s%s%s; trying again in "
		    "%.0f s (%u of %u)", xs->s->conf->path, why, secs,
		    err[0] ? ": " : "", err, (double)wait / 1e9, j->attempts,
		    o->retries);
		enqueue_front(xs, j);
		return;
	}
	log_warnx("output %s: %s after %.1f s%s%s; %u runs failed, the alert "
	    "goes back to the output's backlog", xs->s->conf->path, why, secs,
	    err[0] ? ": " : "", err, j->attempts);
	xs->s->failed++;
	if (xs->s->written > 0)
		xs->s->written--;
	sink_defer(xs->s, j->json, j->len);
	job_free(j);
}

/* Reaps, kills what ran too long, feeds stdin, reads stderr. */
static void
reap(struct exec_sink *xs)
{
	struct run	**pp = &xs->runs, *r;
	int		  status;
	pid_t		  w;
	int64_t		  now = mono();

	while ((r = *pp) != NULL) {
		feed(r);
		drain_err(r);
		w = waitpid(r->pid, &status, WNOHANG);
		if (w == r->pid || (w == -1 && errno == ECHILD)) {
			if (w == -1)
				status = 0x7f00;	/* lost: a failure */
			*pp = r->next;
			xs->running--;
			if (r->in_fd != -1)
				close(r->in_fd);
			finished(xs, r, status);
			if (r->err_fd != -1)
				close(r->err_fd);
			free(r);
			continue;
		}
		if (r->termed == 0 && now - r->started >= xs->o->timeout) {
			r->timed_out = 1;
			r->termed = now;
			(void)kill(-r->pid, SIGTERM);
		} else if (r->termed != 0 && now - r->termed >= KILL_GRACE)
			(void)kill(-r->pid, SIGKILL);
		pp = &r->next;
	}
}

/* Starts what may start: the oldest jobs whose wait is over. */
static void
dispatch(struct exec_sink *xs)
{
	struct job	**pp = &xs->head, *j;
	int64_t		  now = mono();

	while (xs->running < xs->o->max_running && (j = *pp) != NULL) {
		if (j->not_before > now) {
			pp = &j->next;
			continue;
		}
		*pp = j->next;
		if (xs->tail == &j->next)
			xs->tail = pp;
		xs->queued--;
		j->next = NULL;
		if (start(xs, j) == -1) {
			/* not started (fork failed, no program): a failure */
			struct run fake;
			memset(&fake, 0, sizeof(fake));
			fake.job = j;
			fake.in_fd = fake.err_fd = -1;
			fake.started = now;
			finished(xs, &fake, 127 << 8);
			pp = &xs->head;		/* the queue changed */
		}
	}
}

static void
tick(struct exec_sink *xs)
{
	reap(xs);
	dispatch(xs);
	xs->s->queued = xs->queued;
	xs->s->running = xs->running;
	arm(xs);
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	((struct exec_sink *)arg)->armed = 0;
	tick(arg);
}

/* The daemon's timer runs while anything is queued or running. */
static void
arm(struct exec_sink *xs)
{
	struct timeval tv = { 0, TICK_NS / 1000 };

	if (xs->tick == NULL || xs->armed ||
	    (xs->queued == 0 && xs->running == 0))
		return;
	evtimer_add(xs->tick, &tv);
	xs->armed = 1;
}

static void
nap(void)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };

	nanosleep(&ts, NULL);
}

static int
exec_open(struct sink *s, const struct output_conf *conf, char *err,
    size_t errlen)
{
	struct exec_sink *xs;

	if (conf->nargv == 0) {
		snprintf(err, errlen, "output %s: no command", conf->path);
		return -1;
	}
	if (access(conf->argv[0], X_OK) == -1) {
		snprintf(err, errlen, "output %s: %s: %s", conf->path,
		    conf->argv[0], strerror(errno));
		return -1;
	}
	/*
	 * A program that exits without reading its stdin makes our write
	 * fail with EPIPE, which feed() takes in its stride; the signal
	 * would end the process (the daemon ignores it already, a replay
	 * not).  Children get the default back (posix_spawn, start()).
	 */
	signal(SIGPIPE, SIG_IGN);
	xs = ks_xcalloc(1, sizeof(*xs));
	xs->s = s;
	xs->o = conf;
	xs->tail = &xs->head;
	if (s->base != NULL)
		xs->tick = evtimer_new(s->base, on_tick, xs);
	s->priv = xs;
	return 0;
}

static int
exec_write(struct sink *s, const char *json, size_t len)
{
	struct exec_sink	*xs = s->priv;
	struct job		*j;
	json_t			*doc;
	json_error_t		 je;
	const char		*sev;

	if (xs->queued >= xs->o->queue) {
		if (xs->tick != NULL)
			return -1;	/* the daemon: into the backlog */
		/* a replay waits for room: nobody is in a hurry */
		while (xs->queued >= xs->o->queue) {
			tick(xs);
			nap();
		}
	}
	j = ks_xcalloc(1, sizeof(*j));
	j->json = ks_xmalloc(len + 1);
	memcpy(j->json, json, len);
	j->json[len] = '\0';
	j->len = len;
	doc = json_loadb(json, len, 0, &je);
	j->env[0] = env_of(env_names[0], doc, "rule.id");
	sev = severity_name((enum severity)s->cur_severity);
	j->env[1] = ks_xmalloc(strlen(env_names[1]) + strlen(sev) + 2);
	sprintf(j->env[1], "%s=%s", env_names[1], sev);
	j->env[2] = env_of(env_names[2], doc, "source.ip");
	j->env[3] = env_of(env_names[3], doc, "keysentry.endpoint");
	j->env[4] = env_of(env_names[4], doc, "keysentry.key.fingerprint");
	json_decref(doc);
	*xs->tail = j;
	xs->tail = &j->next;
	xs->queued++;
	tick(xs);
	return 0;
}

/*
 * Waits for every queued and running alert: the end of a replay, the
 * daemon's stop (after its loop has ended).  Retries still wait their
 * backoff, so a failing program makes this last; bounded by what the
 * queue holds times timeout, retries and backoff.
 */
static int
exec_drain(struct sink *s)
{
	struct exec_sink *xs = s->priv;

	while (xs->queued > 0 || xs->running > 0) {
		tick(xs);
		if (xs->queued > 0 || xs->running > 0)
			nap();
	}
	return 0;
}

static void
exec_close(struct sink *s)
{
	struct exec_sink	*xs = s->priv;
	struct job		*j;
	struct run		*r;
	int64_t			 until = mono() + 5 * KS_NSEC_PER_SEC;
	size_t			 lost = 0;

	/* runs under way get 5 s to end, then they are killed */
	while (xs->running > 0 && mono() < until) {
		reap(xs);
		if (xs->running > 0)
			nap();
	}
	for (r = xs->runs; r != NULL; r = r->next)
		(void)kill(-r->pid, SIGKILL);
	/* what did not run to its end goes back to the backlog, which the
	   close keeps in the spool (at least once: a killed run again) */
	while ((r = xs->runs) != NULL) {
		xs->runs = r->next;
		(void)waitpid(r->pid, NULL, 0);
		if (r->in_fd != -1)
			close(r->in_fd);
		if (r->err_fd != -1)
			close(r->err_fd);
		sink_defer(s, r->job->json, r->job->len);
		job_free(r->job);
		free(r);
		lost++;
	}
	while ((j = xs->head) != NULL) {
		xs->head = j->next;
		sink_defer(s, j->json, j->len);
		job_free(j);
		lost++;
	}
	if (lost > 0)
		log_info("output %s: %zu alerts not run by the close",
		    s->conf->path, lost);
	if (xs->tick != NULL)
		event_free(xs->tick);
	free(xs);
}

const struct sink_backend sink_exec_backend = {
	.type = "exec",
	.open = exec_open,
	.write = exec_write,
	.drain = exec_drain,
	.close = exec_close,
};
