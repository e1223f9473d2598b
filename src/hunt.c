/* keysentry hunt (see hunt.h). */
#include "autoconfig.h"

#include <dirent.h>
#include <glob.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <jansson.h>

#include "addr.h"
#include "hunt.h"
#include "kstime.h"
#include "log.h"
#include "lru.h"
#include "replay.h"
#include "util.h"

#define USE_STATUSES	16	/* distinct statuses kept per source */
#define USE_LISTS	16	/* endpoints, files kept per source */

struct use {
	int64_t		first, last;
	uint64_t	count, accepted;
	int		status[USE_STATUSES];
	uint64_t	nstatus[USE_STATUSES];
	int		nst;
	int32_t		endpoint[USE_LISTS];
	int		nep;
	uint32_t	input[USE_LISTS];
	int		nin;
};

struct exposure {
	int64_t		 ts;
	uint32_t	 input;
	uint64_t	 line;
	char		*masked;
};

struct hunt {
	const struct hunt_opts	*o;
	struct engine		*e;
	struct lru		*uses;		/* source address -> struct use */
	uint64_t		 nuses, naccepted, unlisted_uses;
	struct exposure		*x;
	size_t			 nx;
	uint64_t		 unlisted_x;
};

static int
path_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds path unless it is there already. */
static void
add_path(char ***paths, size_t *n, const char *path)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (strcmp((*paths)[i], path) == 0)
			return;
	*paths = ks_xreallocarray(*paths, *n + 1, sizeof(**paths));
	(*paths)[(*n)++] = ks_xstrdup(path);
}

/* A file and the generations rotated beside it. */
static void
add_generations(char ***paths, size_t *n, const char *path)
{
	char		 dir[4096];
	const char	*slash = strrchr(path, '/'), *base;
	size_t		 blen;
	DIR		*d;
	struct dirent	*de;
	struct stat	 sb;

	if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode))
		add_path(paths, n, path);
	if (slash == NULL) {
		ks_strlcpy(dir, ".", sizeof(dir));
		base = path;
	} else {
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path) ?
		    (int)(slash - path) : 1, path);
		base = slash + 1;
	}
	blen = strlen(base);
	if (blen == 0 || (d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		char full[8192];
		size_t nl = strlen(de->d_name);
		if (strncmp(de->d_name, base, blen) != 0 ||
		    (de->d_name[blen] != '.' && de->d_name[blen] != '-'))
			continue;
		/* what replay cannot read (it takes gzip by its magic) */
		if ((nl > 4 && (strcmp(de->d_name + nl - 4, ".bz2") == 0 ||
		    strcmp(de->d_name + nl - 4, ".zst") == 0)) ||
		    (nl > 3 && strcmp(de->d_name + nl - 3, ".xz") == 0)) {
			log_warnx("hunt: %s/%s: compressed in a format keysentry "
			    "does not read; decompress it and give it", dir,
			    de->d_name);
			continue;
		}
		snprintf(full, sizeof(full), "%s/%s", dir, de->d_name);
		if (stat(full, &sb) == 0 && S_ISREG(sb.st_mode))
			add_path(paths, n, full);
	}
	closedir(d);
}

size_t
hunt_config_paths(const struct config *cfg, char ***paths)
{
	size_t	i, k, n = 0;
	glob_t	g;

	*paths = NULL;
	for (i = 0; i < cfg->nsources; i++) {
		const struct source_conf *sc = &cfg->sources[i];
		if (sc->type != SOURCE_FILE || sc->path == NULL)
			continue;
		memset(&g, 0, sizeof(g));
		if (strpbrk(sc->path, "*?[") == NULL)
			add_generations(paths, &n, sc->path);
		else if (glob(sc->path, 0, NULL, &g) == 0) {
			for (k = 0; k < g.gl_pathc; k++)
				add_generations(paths, &n, g.gl_pathv[k]);
			globfree(&g);
		}
	}
	if (n > 1)
		qsort(*paths, n, sizeof(**paths), path_cmp);
	return n;
}

static int
in_range(const struct hunt *h, int64_t ts)
{
	return (h->o->since == 0 || ts >= h->o->since) &&
	    (h->o->until == 0 || ts <= h->o->until);
}

static void
add_int(int32_t *list, int *n, int32_t v)
{
	int i;

	for (i = 0; i < *n; i++)
		if (list[i] == v)
			return;
	if (*n < USE_LISTS)
		list[(*n)++] = v;
}

