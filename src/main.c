/*
 * keysentry: command line.  Each command is a function; start-up reads as
 * a checklist: load the config, load the rules, open the store and the
 * outputs, then run.  Exit status: 0 success, 1 usage or configuration
 * error, 2 some input could not be read to its end.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <event2/event.h>

#include "config.h"
#include "daemon.h"
#include "engine.h"
#include "http.h"
#include "hunt.h"
#include "keys.h"
#include "kstime.h"
#include "log.h"
#include "rconn.h"
#include "replay.h"
#include "resolve.h"
#include "rules.h"
#include "util.h"

#ifndef KS_SYSCONFDIR
#define KS_SYSCONFDIR "/usr/local/etc/keysentry"
#endif
#define DEFAULT_CONFIG	KS_SYSCONFDIR "/keysentry.yml"

struct command {
	const char	*name;
	int		(*fn)(int, char **);
	const char	*usage;
	const char	*help;
};

static int cmd_run(int, char **);
static int cmd_replay(int, char **);
static int cmd_check(int, char **);
static int cmd_help(int, char **);
static int cmd_fingerprint(int, char **);
static int cmd_hunt(int, char **);

static const struct command commands[] = {
	{ "run", cmd_run,
	  "run [-c FILE] [--from-start]",
	  "Follows every configured source and raises alerts as lines are\n"
	  "written, in the foreground (as systemd expects).  Files are\n"
	  "followed across rotations; positions are saved in state_dir, so a\n"
	  "restart reads what was written meanwhile and nothing twice.\n"
	  "\n"
	  "  -c FILE        config file (default " DEFAULT_CONFIG ")\n"
	  "  --from-start   read files without a saved position from their\n"
	  "                 start (default: from their end)\n"
	  "\n"
	  "Signals: HUP reloads config and rules (kept only if they load),\n"
	  "USR1 reopens output files, TERM and INT stop after saving\n"
	  "positions.\n" },
	{ "replay", cmd_replay,
	  "replay [-c FILE] [-o FILE] [-f FORMAT] [-s STORE] [-p PREFIX] [-q] "
	  "PATH...",
	  "Runs the rules over log files (plain or gzip, told apart by\n"
	  "content; - is stdin) in event-time order across files, and\n"
	  "writes the alerts to the config's outputs, or to -o FILE (- is\n"
	  "stdout).  A summary of lines read, decoded and skipped per file\n"
	  "goes to stderr.\n"
	  "\n"
	  "  -c FILE    config file (default " DEFAULT_CONFIG ")\n"
	  "  -o FILE    write alerts here instead of the config's outputs\n"
	  "  -f FORMAT  decode every file as FORMAT: auto, json, flat, caddy,\n"
	  "             kratos, clf or combined (default: the format of the\n"
	  "             config source whose file name matches, else auto)\n"
	  "  -s STORE   count in this store instead of the config's: memory\n"
	  "             for a replay that stands alone, or a redis:// or\n"
	  "             unix:// URL\n"
	  "  -p PREFIX  the Redis key_prefix instead of the config's (a\n"
	  "             replay that should not meet the fleet's claims)\n"
	  "  -q         no summary on stderr\n"
	  "\n"
	  "Exit status: 0 if every file was read to its end, 1 for a usage\n"
	  "or config error, 2 if a file could not be read or was cut short.\n" },
	{ "check", cmd_check,
	  "check [-c FILE]",
	  "Loads the config and the rules and reports every error as\n"
	  "FILE:LINE:COLUMN: message (exit 1), or prints a summary of\n"
	  "endpoints, rules, sources and outputs (exit 0).\n"
	  "\n"
	  "  -c FILE    config file (default " DEFAULT_CONFIG ")\n" },
	{ "hunt", cmd_hunt,
	  "hunt --fingerprint FP [--since T] [--until T] [--key-header NAME] "
	  "[-c FILE] [-o FILE] [-f FORMAT] [-q] [PATH...]",
	  "The leak response's review of logs for use of an exposed key:\n"
	  "over logs and captures (plain or gzip; read as replay reads\n"
	  "them), every use of the key with fingerprint FP (per source:\n"
	  "first and last time, count, statuses, endpoints, files) and\n"
	  "every line that writes the key in plain text (file, line, time,\n"
	  "the line masked).  The report, a JSON document, goes to stdout\n"
	  "or -o FILE; a summary to stderr.  Logs carry no keys: uses are\n"
	  "seen in captures, exposures in logs.\n"
	  "\n"
	  "  --fingerprint FP  sha256: and 16 hex digits (keysentry\n"
	  "                    fingerprint prints it)\n"
	  "  --since T         only from T (2026-11-20 or RFC 3339)\n"
	  "  --until T         only until T\n"
	  "  --key-header NAME a header whose value is a key, on the wire\n"
	  "                    (repeatable; default: the config's key\n"
	  "                    headers, else X-Reload-Api-Key); and\n"
	  "                    Authorization: Bearer always\n"
	  "  -c FILE    config file, for its log formats and endpoints\n"
	  "             (default " DEFAULT_CONFIG ", if it exists);\n"
	  "             without PATH, its file sources are read, with\n"
	  "             the generations rotated beside them\n"
	  "  -o FILE    write the report here instead of stdout\n"
	  "  -f FORMAT  decode every log file as FORMAT\n"
	  "  -q         no summary on stderr\n"
	  "\n"
	  "Exit status: 0 if every file was read to its end, 1 for a usage\n"
	  "or config error, 2 if a file could not be read or was cut short.\n" },
	{ "fingerprint", cmd_fingerprint,
	  "fingerprint [--env VAR | --file FILE]",
	  "Prints a key's fingerprint, sha256: and the first 16 hex digits\n"
	  "of SHA-256 of its bytes (one trailing newline is not part of\n"
	  "the key): what the config's keys: list and every alert use.  The\n"
	  "same as  printf %s \"$KEY\" | sha256sum | cut -c1-16\n"
	  "The key is read from stdin (not echoed at a terminal), from an\n"
	  "environment variable, or from a file; never from the command\n"
	  "line, where the shell history and ps would keep it.  A warning\n"
	  "says when it does not look like 32 random bytes in hex\n"
	  "(openssl rand -hex 32).\n"
	  "\n"
	  "  --env VAR    the key is the value of environment variable VAR\n"
	  "  --file FILE  the key is the content of FILE\n" },
	{ "help", cmd_help,
	  "help [COMMAND]",
	  "Shows the commands, or the help of one command.\n" },
};

static void
usage_all(FILE *f)
{
	size_t i;

	fprintf(f, "usage: keysentry COMMAND [OPTIONS] [ARGS]\n"
	    "       keysentry --version | --help\n\ncommands:\n");
	for (i = 0; i < KS_ARRAY_LEN(commands); i++)
		fprintf(f, "  keysentry %s\n", commands[i].usage);
	fprintf(f, "\nkeysentry help COMMAND shows the options of a command; "
	    "see also keysentry(8).\n");
}

static const struct command *
find_command(const char *name)
{
	size_t i;

	for (i = 0; i < KS_ARRAY_LEN(commands); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static int
usage_of(const char *name)
{
	const struct command *c = find_command(name);

	fprintf(stderr, "usage: keysentry %s\n", c->usage);
	return 1;
}

static void
print_diag(struct ydiag *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		fprintf(stderr, "%s\n", d->msgs[i]);
	if (d->total > d->n)
		fprintf(stderr, "keysentry: %zu more errors not shown\n",
		    d->total - d->n);
}

/* -f FORMAT: a known format, or said. */
static int
format_ok(const char *f)
{
	if (decode_format_valid(f))
		return 1;
	log_warnx("unknown format \"%s\" (expected one of: %s)", f,
	    decode_format_names());
	return 0;
}

