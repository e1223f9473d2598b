/*
 * Config loading (see config.h and docs/keysentry.conf.5).  Every key is
 * checked; an unknown key is an error, because a misspelt allowlist that
 * is silently ignored is worse than a monitor that refuses to start.
 */
#include "autoconfig.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "config.h"
#include "event.h"
#include "keys.h"
#include "kstime.h"
#include "severity.h"
#include "rconn.h"
#include "sink.h"
#include "util.h"

#ifndef KS_RULESDIR
#define KS_RULESDIR "/usr/local/share/keysentry/rules"
#endif
#ifndef KS_LOCALSTATEDIR
#define KS_LOCALSTATEDIR "/usr/local/var"
#endif

static const char *top_keys[] = {
	"store", "key_prefix", "max_skew", "rules", "endpoints", "sources", "outputs", "rule_overrides",
	"limits", "hostname", "allowed_lateness", "state_dir",
	"max_catchup_bytes", "rotate_wait", "poll_interval", "warmup",
	"silence_after", "resolve_interval", "dns_servers", "log", "log_level",
	"stats_file", "stats_interval", "user", "keys", "this_environment",
	"rotation_grace", NULL
};
static const char *key_keys[] = { "name", "endpoints", "environment",
	"max_age", "generations", NULL };
static const char *gen_keys[] = { "fingerprint", "state", "created",
	"retired", "revoked", NULL };
static const char *state_names[] = { "current", "next", "retired",
	"revoked", "canary", NULL };
static const char *endpoint_keys[] = {
	"name", "method", "path", "key_header", "allowed_sources", NULL
};
static const char *source_keys[] = {
	"type", "path", "format", "fields", "poll", "silence_after",
	"interface", "filter", "snaplen", "promisc", "buffer_size",
	"response_timeout", NULL
};
static const char *file_only_keys[] = { "path", "format", "fields", "poll",
	NULL };
static const char *pcap_only_keys[] = { "interface", "filter", "snaplen",
	"promisc", "buffer_size", "response_timeout", NULL };
static const char *output_keys[] = { "type", "path", "url", "stream",
	"maxlen", "min_severity", "rules", "address", "facility", "command",
	"timeout", "max_running", "retries", "backoff", "backoff_max", "queue",
	"spill_max", NULL };
static const char *facilities[] = { "kern", "user", "mail", "daemon",
	"auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp",
	"ntp", "security", "console", "solaris-cron", "local0", "local1",
	"local2", "local3", "local4", "local5", "local6", "local7", NULL };
static const char *override_keys[] = {
	"enabled", "severity", "window", "cooldown", "threshold", NULL
};
static const char *limit_keys[] = {
	"max_line_bytes", "groups", "store_entries", "evidence",
	"max_threshold", "tcp_flows", "tcp_flow_bytes", "tcp_total_bytes",
	"alerts_per_minute",
	NULL
};

static void
set_defaults(struct config *c)
{
	c->store = ks_xstrdup("memory");
	c->key_prefix = ks_xstrdup("keysentry:");
	c->max_skew = 2 * KS_NSEC_PER_SEC;
	c->limits.max_line = 64 * 1024;
	c->limits.groups = 10000;
	c->limits.store_entries = 50000;
	c->limits.evidence = 5;
	c->limits.max_threshold = 10000;
	c->limits.tcp_flows = 10000;
	c->limits.tcp_flow_bytes = 256 * 1024;
	c->limits.tcp_total_bytes = 64u << 20;
	c->limits.alerts_per_minute = 60;
	c->lateness = 5 * KS_NSEC_PER_SEC;
	c->state_dir = ks_xstrdup(KS_LOCALSTATEDIR "/lib/keysentry");
	c->max_catchup = 64u << 20;
	c->rotate_wait = 5 * KS_NSEC_PER_SEC;
	c->poll_interval = KS_NSEC_PER_SEC;
	c->warmup = -1;
	c->silence_after = 300 * KS_NSEC_PER_SEC;
	c->resolve_interval = 60 * KS_NSEC_PER_SEC;
	c->log_level = 2;	/* LOG_LVL_INFO */
	c->stats_interval = 15 * KS_NSEC_PER_SEC;
	c->rotation_grace = 60 * KS_NSEC_PER_SEC;
}

static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return ks_xstrdup(".");
	if (slash == path)
		return ks_xstrdup("/");
	return ks_xstrndup(path, (size_t)(slash - path));
}

char *
config_path(const struct config *c, const char *p)
{
	char *out;

	if (p[0] == '/' || strcmp(p, "-") == 0 || c->dir == NULL)
		return ks_xstrdup(p);
	out = ks_xmalloc(strlen(c->dir) + strlen(p) + 2);
	sprintf(out, "%s/%s", c->dir, p);
	return out;
}