/* Every event, enriched: a use of the fingerprint? */
static void
tap(void *arg, const struct event *ev)
{
	struct hunt	*h = arg;
	struct use	*u;
	char		 a[ADDR_STRLEN];
	int		 created, i;

	if (strcmp(ev->key_fp, h->o->fingerprint) != 0 || !in_range(h, ev->ts))
		return;
	h->nuses++;
	if ((ev->flags & EV_HAS_STATUS) && ev->status >= 200 &&
	    ev->status < 300)
		h->naccepted++;
	if (ev->flags & EV_HAS_SRC)
		addr_format(&ev->src, a, sizeof(a));
	else
		snprintf(a, sizeof(a), "-");
	u = lru_get(h->uses, a, strlen(a), NULL);
	if (u == NULL) {
		if (lru_count(h->uses) >= HUNT_MAX_SOURCES) {
			h->unlisted_uses++;
			return;
		}
		u = lru_put(h->uses, a, strlen(a), sizeof(*u), &created);
		memset(u, 0, sizeof(*u));
		u->first = ev->ts;
	}
	if (ev->ts < u->first)
		u->first = ev->ts;
	if (ev->ts > u->last)
		u->last = ev->ts;
	u->count++;
	if ((ev->flags & EV_HAS_STATUS) && ev->status >= 200 &&
	    ev->status < 300)
		u->accepted++;
	if (ev->flags & EV_HAS_STATUS) {
		for (i = 0; i < u->nst; i++)
			if (u->status[i] == ev->status)
				break;
		if (i == u->nst && u->nst < USE_STATUSES)
			u->status[u->nst++] = ev->status;
		if (i < u->nst)
			u->nstatus[i]++;
	}
	if (ev->endpoint >= 0)
		add_int(u->endpoint, &u->nep, ev->endpoint);
	add_int((int32_t *)u->input, &u->nin, (int32_t)ev->input);
}

/* Every record with key-like tokens: the fingerprint written out? */
static void
tokens(void *arg, const char *input, uint64_t lineno, int64_t ts,
    const char *line, size_t len, const struct keys_span *sp, size_t n)
{
	struct hunt	*h = arg;
	char		 fp[KEYS_FP_LEN + 1], masked[1024];
	size_t		 i, j;

	for (i = 0; i < n; i++) {
		if (keys_fingerprint(line + sp[i].off, sp[i].len, fp) == -1 ||
		    strcmp(fp, h->o->fingerprint) != 0)
			continue;
		if (!in_range(h, ts))
			return;
		if (h->nx == HUNT_MAX_EXPOSURES) {
			h->unlisted_x++;
			return;
		}
		h->x = ks_xreallocarray(h->x, h->nx + 1, sizeof(*h->x));
		h->x[h->nx].ts = ts;
		h->x[h->nx].input = h->e->ninputs > 0 ?
		    (uint32_t)(h->e->ninputs - 1) : 0;
		for (j = 0; j < h->e->ninputs; j++)
			if (strcmp(h->e->inputs[j], input) == 0)
				h->x[h->nx].input = (uint32_t)j;
		h->x[h->nx].line = lineno;
		h->x[h->nx].masked = ks_xstrdup(keys_mask(line, len, sp, n,
		    masked, sizeof(masked)));
		h->nx++;
		return;
	}
}

static json_t *
jtime(int64_t ns)
{
	char buf[KSTIME_STRLEN];

	kstime_format(ns, buf, sizeof(buf));
	return json_string(buf);
}

/* A string from a file, made valid UTF-8 for jansson. */
static json_t *
jstr(const char *s)
{
	char buf[2048];

	ks_utf8_sanitize(s, strlen(s), buf, sizeof(buf));
	return json_string(buf);
}

struct collect {
	struct hunt	*h;
	json_t		*arr;
	uint64_t	 sources;
};

static void
use_json(void *arg, const void *key, size_t klen, void *val)
{
	struct collect		*c = arg;
	const struct use	*u = val;
	const struct config	*cfg = c->h->e->cfg;
	json_t			*o = json_object(), *st = json_object();
	json_t			*eps = json_array(), *files = json_array();
	char			 a[ADDR_STRLEN + 1], code[8];
	int			 i;

	snprintf(a, sizeof(a), "%.*s", (int)klen, (const char *)key);
	json_object_set_new(o, "source", json_pack("{s:s}", "ip", a));
	json_object_set_new(o, "first_seen", jtime(u->first));
	json_object_set_new(o, "last_seen", jtime(u->last));
	json_object_set_new(o, "count", json_integer((json_int_t)u->count));
	json_object_set_new(o, "accepted",
	    json_integer((json_int_t)u->accepted));
	for (i = 0; i < u->nst; i++) {
		snprintf(code, sizeof(code), "%d", u->status[i]);
		json_object_set_new(st, code,
		    json_integer((json_int_t)u->nstatus[i]));
	}
	json_object_set_new(o, "statuses", st);
	for (i = 0; i < u->nep; i++)
		if ((size_t)u->endpoint[i] < cfg->nendpoints)
			json_array_append_new(eps, json_string(
			    cfg->endpoints[u->endpoint[i]].name));
	json_object_set_new(o, "endpoints", eps);
	for (i = 0; i < u->nin; i++)
		if (u->input[i] < c->h->e->ninputs)
			json_array_append_new(files,
			    jstr(c->h->e->inputs[u->input[i]]));
	json_object_set_new(o, "files", files);
	json_array_append_new(c->arr, o);
	c->sources++;
}

static int
by_first_seen(const void *a, const void *b)
{
	const char *x = json_string_value(json_object_get(*(json_t *
	    const *)a, "first_seen"));
	const char *y = json_string_value(json_object_get(*(json_t *
	    const *)b, "first_seen"));

	return strcmp(x, y);
}