/* Loads config and rules, reporting every error; NULL on failure. */
static struct config *
load_all(const char *path, struct ruleset **rsp)
{
	struct ydiag	 d;
	struct config	*cfg;
	struct ruleset	*rs;

	ydiag_init(&d, path);
	if ((cfg = config_load(path, &d)) == NULL) {
		print_diag(&d);
		ydiag_free(&d);
		return NULL;
	}
	if ((rs = ruleset_load(cfg, &d)) == NULL) {
		print_diag(&d);
		ydiag_free(&d);
		config_free(cfg);
		return NULL;
	}
	ydiag_free(&d);
	*rsp = rs;
	return cfg;
}

/*
 * libevent's own messages: every failure they describe is also returned
 * to us and reported in our words (epoll refusing /dev/null as stdin, for
 * one, is expected; a DNS server that does not answer is reported by the
 * resolver), so they are debug output.
 */
static void
libevent_log(int severity, const char *msg)
{
	(void)severity;
	log_debug("libevent: %s", msg);
}

/*
 * Replay resolves allowed sources named by DNS once, before reading, and
 * says so: the addresses are today's, not those of the time of the logs.
 */
static int
resolve_once(struct config *cfg, int quiet)
{
	struct event_base	*base;
	struct resolver		*r;
	enum log_level		 was = log_get_level();
	char			 err[256], what[2048];

	if (resolver_count(cfg) == 0)
		return 0;
	if ((base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	if (was > LOG_LVL_WARN)
		log_set_level(LOG_LVL_WARN);	/* one line below, not one each */
	if ((r = resolver_new(base, cfg, 0, err, sizeof(err))) == NULL) {
		log_set_level(was);
		log_warnx("%s", err);
		event_base_free(base);
		return -1;
	}
	resolver_wait(r, RESOLVE_FIRST_WAIT);
	log_set_level(was);
	resolver_describe(r, what, sizeof(what));
	if (!quiet)
		fprintf(stderr, "keysentry: replay: allowed sources named by "
		    "DNS were resolved once, now, not as they were when the "
		    "lines were written: %s\n", what);
	resolver_free(r);
	event_base_free(base);
	return 0;
}

static int
cmd_replay(int argc, char **argv)
{
	const char		*conf = DEFAULT_CONFIG, *output = NULL;
	const char		*store = NULL, *prefix = NULL;
	struct replay_opts	 ro = { NULL, 0, 0 };
	struct config		*cfg;
	struct ruleset		*rs;
	struct engine		 e;
	char			 err[1024];
	int			 ch, rc;

	optind = 1;
	while ((ch = getopt(argc, argv, "c:o:f:s:p:q")) != -1) {
		switch (ch) {
		case 'c':
			conf = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case 'f':
			if (!format_ok(optarg))
				return 1;
			ro.format = optarg;
			break;
		case 's':
			if (strcmp(optarg, "memory") != 0 &&
			    (!rconn_accepts(optarg) ||
			    rconn_check_url(optarg, err, sizeof(err)) == -1)) {
				log_warnx("-s %s: %s", optarg,
				    rconn_accepts(optarg) ? err : "expected "
				    "memory, redis://[user:password@]host:port/db "
				    "or unix:///path?db=N");
				return 1;
			}
			store = optarg;
			break;
		case 'p':
			prefix = optarg;
			break;
		case 'q':
			ro.quiet = 1;
			break;
		default:
			return usage_of("replay");
		}
	}
	if (optind >= argc) {
		log_warnx("replay: no files given");
		return usage_of("replay");
	}
	if ((cfg = load_all(conf, &rs)) == NULL)
		return 1;
	if (store != NULL) {
		free(cfg->store);
		cfg->store = ks_xstrdup(store);
	}
	if (prefix != NULL) {
		free(cfg->key_prefix);
		cfg->key_prefix = ks_xstrdup(prefix);
	}
	if (resolve_once(cfg, ro.quiet) == -1) {
		ruleset_free(rs);
		config_free(cfg);
		return 1;
	}
	if (engine_init(&e, cfg, rs, output, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		engine_fini(&e);
		return 1;
	}
	ro.progress = !ro.quiet && isatty(STDERR_FILENO);
	rc = replay_run(&e, argv + optind, argc - optind, &ro);
	engine_fini(&e);
	return rc;
}

static int
cmd_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "from-start", no_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 }
	};
	struct daemon_opts	o = { DEFAULT_CONFIG, 0 };
	int			ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			o.config = optarg;
			break;
		case 'S':
			o.from_start = 1;
			break;
		default:
			return usage_of("run");
		}
	}
	if (optind != argc)
		return usage_of("run");
	return daemon_run(&o);
}