static void
load_daemon(struct config *c, struct ydiag *d, const struct ydoc_node *root)
{
	static const char	*levels[] = { "error", "warning", "info",
				    "debug" };
	const struct ydoc_node	*v;
	const char		*s;
	unsigned long long	 u;
	size_t			 i;
	struct ks_addr		 a;
	uint16_t		 port;

	if ((v = ydoc_get(root, "state_dir")) != NULL &&
	    (s = ydoc_str(d, v, "state_dir")) != NULL) {
		free(c->state_dir);
		c->state_dir = config_path(c, s);
	}
	if ((v = ydoc_get(root, "max_catchup_bytes")) != NULL &&
	    ydoc_uint(d, v, "max_catchup_bytes", 0, UINT64_C(1) << 40, &u) == 0)
		c->max_catchup = u;
	if ((v = ydoc_get(root, "rotate_wait")) != NULL)
		ydoc_duration(d, v, "rotate_wait", &c->rotate_wait);
	if ((v = ydoc_get(root, "poll_interval")) != NULL &&
	    ydoc_duration(d, v, "poll_interval", &c->poll_interval) == 0 &&
	    c->poll_interval < 10000000) {
		ydiag_add(d, v, "poll_interval must be at least 10ms");
	}
	if ((v = ydoc_get(root, "warmup")) != NULL) {
		if (v->type == YDOC_SCALAR && strcmp(v->str, "auto") == 0)
			c->warmup = -1;
		else
			ydoc_duration(d, v, "warmup (or auto)", &c->warmup);
	}
	if ((v = ydoc_get(root, "silence_after")) != NULL)
		ydoc_duration(d, v, "silence_after", &c->silence_after);
	if ((v = ydoc_get(root, "resolve_interval")) != NULL &&
	    ydoc_duration(d, v, "resolve_interval", &c->resolve_interval) ==
	    0 && c->resolve_interval < KS_NSEC_PER_SEC)
		ydiag_add(d, v, "resolve_interval must be at least 1s");
	if ((v = ydoc_get(root, "dns_servers")) != NULL &&
	    ydoc_want(d, v, YDOC_SEQ, "dns_servers") == 0) {
		c->dns_servers = ks_xcalloc(v->n + 1, sizeof(*c->dns_servers));
		for (i = 0; i < v->n; i++)
			if ((s = ydoc_str(d, v->items[i], "a DNS server")) ==
			    NULL)
				continue;
			else if (addr_parse_hostport(s, strlen(s), &a,
			    &port) == -1)
				ydiag_add(d, v->items[i], "DNS server \"%s\" "
				    "is not an address or address:port", s);
			else
				c->dns_servers[c->ndns_servers++] =
				    ks_xstrdup(s);
	}
	if ((v = ydoc_get(root, "log")) != NULL &&
	    (s = ydoc_str(d, v, "log")) != NULL) {
		if (strcmp(s, "syslog") == 0)
			c->log_syslog = 1;
		else if (strcmp(s, "stderr") != 0)
			ydiag_add(d, v, "log must be stderr or syslog");
	}
	if ((v = ydoc_get(root, "log_level")) != NULL &&
	    (s = ydoc_str(d, v, "log_level")) != NULL) {
		for (i = 0; i < KS_ARRAY_LEN(levels); i++)
			if (strcmp(s, levels[i]) == 0)
				c->log_level = (int)i;
		if (strcmp(s, levels[c->log_level]) != 0)
			ydiag_add(d, v, "log_level must be error, warning, "
			    "info or debug");
	}
	if ((v = ydoc_get(root, "stats_file")) != NULL &&
	    (s = ydoc_str(d, v, "stats_file")) != NULL)
		c->stats_file = config_path(c, s);
	if ((v = ydoc_get(root, "stats_interval")) != NULL &&
	    ydoc_duration(d, v, "stats_interval", &c->stats_interval) == 0 &&
	    c->stats_interval < 100000000)
		ydiag_add(d, v, "stats_interval must be at least 100ms");
	if ((v = ydoc_get(root, "user")) != NULL &&
	    (s = ydoc_str(d, v, "user")) != NULL)
		c->user = ks_xstrdup(s);
}

struct config *
config_default(const char *path)
{
	struct config	*c = ks_xcalloc(1, sizeof(*c));
	char		 host[256];

	set_defaults(c);
	c->file = ks_xstrdup(path);
	c->dir = dir_of(path);
	c->rules = ks_xcalloc(1, sizeof(*c->rules));
	c->rules[0] = ks_xstrdup(KS_RULESDIR);
	c->nrules = 1;
	if (gethostname(host, sizeof(host)) == 0) {
		host[sizeof(host) - 1] = '\0';
		c->hostname = ks_xstrdup(host);
	} else
		c->hostname = ks_xstrdup("localhost");
	return c;
}

static int
valid_name(const char *s)
{
	size_t i;

	if (*s == '\0' || strlen(s) > 64)
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		    s[i] == '_' || s[i] == '.'))
			return 0;
	return 1;
}

static void
load_endpoint(struct config *c, struct ydiag *d, const struct ydoc_node *n)
{
	struct endpoint_conf	*e;
	const struct ydoc_node	*v, *item;
	const char		*s;
	struct event		 tmp;
	size_t			 i, j;

	if (ydoc_want(d, n, YDOC_MAP, "an endpoint") == -1)
		return;
	ydoc_check_keys(d, n, endpoint_keys, "endpoint");
	c->endpoints = ks_xreallocarray(c->endpoints, c->nendpoints + 1,
	    sizeof(*c->endpoints));
	e = &c->endpoints[c->nendpoints++];
	memset(e, 0, sizeof(*e));

	v = ydoc_get(n, "name");
	if ((s = ydoc_str(d, v ? v : n, "endpoint name")) != NULL) {
		if (!valid_name(s))
			ydiag_add(d, v, "endpoint name \"%s\" may hold only "
			    "letters, digits, '-', '_' and '.'", s);
		else if (config_endpoint(c, s) != NULL)
			ydiag_add(d, v, "endpoint \"%s\" is declared twice", s);
		e->name = ks_xstrdup(s);
	} else
		e->name = ks_xstrdup("");

	v = ydoc_get(n, "path");
	if ((s = ydoc_str(d, v ? v : n, "endpoint path")) != NULL) {
		if (s[0] != '/')
			ydiag_add(d, v, "endpoint path must start with '/'");
		event_clear(&tmp);
		event_set_path(&tmp, s, strlen(s));
		if (strcmp(tmp.path, s) != 0)
			ydiag_add(d, v, "endpoint path \"%s\" is not in "
			    "normal form (it would be \"%s\")", s, tmp.path);
		e->path = ks_xstrdup(tmp.path);
	} else
		e->path = ks_xstrdup("/");

	if ((v = ydoc_get(n, "method")) != NULL &&
	    (s = ydoc_str(d, v, "endpoint method")) != NULL) {
		event_clear(&tmp);
		event_set_method(&tmp, s, strlen(s));
		if (strcmp(s, "any") == 0)
			e->method = NULL;
		else if (tmp.method[0] == '\0' || strlen(tmp.method) !=
		    strlen(s))
			ydiag_add(d, v, "endpoint method \"%s\" is not an "
			    "HTTP method", s);
		else
			e->method = ks_xstrdup(tmp.method);
	}
	if ((v = ydoc_get(n, "key_header")) != NULL &&
	    (s = ydoc_str(d, v, "key_header")) != NULL)
		e->key_header = ks_xstrdup(s);

	if ((v = ydoc_get(n, "allowed_sources")) != NULL &&
	    ydoc_want(d, v, YDOC_SEQ, "allowed_sources") == 0) {
		e->allowed = ks_xcalloc(v->n, sizeof(*e->allowed));
		for (i = 0; i < v->n; i++) {
			item = v->items[i];
			if ((s = ydoc_str(d, item, "an allowed source")) ==
			    NULL)
				continue;
			if (cidr_parse(s, strlen(s),
			    &e->allowed[e->nallowed]) == 0) {
				e->nallowed++;
				continue;
			}
			if (!hostname_valid(s)) {
				ydiag_add(d, item, "\"%s\" is not an address, "
				    "a CIDR prefix or a DNS name", s);
				continue;
			}
			for (j = 0; j < e->nnames; j++)
				if (strcasecmp(e->names[j], s) == 0)
					break;
			if (j < e->nnames)
				continue;
			e->names = ks_xreallocarray(e->names, e->nnames + 1,
			    sizeof(*e->names));
			e->names[e->nnames++] = ks_xstrdup(s);
		}
	}
}