/* The uses, sorted by their first time (RFC 3339 UTC sorts as text). */
static json_t *
uses_json(struct hunt *h, uint64_t *sources)
{
	struct collect	 c = { h, json_array(), 0 };
	json_t		**v, *sorted = json_array();
	size_t		 i, n;

	lru_foreach(h->uses, use_json, &c);
	n = json_array_size(c.arr);
	v = ks_xcalloc(n + 1, sizeof(*v));
	for (i = 0; i < n; i++)
		v[i] = json_array_get(c.arr, i);
	qsort(v, n, sizeof(*v), by_first_seen);
	for (i = 0; i < n; i++)
		json_array_append(sorted, v[i]);
	free(v);
	json_decref(c.arr);
	*sources = c.sources;
	return sorted;
}

static void
summary(const struct hunt *h, uint64_t sources)
{
	size_t i;

	fprintf(stderr, "keysentry: hunt %s: %" PRIu64 " uses from %" PRIu64
	    " sources (%" PRIu64 " accepted); %zu plain-text exposures\n",
	    h->o->fingerprint, h->nuses, sources + (h->unlisted_uses ? 1 : 0),
	    h->naccepted, h->nx + (size_t)h->unlisted_x);
	for (i = 0; i < h->nx && i < 10; i++)
		fprintf(stderr, "keysentry:   written out in %s line %" PRIu64
		    "\n", h->e->inputs[h->x[i].input], h->x[i].line);
	if (h->nuses == 0 && h->nx == 0)
		fprintf(stderr, "keysentry: hunt: nothing found; logs carry no "
		    "keys, so only captures show uses\n");
}

int
hunt_run(struct engine *e, const struct hunt_opts *o, char *const *paths,
    int npaths, FILE *out)
{
	struct hunt		 h;
	struct replay_opts	 ro;
	json_t			*doc, *meta, *files, *xs, *x;
	uint64_t		 sources = 0;
	size_t			 i;
	int			 rc, wrc;

	memset(&h, 0, sizeof(h));
	h.o = o;
	h.e = e;
	h.uses = lru_new(HUNT_MAX_SOURCES, NULL, NULL);
	e->tap = tap;
	e->tap_arg = &h;
	e->no_detect = 1;
	e->rs->on_tokens = tokens;
	e->rs->tokens_arg = &h;
	memset(&ro, 0, sizeof(ro));
	ro.format = o->format;
	ro.quiet = 1;
	rc = replay_run(e, paths, npaths, &ro);

	doc = json_object();
	meta = json_object();
	json_object_set_new(meta, "fingerprint", json_string(o->fingerprint));
	if (o->since != 0)
		json_object_set_new(meta, "since", jtime(o->since));
	if (o->until != 0)
		json_object_set_new(meta, "until", jtime(o->until));
	files = json_array();
	for (i = 0; i < e->ninputs; i++)
		json_array_append_new(files, jstr(e->inputs[i]));
	json_object_set_new(meta, "files", files);
	json_object_set_new(meta, "generated", jtime(kstime_now()));
	json_object_set_new(meta, "version", json_string(PACKAGE_VERSION));
	json_object_set_new(meta, "complete", json_boolean(rc == 0));
	json_object_set_new(doc, "hunt", meta);
	json_object_set_new(doc, "uses", uses_json(&h, &sources));
	xs = json_array();
	for (i = 0; i < h.nx; i++) {
		x = json_object();
		json_object_set_new(x, "@timestamp", jtime(h.x[i].ts));
		json_object_set_new(x, "log", json_pack("{s:{s:o}}", "file",
		    "path", jstr(e->inputs[h.x[i].input])));
		json_object_set_new(x, "line",
		    json_integer((json_int_t)h.x[i].line));
		json_object_set_new(x, "event", json_pack("{s:o}", "original",
		    jstr(h.x[i].masked)));
		json_array_append_new(xs, x);
	}
	json_object_set_new(doc, "exposures", xs);
	json_object_set_new(doc, "summary", json_pack("{s:I, s:I, s:I, s:I,"
	    " s:I, s:I}", "uses", (json_int_t)h.nuses, "sources",
	    (json_int_t)sources, "accepted", (json_int_t)h.naccepted,
	    "exposures", (json_int_t)(h.nx + h.unlisted_x),
	    "uses_not_listed", (json_int_t)h.unlisted_uses,
	    "exposures_not_listed", (json_int_t)h.unlisted_x));
	wrc = json_dumpf(doc, out, JSON_INDENT(2) | JSON_ENSURE_ASCII);
	json_decref(doc);
	if (wrc == -1 || fputc('\n', out) == EOF || fflush(out) == EOF) {
		log_warn("hunt: writing the report");
		rc = 1;
	}
	if (!o->quiet)
		summary(&h, sources);
	for (i = 0; i < h.nx; i++)
		free(h.x[i].masked);
	free(h.x);
	lru_free(h.uses);
	return rc;
}