static int
cmd_check(int argc, char **argv)
{
	const char		*conf = DEFAULT_CONFIG;
	struct config		*cfg;
	struct ruleset		*rs;
	const struct endpoint_conf *ep;
	size_t			 i, j, enabled = 0;
	int			 ch;

	optind = 1;
	while ((ch = getopt(argc, argv, "c:")) != -1) {
		switch (ch) {
		case 'c':
			conf = optarg;
			break;
		default:
			return usage_of("check");
		}
	}
	if (optind != argc)
		return usage_of("check");
	if ((cfg = load_all(conf, &rs)) == NULL)
		return 1;
	for (i = 0; i < rs->nrules; i++)
		enabled += rs->rules[i].enabled && !rs->rules[i].builtin;
	printf("%s: OK\n", conf);
	printf("  store: %s\n", cfg->store);
	printf("  endpoints: %zu\n", cfg->nendpoints);
	for (i = 0; i < cfg->nendpoints; i++) {
		ep = &cfg->endpoints[i];
		printf("    %s: %s %s, key header %s, %zu allowed sources\n",
		    ep->name, ep->method ? ep->method : "(any method)",
		    ep->path, ep->key_header ? ep->key_header : "(none)",
		    ep->nallowed + ep->nnames);
		for (j = 0; j < ep->nnames; j++)
			printf("      %s (a DNS name: resolved by run and "
			    "replay, not by check)\n", ep->names[j]);
	}
	printf("  rules: %zu loaded, %zu enabled, %zu endpoint bindings\n",
	    ruleset_nfile_rules(rs), enabled, rs->ninsts);
	for (i = 0; i < rs->nrules; i++)
		printf("    %-30s %-8s %-9s %s%s\n", rs->rules[i].id,
		    severity_name(rs->rules[i].severity),
		    rs->rules[i].builtin ? "-" : agg_type_name(rs->rules[i].agg),
		    rs->rules[i].builtin ? "(built in, keysentry run) " : "",
		    rs->rules[i].enabled ? "" : "(disabled)");
	printf("  sources: %zu\n", cfg->nsources);
	for (i = 0; i < cfg->nsources; i++) {
		const struct source_conf *sc = &cfg->sources[i];
		if (sc->type == SOURCE_PCAP)
			printf("    pcap %s, filter \"%s\", snaplen %u%s "
			    "(keysentry run)\n", sc->interface, sc->filter,
			    sc->snaplen, sc->promisc ? ", promiscuous" : "");
		else
			printf("    %s %s, format %s\n",
			    sc->type == SOURCE_FILE ? "file" : "stdin",
			    sc->path ? sc->path : "-", sc->dopts.format);
	}
	if (cfg->nkeys > 0) {
		printf("  keys: %zu%s%s%s\n", cfg->nkeys,
		    cfg->this_environment ? " (this environment: " : "",
		    cfg->this_environment ? cfg->this_environment : "",
		    cfg->this_environment ? ")" : "");
		for (i = 0; i < cfg->nkeys; i++) {
			const struct key_conf *k = &cfg->keys[i];
			printf("    %s%s%s: %zu generations, max_age %" PRId64
			    "d\n", k->name, k->environment ? " " : "",
			    k->environment ? k->environment : "", k->ngens,
			    k->max_age / (86400 * KS_NSEC_PER_SEC));
		}
	}
	printf("  outputs: %zu%s\n", cfg->noutputs, cfg->noutputs ? "" :
	    " (alerts go to stdout)");
	for (i = 0; i < cfg->noutputs; i++)
		printf("    %s %s\n", cfg->outputs[i].type,
		    cfg->outputs[i].path);
	printf("  fast path: %s", rs->fastpath ? "on" : "off (every line is "
	    "decoded)");
	for (i = 0; i < rs->nneedles; i++)
		printf("%s\"%s\"", i ? ", " : ", lines must contain ",
		    rs->needles[i]);
	printf("\n");
	for (i = 0; i < rs->nwarnings; i++)
		printf("  warning: %s\n", rs->warnings[i]);
	ruleset_free(rs);
	config_free(cfg);
	return 0;
}