static void
load_fields(struct ydiag *d, const struct ydoc_node *n,
    struct decoder_opts *o)
{
	size_t	i, j, used;
	int	f;

	if (ydoc_want(d, n, YDOC_MAP, "fields") == -1)
		return;
	for (i = 0; i < n->n; i++) {
		const struct ydoc_node *k = n->items[2 * i];
		const struct ydoc_node *v = n->items[2 * i + 1];
		if (k->type != YDOC_SCALAR ||
		    (f = decode_field_lookup(k->str)) < 0) {
			ydiag_add(d, k, "fields: unknown field \"%s\" "
			    "(expected time, source, source_port, method, "
			    "path, status or user_agent)", k->str ? k->str :
			    "");
			continue;
		}
		if (v->type == YDOC_SCALAR) {
			if (ydoc_str(d, v, "a JSON path") != NULL)
				o->fields[f][0] = ks_xstrdup(v->str);
			continue;
		}
		if (ydoc_want(d, v, YDOC_SEQ, "a field's JSON paths") == -1)
			continue;
		if (v->n > DECODE_MAX_PATHS) {
			ydiag_add(d, v, "at most %d JSON paths per field",
			    DECODE_MAX_PATHS);
			continue;
		}
		/* packed: a bad entry leaves no hole in the NULL-ended list */
		for (j = 0, used = 0; j < v->n; j++)
			if (ydoc_str(d, v->items[j], "a JSON path") != NULL)
				o->fields[f][used++] =
				    ks_xstrdup(v->items[j]->str);
	}
}

/* Keys that belong to another type of source are errors, not ignored. */
static void
not_for(struct ydiag *d, const struct ydoc_node *n, const char **keys,
    const char *what)
{
	const struct ydoc_node	*v;
	size_t			 i;

	for (i = 0; keys[i] != NULL; i++)
		if ((v = ydoc_get(n, keys[i])) != NULL)
			ydiag_add(d, v, "%s has no \"%s\"", what, keys[i]);
}

/* The filter is compiled now, so that a typo fails "keysentry check". */
static void
check_filter(struct ydiag *d, const struct ydoc_node *v, const char *filter,
    unsigned int snaplen)
{
	struct bpf_program	 prog;
	pcap_t			*p = pcap_open_dead(DLT_EN10MB, (int)snaplen);

	if (p == NULL)
		return;
	if (pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) == -1)
		ydiag_add(d, v, "filter \"%s\": %s", filter, pcap_geterr(p));
	else
		pcap_freecode(&prog);
	pcap_close(p);
}

/* {type: pcap, interface: eth0, filter: "tcp port 3110", ...} */
static void
load_capture(struct ydiag *d, const struct ydoc_node *n,
    struct source_conf *s)
{
	const struct ydoc_node	*v, *fv;
	const char		*t;
	unsigned long long	 u;

	not_for(d, n, file_only_keys, "a pcap source");
	v = ydoc_get(n, "interface");
	if ((t = ydoc_str(d, v ? v : n, "a pcap source's interface")) != NULL) {
		if (t[0] == '\0' || strlen(t) >= 64)
			ydiag_add(d, v, "interface: not an interface name");
		s->interface = ks_xstrdup(t);
	}
	s->snaplen = 65535;
	if ((v = ydoc_get(n, "snaplen")) != NULL &&
	    ydoc_uint(d, v, "snaplen", 128, 262144, &u) == 0)
		s->snaplen = (unsigned int)u;
	if ((v = ydoc_get(n, "promisc")) != NULL)
		ydoc_bool(d, v, "promisc", &s->promisc);
	if ((v = ydoc_get(n, "buffer_size")) != NULL &&
	    ydoc_uint(d, v, "buffer_size", 65536, UINT64_C(1) << 31, &u) == 0)
		s->buffer_size = (size_t)u;
	s->response_timeout = 30 * KS_NSEC_PER_SEC;
	if ((v = ydoc_get(n, "response_timeout")) != NULL &&
	    ydoc_duration(d, v, "response_timeout", &s->response_timeout) ==
	    0 && s->response_timeout < KS_NSEC_PER_SEC)
		ydiag_add(d, v, "response_timeout must be at least 1s");
	if ((v = ydoc_get(n, "silence_after")) != NULL)
		ydoc_duration(d, v, "silence_after", &s->silence_after);
	fv = ydoc_get(n, "filter");
	t = fv != NULL ? ydoc_str(d, fv, "filter") : PCAP_DEFAULT_FILTER;
	s->filter = ks_xstrdup(t != NULL ? t : PCAP_DEFAULT_FILTER);
	if (t != NULL)
		check_filter(d, fv ? fv : n, s->filter, s->snaplen);
}

static void
load_source(struct config *c, struct ydiag *d, const struct ydoc_node *n)
{
	struct source_conf	*s;
	const struct ydoc_node	*v;
	const char		*t;

	if (ydoc_want(d, n, YDOC_MAP, "a source") == -1)
		return;
	ydoc_check_keys(d, n, source_keys, "source");
	c->sources = ks_xreallocarray(c->sources, c->nsources + 1,
	    sizeof(*c->sources));
	s = &c->sources[c->nsources++];
	memset(s, 0, sizeof(*s));
	s->dopts.format = ks_xstrdup("auto");

	v = ydoc_get(n, "type");
	t = ydoc_str(d, v ? v : n, "source type");
	if (t != NULL && strcmp(t, "file") == 0) {
		s->type = SOURCE_FILE;
		not_for(d, n, pcap_only_keys, "a file source");
		v = ydoc_get(n, "path");
		if ((t = ydoc_str(d, v ? v : n, "source path")) != NULL)
			s->path = config_path(c, t);
	} else if (t != NULL && strcmp(t, "stdin") == 0) {
		s->type = SOURCE_STDIN;
		not_for(d, n, pcap_only_keys, "a stdin source");
	} else if (t != NULL && strcmp(t, "pcap") == 0) {
		s->type = SOURCE_PCAP;
		load_capture(d, n, s);
		return;
	} else if (t != NULL)
		ydiag_add(d, v, "unknown source type \"%s\" (expected file, "
		    "stdin or pcap)", t);

	if ((v = ydoc_get(n, "format")) != NULL &&
	    (t = ydoc_str(d, v, "format")) != NULL) {
		if (!decode_format_valid(t))
			ydiag_add(d, v, "unknown format \"%s\" (expected one "
			    "of: %s)", t, decode_format_names());
		else {
			free((char *)s->dopts.format);
			s->dopts.format = ks_xstrdup(t);
		}
	}
	if ((v = ydoc_get(n, "fields")) != NULL)
		load_fields(d, v, &s->dopts);
	if ((v = ydoc_get(n, "poll")) != NULL)
		ydoc_bool(d, v, "poll", &s->poll);
	if ((v = ydoc_get(n, "silence_after")) != NULL)
		ydoc_duration(d, v, "silence_after", &s->silence_after);
}

/* {type: redis-stream, url: ..., stream: keysentry:alerts, maxlen: N} */
static void
load_stream_output(struct ydiag *d, const struct ydoc_node *n,
    struct output_conf *o)
{
	const struct ydoc_node	*v;
	const char		*t;
	unsigned long long	 u;
	char			 err[256], name[300];

	v = ydoc_get(n, "url");
	if ((t = ydoc_str(d, v ? v : n, "a redis-stream url")) != NULL &&
	    rconn_check_url(t, err, sizeof(err)) == -1)
		ydiag_add(d, v, "output url: %s", err);
	o->url = ks_xstrdup(t ? t : "");
	o->stream = ks_xstrdup("keysentry:alerts");
	if ((v = ydoc_get(n, "stream")) != NULL &&
	    (t = ydoc_str(d, v, "stream")) != NULL) {
		free(o->stream);
		o->stream = ks_xstrdup(t);
	}
	o->maxlen = 100000;
	if ((v = ydoc_get(n, "maxlen")) != NULL &&
	    ydoc_uint(d, v, "maxlen", 1, UINT64_C(1) << 32, &u) == 0)
		o->maxlen = (unsigned long)u;
	if (ydoc_get(n, "path") != NULL)
		ydiag_add(d, ydoc_get(n, "path"), "a redis-stream output has "
		    "no path (url and stream say where)");
	snprintf(name, sizeof(name), "redis-stream:%s", o->stream);
	o->path = ks_xstrdup(name);
}

/* {type: syslog, address: udp://collector:514, facility: local0} */
static void
load_syslog_output(struct ydiag *d, const struct ydoc_node *n,
    struct output_conf *o)
{
	const struct ydoc_node	*v;
	const char		*t;
	char			 err[256], name[300], *h, *p, *path;
	int			 tr;
	size_t			 i;

	o->address = ks_xstrdup("unix:/dev/log");
	if ((v = ydoc_get(n, "address")) != NULL &&
	    (t = ydoc_str(d, v, "address")) != NULL) {
		free(o->address);
		o->address = ks_xstrdup(t);
		if (sink_syslog_parse(t, &tr, &h, &p, &path, err,
		    sizeof(err)) == -1)
			ydiag_add(d, v, "address %s", err);
		else {
			free(h);
			free(p);
			free(path);
		}
	}
	o->facility = 16;	/* local0 */
	if ((v = ydoc_get(n, "facility")) != NULL &&
	    (t = ydoc_str(d, v, "facility")) != NULL) {
		for (i = 0; facilities[i] != NULL; i++)
			if (strcmp(facilities[i], t) == 0)
				break;
		if (facilities[i] == NULL)
			ydiag_add(d, v, "unknown facility \"%s\" (expected a "
			    "syslog facility name such as auth, daemon or "
			    "local0)", t);
		else
			o->facility = (int)i;
	}
	if (ydoc_get(n, "path") != NULL)
		ydiag_add(d, ydoc_get(n, "path"), "a syslog output has no path "
		    "(address says where)");
	snprintf(name, sizeof(name), "syslog:%s", o->address);
	o->path = ks_xstrdup(name);
}

/*
 * {type: exec, command: [/usr/local/libexec/keysentry/leak-response.sh],
 *  timeout: 60s, max_running: 4, retries: 5, backoff: 1s, queue: 1000}
 */
static void
load_exec_output(struct config *c, struct ydiag *d, const struct ydoc_node *n,
    struct output_conf *o)
{
	const struct ydoc_node	*v;
	const char		*t;
	unsigned long long	 u;
	char			 name[300];
	size_t			 i;