static int
cmd_hunt(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "fingerprint", required_argument, NULL, 'F' },
		{ "since", required_argument, NULL, 'S' },
		{ "until", required_argument, NULL, 'U' },
		{ "key-header", required_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 }
	};
	struct hunt_opts	 o;
	char			*headers[HTTP_MAX_KEY_HEADERS];
	size_t			 nheaders = 0, i;
	const char		*conf = NULL, *output = NULL;
	struct config		*cfg;
	struct ruleset		*rs;
	struct engine		 e;
	struct ydiag		 d;
	char			 err[1024];
	FILE			*out = stdout;
	int			 ch, rc;
	char			**paths = NULL;
	size_t			  npaths = 0;

	memset(&o, 0, sizeof(o));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:o:f:q", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'F':
			if (!keys_fp_valid(optarg)) {
				log_warnx("--fingerprint %s: not a fingerprint "
				    "(sha256: and 16 lowercase hex digits, as "
				    "keysentry fingerprint prints it)", optarg);
				return 1;
			}
			ks_strlcpy(o.fingerprint, optarg,
			    sizeof(o.fingerprint));
			break;
		case 'S':
		case 'U':
			if (kstime_parse_day(optarg, ch == 'S' ? &o.since :
			    &o.until) == -1) {
				log_warnx("--%s %s: a date (2026-11-20) or an "
				    "RFC 3339 time", ch == 'S' ? "since" :
				    "until", optarg);
				return 1;
			}
			break;
		case 'H':
			if (nheaders == HTTP_MAX_KEY_HEADERS) {
				log_warnx("hunt: at most %d --key-header",
				    HTTP_MAX_KEY_HEADERS);
				return 1;
			}
			headers[nheaders++] = optarg;
			break;
		case 'c':
			conf = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case 'f':
			if (!format_ok(optarg))
				return 1;
			o.format = optarg;
			break;
		case 'q':
			o.quiet = 1;
			break;
		default:
			return usage_of("hunt");
		}
	}
	if (o.fingerprint[0] == '\0') {
		log_warnx("hunt: --fingerprint is required");
		return usage_of("hunt");
	}
	/* the config for formats and endpoints: given, or the default if
	   there is one, or none */
	if (conf == NULL && access(DEFAULT_CONFIG, R_OK) == 0)
		conf = DEFAULT_CONFIG;
	if (optind >= argc && conf == NULL) {
		log_warnx("hunt: no files given, and no config to take its "
		    "sources from");
		return usage_of("hunt");
	}
	ydiag_init(&d, conf ? conf : "(defaults)");
	cfg = conf ? config_load(conf, &d) : config_default("(defaults)");
	if (cfg == NULL) {
		print_diag(&d);
		ydiag_free(&d);
		return 1;
	}

	/* a hunt detects nothing: no rules, the memory store */
	free(cfg->store);
	cfg->store = ks_xstrdup("memory");
	/* the headers that carry keys on the wire: the config's, those
	   given, or the reload endpoint's when there are none */
	for (i = 0; i < cfg->nendpoints; i++)
		if (cfg->endpoints[i].key_header != NULL)
			break;
	if (nheaders == 0 && i == cfg->nendpoints)
		headers[nheaders++] = "X-Reload-Api-Key";
	cfg->extra_key_headers = ks_xcalloc(nheaders + 1,
	    sizeof(*cfg->extra_key_headers));
	for (i = 0; i < nheaders; i++)
		cfg->extra_key_headers[cfg->nextra_key_headers++] =
		    ks_xstrdup(headers[i]);
	if ((rs = ruleset_load_buffer(cfg, "(none)", "", 0, &d)) == NULL) {
		print_diag(&d);
		ydiag_free(&d);
		config_free(cfg);
		return 1;
	}
	ydiag_free(&d);
	if (output != NULL && strcmp(output, "-") != 0 &&
	    (out = fopen(output, "w")) == NULL) {
		log_warn("%s", output);
		ruleset_free(rs);
		config_free(cfg);
		return 1;
	}
	if (engine_init(&e, cfg, rs, "/dev/null", err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		engine_fini(&e);
		if (out != stdout)
			fclose(out);
		return 1;
	}
	/* no files: the config's file sources, rotated generations too */
	if (optind >= argc) {
		npaths = hunt_config_paths(e.cfg, &paths);
		for (i = 0; i < npaths && !o.quiet; i++)
			log_info("hunt: %s", paths[i]);
	}
	if (optind >= argc && npaths == 0) {
		log_warnx("hunt: %s names no file source that exists", conf);
		rc = 1;
	} else if (paths != NULL)
		rc = hunt_run(&e, &o, paths, (int)npaths, out);
	else
		rc = hunt_run(&e, &o, argv + optind, argc - optind, out);
	engine_fini(&e);
	for (i = 0; i < npaths; i++)
		free(paths[i]);
	free(paths);
	if (out != stdout && fclose(out) != 0) {
		log_warn("%s", output);
		rc = 1;
	}
	return rc;
}