	v = ydoc_get(n, "command");
	if (v == NULL)
		ydiag_add(d, n, "an exec output needs a command: [program, "
		    "arguments...] (run without a shell)");
	else if (v->type == YDOC_SCALAR)
		ydiag_add(d, v, "command must be a list: [program, "
		    "arguments...]; it is run without a shell, so \"%s\" "
		    "would be one program name", v->str);
	else if (ydoc_want(d, v, YDOC_SEQ, "command") == 0) {
		o->argv = ks_xcalloc(v->n + 1, sizeof(*o->argv));
		for (i = 0; i < v->n; i++)
			if ((t = ydoc_str(d, v->items[i], "an argument")) !=
			    NULL)
				o->argv[o->nargv++] = i == 0 ?
				    config_path(c, t) : ks_xstrdup(t);
		if (v->n == 0)
			ydiag_add(d, v, "command names no program");
		else if (o->nargv > 0 && o->argv[0][0] != '/')
			ydiag_add(d, v->items[0], "the program must be a path "
			    "(no PATH search): %s", o->argv[0]);
	}
	o->timeout = 60 * KS_NSEC_PER_SEC;
	if ((v = ydoc_get(n, "timeout")) != NULL &&
	    ydoc_duration(d, v, "timeout", &o->timeout) == 0 &&
	    o->timeout <= 0)
		ydiag_add(d, v, "timeout must be more than 0s");
	o->max_running = 4;
	if ((v = ydoc_get(n, "max_running")) != NULL &&
	    ydoc_uint(d, v, "max_running", 1, 256, &u) == 0)
		o->max_running = (unsigned int)u;
	o->retries = 5;
	if ((v = ydoc_get(n, "retries")) != NULL &&
	    ydoc_uint(d, v, "retries", 0, 100, &u) == 0)
		o->retries = (unsigned int)u;
	o->backoff = KS_NSEC_PER_SEC;
	if ((v = ydoc_get(n, "backoff")) != NULL &&
	    ydoc_duration(d, v, "backoff", &o->backoff) == 0 &&
	    o->backoff <= 0)
		ydiag_add(d, v, "backoff must be more than 0s");
	o->backoff_max = 600 * KS_NSEC_PER_SEC;
	if ((v = ydoc_get(n, "backoff_max")) != NULL &&
	    ydoc_duration(d, v, "backoff_max", &o->backoff_max) == 0 &&
	    o->backoff_max < o->backoff)
		ydiag_add(d, v, "backoff_max must be at least backoff");
	if (ydoc_get(n, "path") != NULL)
		ydiag_add(d, ydoc_get(n, "path"), "an exec output has no path "
		    "(command says what runs)");
	snprintf(name, sizeof(name), "exec:%s", o->nargv ? o->argv[0] : "");
	o->path = ks_xstrdup(name);
}

static void
load_output(struct config *c, struct ydiag *d, const struct ydoc_node *n)
{
	struct output_conf	*o;
	const struct ydoc_node	*v;
	const char		*t;
	unsigned long long	 u;

	if (ydoc_want(d, n, YDOC_MAP, "an output") == -1)
		return;
	ydoc_check_keys(d, n, output_keys, "output");
	c->outputs = ks_xreallocarray(c->outputs, c->noutputs + 1,
	    sizeof(*c->outputs));
	o = &c->outputs[c->noutputs++];
	memset(o, 0, sizeof(*o));
	v = ydoc_get(n, "type");
	t = ydoc_str(d, v ? v : n, "output type");
	if (t != NULL && strcmp(t, "file") != 0 &&
	    strcmp(t, "redis-stream") != 0 && strcmp(t, "syslog") != 0 &&
	    strcmp(t, "exec") != 0)
		ydiag_add(d, v, "unknown output type \"%s\" (expected file, "
		    "syslog, redis-stream or exec)", t);
	o->type = ks_xstrdup(t ? t : "file");
	if ((v = ydoc_get(n, "min_severity")) != NULL &&
	    (t = ydoc_str(d, v, "min_severity")) != NULL) {
		if (severity_parse(t) < 0)
			ydiag_add(d, v, "min_severity must be info, low, medium, "
			    "high or critical");
		else
			o->min_severity = severity_parse(t);
	}
	if ((v = ydoc_get(n, "rules")) != NULL &&
	    ydoc_want(d, v, YDOC_SEQ, "an output's rules") == 0) {
		size_t i;
		o->rules = ks_xcalloc(v->n + 1, sizeof(*o->rules));
		for (i = 0; i < v->n; i++)
			if ((t = ydoc_str(d, v->items[i], "a rule id or "
			    "pattern")) != NULL)
				o->rules[o->nrules++] = ks_xstrdup(t);
		if (o->nrules == 0)
			ydiag_add(d, v, "an output's rules must name at least "
			    "one rule (leave it out for every rule)");
	}
	o->queue = 1000;
	if ((v = ydoc_get(n, "queue")) != NULL &&
	    ydoc_uint(d, v, "queue", 1, 1000000, &u) == 0)
		o->queue = (size_t)u;
	o->spill_max = UINT64_C(64) << 20;
	if ((v = ydoc_get(n, "spill_max")) != NULL &&
	    ydoc_uint(d, v, "spill_max", 0, UINT64_C(1) << 40, &u) == 0)
		o->spill_max = u;
	if (strcmp(o->type, "redis-stream") == 0) {
		load_stream_output(d, n, o);
		return;
	}
	if (strcmp(o->type, "syslog") == 0) {
		load_syslog_output(d, n, o);
		return;
	}
	if (strcmp(o->type, "exec") == 0) {
		load_exec_output(c, d, n, o);
		return;
	}
	v = ydoc_get(n, "path");
	t = ydoc_str(d, v ? v : n, "output path");
	o->path = config_path(c, t ? t : "-");
}

static void
load_override(struct config *c, struct ydiag *d, const struct ydoc_node *k,
    const struct ydoc_node *n)
{
	struct rule_override	*o;
	const struct ydoc_node	*v;
	unsigned long long	 u;
	int			 b;

	if (k->type != YDOC_SCALAR || ydoc_want(d, n, YDOC_MAP,
	    "a rule override") == -1)
		return;
	ydoc_check_keys(d, n, override_keys, "rule override");
	c->overrides = ks_xreallocarray(c->overrides, c->noverrides + 1,
	    sizeof(*c->overrides));
	o = &c->overrides[c->noverrides++];
	o->id = ks_xstrdup(k->str);
	o->enabled = o->severity = -1;
	o->window = o->cooldown = -1;
	o->threshold = -1;
	if ((v = ydoc_get(n, "enabled")) != NULL &&
	    ydoc_bool(d, v, "enabled", &b) == 0)
		o->enabled = b;
	if ((v = ydoc_get(n, "severity")) != NULL) {
		if (v->type != YDOC_SCALAR ||
		    (o->severity = severity_parse(v->str)) < 0)
			ydiag_add(d, v, "severity must be info, low, medium, "
			    "high or critical");
	}
	if ((v = ydoc_get(n, "window")) != NULL)
		ydoc_duration(d, v, "window", &o->window);
	if ((v = ydoc_get(n, "cooldown")) != NULL)
		ydoc_duration(d, v, "cooldown", &o->cooldown);
	if ((v = ydoc_get(n, "threshold")) != NULL &&
	    ydoc_uint(d, v, "threshold", 1, c->limits.max_threshold, &u) == 0)
		o->threshold = (long long)u;
}

static void
load_limits(struct config *c, struct ydiag *d, const struct ydoc_node *n)
{
	const struct ydoc_node	*v;
	unsigned long long	 u;

	if (ydoc_want(d, n, YDOC_MAP, "limits") == -1)
		return;
	ydoc_check_keys(d, n, limit_keys, "limits");
	if ((v = ydoc_get(n, "max_line_bytes")) != NULL &&
	    ydoc_uint(d, v, "max_line_bytes", 1024, 16u << 20, &u) == 0)
		c->limits.max_line = (size_t)u;
	if ((v = ydoc_get(n, "groups")) != NULL &&
	    ydoc_uint(d, v, "groups", 16, 100000000, &u) == 0)
		c->limits.groups = (size_t)u;
	if ((v = ydoc_get(n, "store_entries")) != NULL &&
	    ydoc_uint(d, v, "store_entries", 16, 100000000, &u) == 0)
		c->limits.store_entries = (size_t)u;
	if ((v = ydoc_get(n, "evidence")) != NULL &&
	    ydoc_uint(d, v, "evidence", 0, 100, &u) == 0)
		c->limits.evidence = (unsigned int)u;
	if ((v = ydoc_get(n, "max_threshold")) != NULL &&
	    ydoc_uint(d, v, "max_threshold", 1, 1000000, &u) == 0)
		c->limits.max_threshold = (unsigned int)u;
	if ((v = ydoc_get(n, "tcp_flows")) != NULL &&
	    ydoc_uint(d, v, "tcp_flows", 16, 10000000, &u) == 0)
		c->limits.tcp_flows = (size_t)u;
	if ((v = ydoc_get(n, "tcp_flow_bytes")) != NULL &&
	    ydoc_uint(d, v, "tcp_flow_bytes", 4096, 64u << 20, &u) == 0)
		c->limits.tcp_flow_bytes = (size_t)u;
	if ((v = ydoc_get(n, "tcp_total_bytes")) != NULL &&
	    ydoc_uint(d, v, "tcp_total_bytes", 65536, UINT64_C(16) << 30,
	    &u) == 0)
		c->limits.tcp_total_bytes = (size_t)u;
	if ((v = ydoc_get(n, "alerts_per_minute")) != NULL &&
	    ydoc_uint(d, v, "alerts_per_minute", 0, 1000000, &u) == 0)
		c->limits.alerts_per_minute = (unsigned int)u;
}

const char *
key_state_name(enum key_state st)
{
	return (size_t)st < KS_ARRAY_LEN(state_names) - 1 ? state_names[st] :
	    "?";
}

int
key_conf_here(const struct config *c, const struct key_conf *k)
{
	if (k->environment == NULL || c->this_environment == NULL)
		return 1;
	return strcmp(k->environment, c->this_environment) == 0;
}

/* A date (2026-09-01, midnight UTC) or an RFC 3339 time. */
static int
load_date(struct ydiag *d, const struct ydoc_node *v, const char *what,
    int64_t *ns)
{
	const char	*s = ydoc_str(d, v, what);

	if (s == NULL)
		return -1;
	if (kstime_parse_day(s, ns) == -1) {
		ydiag_add(d, v, "%s must be a date (2026-09-01) or an RFC 3339 "
		    "time", what);
		return -1;
	}
	return 0;
}

static void
load_generation(struct ydiag *d, const struct ydoc_node *n,
    struct key_conf *k)
{
	const struct ydoc_node	*v;
	struct key_gen		*g;
	const char		*s;
	size_t			 i;

	if (ydoc_want(d, n, YDOC_MAP, "a key generation") == -1)
		return;
	ydoc_check_keys(d, n, gen_keys, "key generation");
	k->gens = ks_xreallocarray(k->gens, k->ngens + 1, sizeof(*k->gens));
	g = &k->gens[k->ngens++];
	memset(g, 0, sizeof(*g));
	v = ydoc_get(n, "fingerprint");
	if ((s = ydoc_str(d, v ? v : n, "a generation's fingerprint")) !=
	    NULL) {
		if (!keys_fp_valid(s))
			ydiag_add(d, v, "\"%s\" is not a fingerprint (sha256: "
			    "and 16 lowercase hex digits, as keysentry "
			    "fingerprint prints it)", s);
		else
			ks_strlcpy(g->fp, s, sizeof(g->fp));
	}
	v = ydoc_get(n, "state");
	if ((s = ydoc_str(d, v ? v : n, "a generation's state")) != NULL) {
		for (i = 0; state_names[i] != NULL; i++)
			if (strcmp(s, state_names[i]) == 0)
				break;
		if (state_names[i] == NULL)
			ydiag_add(d, v, "unknown key state \"%s\" (expected "
			    "current, next, retired, revoked or canary)", s);
		g->state = (enum key_state)i;
	}
	if ((v = ydoc_get(n, "created")) != NULL)
		load_date(d, v, "created", &g->created);
	if ((v = ydoc_get(n, "retired")) != NULL)
		load_date(d, v, "retired", &g->retired);
	if ((v = ydoc_get(n, "revoked")) != NULL)
		load_date(d, v, "revoked", &g->revoked);
	if (g->state == KEY_CURRENT && g->created == 0)
		ydiag_add(d, n, "the current generation needs its created date "
		    "(key-age counts from it)");
}