#define KEY_MAX	65536	/* a key longer than this is not a key */

/* Reads all of fd into buf (up to KEY_MAX); -1 on error or too long. */
static ssize_t
read_key(int fd, char *buf)
{
	size_t	n = 0;
	ssize_t	r;

	while (n <= KEY_MAX) {
		r = read(fd, buf + n, KEY_MAX + 1 - n);
		if (r == 0)
			return (ssize_t)n;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		n += (size_t)r;
	}
	errno = EFBIG;
	return -1;
}

/* stdin at a terminal: the key is typed without echo, as with read -s. */
static ssize_t
read_key_tty(char *buf)
{
	struct termios	 old, quiet;
	ssize_t		 n;
	int		 off;

	off = tcgetattr(STDIN_FILENO, &old) == 0;
	if (off) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		quiet.c_lflag |= ICANON;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	fprintf(stderr, "key (not shown; end with Return): ");
	fflush(stderr);
	n = read(STDIN_FILENO, buf, KEY_MAX);
	if (off)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	fprintf(stderr, "\n");
	return n;
}

static int
cmd_fingerprint(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "env", required_argument, NULL, 'e' },
		{ "file", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*env = NULL, *file = NULL, *v, *from;
	char		*buf, fp[KEYS_FP_LEN + 1], why[256];
	ssize_t		 n;
	size_t		 len;
	int		 ch, fd, rc = 1;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'e':
			env = optarg;
			break;
		case 'f':
			file = optarg;
			break;
		default:
			return usage_of("fingerprint");
		}
	}
	if (optind != argc) {
		/* the key itself, perhaps: said without repeating it */
		log_warnx("fingerprint: a key is never taken from the command "
		    "line (the shell history and ps would keep it); give it "
		    "on stdin, with --env VAR or with --file FILE");
		return 1;
	}
	if (env != NULL && file != NULL)
		return usage_of("fingerprint");
	buf = ks_xmalloc(KEY_MAX + 1);
	if (env != NULL) {
		from = env;
		if ((v = getenv(env)) == NULL) {
			log_warnx("fingerprint: environment variable %s is not "
			    "set", env);
			goto out;
		}
		n = (ssize_t)strlen(v);
		if (n > KEY_MAX) {
			log_warnx("fingerprint: %s is longer than %d bytes: "
			    "not a key", env, KEY_MAX);
			goto out;
		}
		memcpy(buf, v, (size_t)n);
	} else if (file != NULL) {
		from = file;
		if ((fd = open(file, O_RDONLY | O_CLOEXEC)) == -1) {
			log_warn("fingerprint: %s", file);
			goto out;
		}
		n = read_key(fd, buf);
		close(fd);
		if (n < 0) {
			log_warn("fingerprint: reading %s", file);
			goto out;
		}
	} else {
		from = "stdin";
		n = isatty(STDIN_FILENO) ? read_key_tty(buf) :
		    read_key(STDIN_FILENO, buf);
		if (n < 0) {
			log_warn("fingerprint: reading stdin");
			goto out;
		}
	}
	len = keys_trim_input(buf, (size_t)n);
	if (len == 0) {
		log_warnx("fingerprint: %s: the key is empty", from);
		goto out;
	}
	if (keys_fingerprint(buf, len, fp) == -1) {
		log_warnx("fingerprint: SHA-256 failed");
		goto out;
	}
	if (!keys_looks_right(buf, len, why, sizeof(why)))
		log_warnx("warning: %s: this key does not look like 32 random "
		    "bytes in hex, as openssl rand -hex 32 makes them: %s",
		    from, why);
	printf("%s\n", fp);
	rc = fflush(stdout) == 0 ? 0 : 1;
out:
	explicit_bzero(buf, KEY_MAX + 1);
	free(buf);
	return rc;
}

static int
cmd_help(int argc, char **argv)
{
	const struct command *c;

	if (argc < 2) {
		usage_all(stdout);
		return 0;
	}
	if ((c = find_command(argv[1])) == NULL) {
		log_warnx("no command \"%s\"", argv[1]);
		usage_all(stderr);
		return 1;
	}
	printf("usage: keysentry %s\n\n%s", c->usage, c->help);
	return 0;
}

int
main(int argc, char **argv)
{
	const struct command *c;

	log_init("keysentry", LOG_LVL_INFO);
	event_set_log_callback(libevent_log);
	if (argc < 2) {
		usage_all(stderr);
		return 1;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("keysentry %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage_all(stdout);
		return 0;
	}
	if ((c = find_command(argv[1])) == NULL) {
		log_warnx("unknown command \"%s\"", argv[1]);
		usage_all(stderr);
		return 1;
	}
	return c->fn(argc - 1, argv + 1);
}