static void
load_key(struct config *c, struct ydiag *d, const struct ydoc_node *n)
{
	const struct ydoc_node	*v;
	struct key_conf		*k;
	const char		*s;
	size_t			 i, ncur = 0, nnext = 0;

	if (ydoc_want(d, n, YDOC_MAP, "a key") == -1)
		return;
	ydoc_check_keys(d, n, key_keys, "key");
	c->keys = ks_xreallocarray(c->keys, c->nkeys + 1, sizeof(*c->keys));
	k = &c->keys[c->nkeys++];
	memset(k, 0, sizeof(*k));
	k->max_age = 90 * 86400 * KS_NSEC_PER_SEC;
	v = ydoc_get(n, "name");
	k->name = ks_xstrdup((s = ydoc_str(d, v ? v : n, "a key's name")) ?
	    s : "");
	if ((v = ydoc_get(n, "environment")) != NULL &&
	    (s = ydoc_str(d, v, "environment")) != NULL)
		k->environment = ks_xstrdup(s);
	if ((v = ydoc_get(n, "max_age")) != NULL &&
	    ydoc_duration(d, v, "max_age", &k->max_age) == 0 &&
	    k->max_age < 86400 * KS_NSEC_PER_SEC)
		ydiag_add(d, v, "max_age must be at least 1d");
	if ((v = ydoc_get(n, "endpoints")) != NULL &&
	    ydoc_want(d, v, YDOC_SEQ, "endpoints") == 0) {
		k->endpoints = ks_xcalloc(v->n + 1, sizeof(*k->endpoints));
		for (i = 0; i < v->n; i++) {
			if ((s = ydoc_str(d, v->items[i], "an endpoint name"))
			    == NULL)
				continue;
			if (config_endpoint(c, s) == NULL)
				ydiag_add(d, v->items[i], "no endpoint named "
				    "\"%s\"", s);
			k->endpoints[k->nendpoints++] = ks_xstrdup(s);
		}
	}
	v = ydoc_get(n, "generations");
	if (v == NULL)
		ydiag_add(d, n, "key %s has no generations", k->name);
	else if (ydoc_want(d, v, YDOC_SEQ, "generations") == 0)
		for (i = 0; i < v->n; i++)
			load_generation(d, v->items[i], k);
	for (i = 0; i < k->ngens; i++) {
		ncur += k->gens[i].state == KEY_CURRENT;
		nnext += k->gens[i].state == KEY_NEXT;
	}
	if (ncur > 1 || nnext > 1)
		ydiag_add(d, v ? v : n, "key %s has %zu current and %zu next "
		    "generations (at most one of each)", k->name, ncur, nnext);
}

/*
 * A fingerprint registered twice is a key used twice: in two
 * environments, or as two generations.  The runbook forbids both.
 */
static void
check_keys(struct config *c, struct ydiag *d, const struct ydoc_node *n)
{
	size_t i, j, a, b;

	for (i = 0; i < c->nkeys; i++)
		for (a = 0; a < c->keys[i].ngens; a++)
			for (j = i; j < c->nkeys; j++)
				for (b = j == i ? a + 1 : 0;
				    b < c->keys[j].ngens; b++)
					if (c->keys[i].gens[a].fp[0] != '\0' &&
					    strcmp(c->keys[i].gens[a].fp,
					    c->keys[j].gens[b].fp) == 0)
						ydiag_add(d, n, "fingerprint "
						    "%s is registered twice (%s "
						    "%s, %s %s): a key value "
						    "is never reused",
						    c->keys[i].gens[a].fp,
						    c->keys[i].name,
						    c->keys[i].environment ?
						    c->keys[i].environment :
						    "-", c->keys[j].name,
						    c->keys[j].environment ?
						    c->keys[j].environment :
						    "-");
}

/* Builds a config from a loaded document; NULL if diag got errors. */
static struct config *
config_from_doc(const char *path, struct ydoc *doc, struct ydiag *d)
{
	struct config		*c;
	const struct ydoc_node	*root, *v;
	const char		*s;
	size_t			 i;

	if (doc->ndocs > 1) {
		ydiag_add(d, doc->docs[1], "the config must be a single YAML "
		    "document");
		return NULL;
	}
	c = config_default(path);
	root = doc->ndocs ? doc->docs[0] : NULL;
	if (root == NULL || ydoc_is_null(root))
		goto done;		/* an empty file: all defaults */
	if (ydoc_want(d, root, YDOC_MAP, "the config") == -1)
		goto done;
	ydoc_check_keys(d, root, top_keys, "config");

	if ((v = ydoc_get(root, "limits")) != NULL)
		load_limits(c, d, v);
	if ((v = ydoc_get(root, "store")) != NULL &&
	    (s = ydoc_str(d, v, "store")) != NULL) {
		char err[256];
		if (rconn_accepts(s)) {
			if (rconn_check_url(s, err, sizeof(err)) == -1)
				ydiag_add(d, v, "store: %s", err);
		} else if (strcmp(s, "memory") != 0)
			ydiag_add(d, v, "unknown store \"%s\" (expected memory, "
			    "redis://[user:password@]host:port/db or "
			    "unix:///path?db=N)", s);
		free(c->store);
		c->store = ks_xstrdup(s);
	}
	if ((v = ydoc_get(root, "key_prefix")) != NULL &&
	    (s = ydoc_str(d, v, "key_prefix")) != NULL) {
		free(c->key_prefix);
		c->key_prefix = ks_xstrdup(s);
	}
	if ((v = ydoc_get(root, "max_skew")) != NULL &&
	    ydoc_duration(d, v, "max_skew", &c->max_skew) == 0 &&
	    c->max_skew > 60 * KS_NSEC_PER_SEC)
		ydiag_add(d, v, "max_skew must be at most 60s");
	if ((v = ydoc_get(root, "rules")) != NULL) {
		const struct ydoc_node *list = v;
		for (i = 0; i < c->nrules; i++)
			free(c->rules[i]);
		c->nrules = 0;
		if (v->type == YDOC_SCALAR) {
			if ((s = ydoc_str(d, v, "rules")) != NULL)
				c->rules[c->nrules++] = config_path(c, s);
		} else if (ydoc_want(d, list, YDOC_SEQ, "rules") == 0) {
			c->rules = ks_xreallocarray(c->rules,
			    list->n ? list->n : 1, sizeof(*c->rules));
			for (i = 0; i < list->n; i++)
				if ((s = ydoc_str(d, list->items[i],
				    "a rules path")) != NULL)
					c->rules[c->nrules++] =
					    config_path(c, s);
		}
	}
	if ((v = ydoc_get(root, "endpoints")) != NULL &&
	    ydoc_want(d, v, YDOC_SEQ, "endpoints") == 0)
		for (i = 0; i < v->n; i++)
			load_endpoint(c, d, v->items[i]);
	if ((v = ydoc_get(root, "sources")) != NULL &&
	    ydoc_want(d, v, YDOC_SEQ, "sources") == 0)
		for (i = 0; i < v->n; i++)
			load_source(c, d, v->items[i]);
	if ((v = ydoc_get(root, "outputs")) != NULL &&
	    ydoc_want(d, v, YDOC_SEQ, "outputs") == 0)
		for (i = 0; i < v->n; i++)
			load_output(c, d, v->items[i]);
	if ((v = ydoc_get(root, "rule_overrides")) != NULL &&
	    ydoc_want(d, v, YDOC_MAP, "rule_overrides") == 0)
		for (i = 0; i < v->n; i++)
			load_override(c, d, v->items[2 * i],
			    v->items[2 * i + 1]);
	if ((v = ydoc_get(root, "hostname")) != NULL &&
	    (s = ydoc_str(d, v, "hostname")) != NULL) {
		free(c->hostname);
		c->hostname = ks_xstrdup(s);
	}
	if ((v = ydoc_get(root, "allowed_lateness")) != NULL)
		ydoc_duration(d, v, "allowed_lateness", &c->lateness);
	if ((v = ydoc_get(root, "this_environment")) != NULL &&
	    (s = ydoc_str(d, v, "this_environment")) != NULL)
		c->this_environment = ks_xstrdup(s);
	if ((v = ydoc_get(root, "rotation_grace")) != NULL &&
	    ydoc_duration(d, v, "rotation_grace", &c->rotation_grace) == 0 &&
	    c->rotation_grace > 3600 * KS_NSEC_PER_SEC)
		ydiag_add(d, v, "rotation_grace must be at most 1h");
	if ((v = ydoc_get(root, "keys")) != NULL &&
	    ydoc_want(d, v, YDOC_SEQ, "keys") == 0) {
		for (i = 0; i < v->n; i++)
			load_key(c, d, v->items[i]);
		check_keys(c, d, v);
	}
	load_daemon(c, d, root);
done:
	if (d->total > 0) {
		config_free(c);
		return NULL;
	}
	return c;
}

struct config *
config_load(const char *path, struct ydiag *d)
{
	struct ydoc	*doc;
	struct config	*c;
	char		 err[1024];

	if ((doc = ydoc_load_file(path, err, sizeof(err))) == NULL) {
		ydiag_add_text(d, err);
		return NULL;
	}
	c = config_from_doc(path, doc, d);
	ydoc_free(doc);
	return c;
}

struct config *
config_load_buffer(const char *name, const char *buf, size_t len,
    struct ydiag *d)
{
	struct ydoc	*doc;
	struct config	*c;
	char		 err[1024];

	if ((doc = ydoc_load_buffer(name, buf, len, err, sizeof(err))) ==
	    NULL) {
		ydiag_add_text(d, err);
		return NULL;
	}
	c = config_from_doc(name, doc, d);
	ydoc_free(doc);
	return c;
}

void
config_free(struct config *c)
{
	size_t	i;
	int	f, j;

	if (c == NULL)
		return;
	for (i = 0; i < c->nendpoints; i++) {
		free(c->endpoints[i].name);
		free(c->endpoints[i].method);
		free(c->endpoints[i].path);
		free(c->endpoints[i].key_header);
		free(c->endpoints[i].allowed);
		for (j = 0; (size_t)j < c->endpoints[i].nnames; j++)
			free(c->endpoints[i].names[j]);
		free(c->endpoints[i].names);
		addrset_clear(&c->endpoints[i].resolved);
	}
	free(c->endpoints);
	for (i = 0; i < c->nsources; i++) {
		free(c->sources[i].path);
		free(c->sources[i].interface);
		free(c->sources[i].filter);
		free((char *)c->sources[i].dopts.format);
		for (f = 0; f < DF_COUNT_; f++)
			for (j = 0; c->sources[i].dopts.fields[f][j]; j++)
				free((char *)c->sources[i].dopts.fields[f][j]);
	}
	free(c->sources);
	for (i = 0; i < c->nkeys; i++) {
		free(c->keys[i].name);
		free(c->keys[i].environment);
		for (j = 0; (size_t)j < c->keys[i].nendpoints; j++)
			free(c->keys[i].endpoints[j]);
		free(c->keys[i].endpoints);
		free(c->keys[i].gens);
	}
	free(c->keys);
	free(c->this_environment);
	for (i = 0; i < c->nextra_key_headers; i++)
		free(c->extra_key_headers[i]);
	free(c->extra_key_headers);
	for (i = 0; i < c->noutputs; i++) {
		free(c->outputs[i].type);
		free(c->outputs[i].path);
		free(c->outputs[i].url);
		free(c->outputs[i].stream);
		free(c->outputs[i].address);
		for (j = 0; (size_t)j < c->outputs[i].nrules; j++)
			free(c->outputs[i].rules[j]);
		free(c->outputs[i].rules);
		for (j = 0; (size_t)j < c->outputs[i].nargv; j++)
			free(c->outputs[i].argv[j]);
		free(c->outputs[i].argv);
	}
	free(c->outputs);
	for (i = 0; i < c->noverrides; i++)
		free(c->overrides[i].id);
	free(c->overrides);
	for (i = 0; i < c->nrules; i++)
		free(c->rules[i]);
	free(c->rules);
	free(c->store);
	free(c->key_prefix);
	free(c->hostname);
	free(c->file);
	free(c->dir);
	free(c->state_dir);
	for (i = 0; i < c->ndns_servers; i++)
		free(c->dns_servers[i]);
	free(c->dns_servers);
	free(c->stats_file);
	free(c->user);
	free(c);
}

const struct endpoint_conf *
config_endpoint(const struct config *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nendpoints; i++)
		if (c->endpoints[i].name != NULL &&
		    strcmp(c->endpoints[i].name, name) == 0)
			return &c->endpoints[i];
	return NULL;
}

const struct rule_override *
config_override(const struct config *c, const char *id)
{
	size_t i;

	for (i = 0; i < c->noverrides; i++)
		if (strcmp(c->overrides[i].id, id) == 0)
			return &c->overrides[i];
	return NULL;
}
