/*
 * YAML to a marked tree (see ydoc.h).  The builder keeps an explicit stack
 * of open collections instead of recursing, so depth is bounded by a check
 * rather than by the C stack.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "log.h"
#include "util.h"
#include "ydoc.h"

void
ydoc_errorf(char *err, size_t errlen, const char *file,
    const struct ydoc_node *at, const char *fmt, ...)
{
	char	msg[512];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (at != NULL)
		snprintf(err, errlen, "%s:%u:%u: %s", file, at->line, at->col,
		    msg);
	else
		snprintf(err, errlen, "%s:1:1: %s", file, msg);
}

static void
node_free(struct ydoc_node *n)
{
	size_t i, count;

	if (n == NULL)
		return;
	count = n->type == YDOC_MAP ? 2 * n->n : n->n;
	for (i = 0; i < count; i++)
		node_free(n->items[i]);
	free(n->items);
	free(n->str);
	free(n);
}

void
ydoc_free(struct ydoc *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->ndocs; i++)
		node_free(d->docs[i]);
	free(d->docs);
	free(d->file);
	free(d);
}

struct builder {
	struct ydoc_node	*stack[YDOC_MAX_DEPTH];
	size_t			 cap[YDOC_MAX_DEPTH];
	int			 depth;
	size_t			 nodes;
};

/*
 * Adds a child to an open collection.  A map's items alternate key and
 * value, and its n counts items until MAPPING_END halves it into pairs.
 */
static void
append(struct ydoc_node *parent, size_t *cap, struct ydoc_node *child)
{
	if (parent->n == *cap) {
		*cap = *cap ? *cap * 2 : 8;
		parent->items = ks_xreallocarray(parent->items, *cap,
		    sizeof(*parent->items));
	}
	parent->items[parent->n++] = child;
}

static struct ydoc_node *
new_node(enum ydoc_type type, const yaml_mark_t *mark)
{
	struct ydoc_node *n = ks_xcalloc(1, sizeof(*n));

	n->type = type;
	n->line = (unsigned int)mark->line + 1;
	n->col = (unsigned int)mark->column + 1;
	return n;
}

struct ydoc_node *
ydoc_get(const struct ydoc_node *map, const char *key)
{
	size_t i;

	if (map == NULL || map->type != YDOC_MAP)
		return NULL;
	for (i = 0; i < map->n; i++)
		if (map->items[2 * i]->type == YDOC_SCALAR &&
		    strcmp(map->items[2 * i]->str, key) == 0)
			return map->items[2 * i + 1];
	return NULL;
}

int
ydoc_is_null(const struct ydoc_node *n)
{
	if (n == NULL)
		return 1;
	if (n->type != YDOC_SCALAR || !n->plain)
		return 0;
	return n->len == 0 || strcmp(n->str, "~") == 0 ||
	    strcmp(n->str, "null") == 0 || strcmp(n->str, "Null") == 0 ||
	    strcmp(n->str, "NULL") == 0;
}

/* Checks a finished map for duplicate keys; returns the duplicate or NULL. */
static struct ydoc_node *
dup_key(const struct ydoc_node *map)
{
	size_t i, j;

	for (i = 1; i < map->n; i++) {
		const struct ydoc_node *k = map->items[2 * i];
		if (k->type != YDOC_SCALAR)
			continue;
		for (j = 0; j < i; j++) {
			const struct ydoc_node *o = map->items[2 * j];
			if (o->type == YDOC_SCALAR && o->len == k->len &&
			    memcmp(o->str, k->str, k->len) == 0)
				return map->items[2 * i];
		}
	}
	return NULL;
}

struct ydoc *
ydoc_load_buffer(const char *name, const char *buf, size_t len, char *err,
    size_t errlen)
{
	yaml_parser_t		 parser;
	yaml_event_t		 ev;
	struct ydoc		*doc;
	struct builder		 b;
	struct ydoc_node	*n, *top, *dup;
	int			 done = 0, ok = 0;

	memset(&b, 0, sizeof(b));
	doc = ks_xcalloc(1, sizeof(*doc));
	doc->file = ks_xstrdup(name);
	if (len > YDOC_MAX_BYTES) {
		snprintf(err, errlen, "%s:1:1: file larger than %u bytes",
		    name, YDOC_MAX_BYTES);
		ydoc_free(doc);
		return NULL;
	}
	if (!yaml_parser_initialize(&parser))
		fatalx("yaml_parser_initialize failed");
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);

	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			snprintf(err, errlen, "%s:%zu:%zu: %s%s%s", name,
			    parser.problem_mark.line + 1,
			    parser.problem_mark.column + 1,
			    parser.problem ? parser.problem : "syntax error",
			    parser.context ? " " : "",
			    parser.context ? parser.context : "");
			goto out;
		}
		n = NULL;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_ALIAS_EVENT:
			snprintf(err, errlen, "%s:%zu:%zu: YAML aliases are "
			    "not supported", name, ev.start_mark.line + 1,
			    ev.start_mark.column + 1);
			yaml_event_delete(&ev);
			goto out;
		case YAML_SCALAR_EVENT:
			n = new_node(YDOC_SCALAR, &ev.start_mark);
			n->len = ev.data.scalar.length;
			n->str = ks_xstrndup((const char *)ev.data.scalar.value,
			    n->len);
			if (strlen(n->str) != n->len) {
				snprintf(err, errlen, "%s:%u:%u: NUL byte in "
				    "a scalar", name, n->line, n->col);
				node_free(n);
				yaml_event_delete(&ev);
				goto out;
			}
			n->plain = ev.data.scalar.style ==
			    YAML_PLAIN_SCALAR_STYLE;
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (b.depth >= YDOC_MAX_DEPTH) {
				snprintf(err, errlen, "%s:%zu:%zu: nesting "
				    "deeper than %d", name,
				    ev.start_mark.line + 1,
				    ev.start_mark.column + 1, YDOC_MAX_DEPTH);
				yaml_event_delete(&ev);
				goto out;
			}
			n = new_node(ev.type == YAML_SEQUENCE_START_EVENT ?
			    YDOC_SEQ : YDOC_MAP, &ev.start_mark);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			top = b.stack[--b.depth];
			if (top->type == YDOC_MAP) {
				top->n /= 2;
				if ((dup = dup_key(top)) != NULL) {
					snprintf(err, errlen, "%s:%u:%u: "
					    "duplicate key \"%s\"", name,
					    dup->line, dup->col, dup->str);
					if (b.depth == 0)
						node_free(top);
					yaml_event_delete(&ev);
					goto out;
				}
			}
			if (b.depth == 0) {
				doc->docs = ks_xreallocarray(doc->docs,
				    doc->ndocs + 1, sizeof(*doc->docs));
				doc->docs[doc->ndocs++] = top;
			}
			break;
		default:
			break;
		}
		if (n != NULL) {
			if (++b.nodes > YDOC_MAX_NODES) {
				snprintf(err, errlen, "%s:%u:%u: more than %d "
				    "nodes", name, n->line, n->col,
				    YDOC_MAX_NODES);
				node_free(n);
				yaml_event_delete(&ev);
				goto out;
			}
			if (b.depth > 0)
				append(b.stack[b.depth - 1],
				    &b.cap[b.depth - 1], n);
			if (n->type != YDOC_SCALAR) {
				b.stack[b.depth] = n;
				b.cap[b.depth] = 0;
				b.depth++;
			} else if (b.depth == 0) {
				doc->docs = ks_xreallocarray(doc->docs,
				    doc->ndocs + 1, sizeof(*doc->docs));
				doc->docs[doc->ndocs++] = n;
			}
		}
		yaml_event_delete(&ev);
	}
	ok = 1;
out:
	/* on error, free what is still only reachable from the stack */
	if (!ok && b.depth > 0) {
		int i;
		/*
		 * Deepest first: a key still waiting for its value may be
		 * the open collection one level down (a flow mapping used
		 * as a key), which must be whole before it is freed.
		 */
		for (i = b.depth - 1; i >= 0; i--) {
			struct ydoc_node *m = b.stack[i];
			if (m->type != YDOC_MAP)
				continue;
			if (m->n % 2 == 1)
				node_free(m->items[--m->n]);
			m->n /= 2;
		}
		node_free(b.stack[0]);
	}
	yaml_parser_delete(&parser);
	if (!ok) {
		ydoc_free(doc);
		return NULL;
	}
	return doc;
}

struct ydoc *
ydoc_load_file(const char *path, char *err, size_t errlen)
{
	FILE		*f;
	struct stat	 st;
	char		*buf;
	size_t		 got;
	struct ydoc	*doc;

	if ((f = fopen(path, "rb")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		fclose(f);
		return NULL;
	}
	if ((size_t)st.st_size > YDOC_MAX_BYTES) {
		snprintf(err, errlen, "%s:1:1: file larger than %u bytes",
		    path, YDOC_MAX_BYTES);
		fclose(f);
		return NULL;
	}
	buf = ks_xmalloc((size_t)st.st_size + 1);
	got = fread(buf, 1, (size_t)st.st_size, f);
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	doc = ydoc_load_buffer(path, buf, got, err, errlen);
	free(buf);
	return doc;
}

void
ydiag_init(struct ydiag *d, const char *file)
{
	memset(d, 0, sizeof(*d));
	d->file = file;
}

static void
ydiag_push(struct ydiag *d, char *msg)
{
	d->total++;
	if (d->n >= YDIAG_MAX) {
		free(msg);
		return;
	}
	d->msgs = ks_xreallocarray(d->msgs, d->n + 1, sizeof(*d->msgs));
	d->msgs[d->n++] = msg;
}

void
ydiag_add(struct ydiag *d, const struct ydoc_node *at, const char *fmt, ...)
{
	char	msg[512], full[1024];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (at != NULL)
		snprintf(full, sizeof(full), "%s:%u:%u: %s", d->file,
		    at->line, at->col, msg);
	else
		snprintf(full, sizeof(full), "%s: %s", d->file, msg);
	ydiag_push(d, ks_xstrdup(full));
}

void
ydiag_add_text(struct ydiag *d, const char *msg)
{
	ydiag_push(d, ks_xstrdup(msg));
}

void
ydiag_move(struct ydiag *dst, struct ydiag *src)
{
	size_t i;

	for (i = 0; i < src->n; i++)
		ydiag_push(dst, src->msgs[i]);
	dst->total += src->total - src->n;
	free(src->msgs);
	src->msgs = NULL;
	src->n = src->total = 0;
}

void
ydiag_free(struct ydiag *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		free(d->msgs[i]);
	free(d->msgs);
	d->msgs = NULL;
	d->n = d->total = 0;
}

static const char *
type_name(enum ydoc_type t)
{
	switch (t) {
	case YDOC_SCALAR:
		return "a scalar";
	case YDOC_SEQ:
		return "a list";
	default:
		return "a mapping";
	}
}

int
ydoc_want(struct ydiag *d, const struct ydoc_node *n, enum ydoc_type t,
    const char *what)
{
	if (n == NULL || n->type != t) {
		ydiag_add(d, n, "%s must be %s", what, type_name(t));
		return -1;
	}
	return 0;
}

int
ydoc_check_keys(struct ydiag *d, const struct ydoc_node *map,
    const char *const *allowed, const char *what)
{
	size_t	i, j;
	int	bad = 0;
	char	list[512];
	size_t	o = 0;

	list[0] = '\0';
	for (j = 0; allowed[j] != NULL; j++)
		o += (size_t)snprintf(list + o, o < sizeof(list) ?
		    sizeof(list) - o : 0, "%s%s", j ? ", " : "", allowed[j]);
	for (i = 0; i < map->n; i++) {
		const struct ydoc_node *k = map->items[2 * i];
		if (k->type != YDOC_SCALAR) {
			ydiag_add(d, k, "%s: keys must be scalars", what);
			bad = 1;
			continue;
		}
		for (j = 0; allowed[j] != NULL; j++)
			if (strcmp(allowed[j], k->str) == 0)
				break;
		if (allowed[j] == NULL) {
			ydiag_add(d, k, "%s: unknown key \"%s\" (expected "
			    "one of: %s)", what, k->str, list);
			bad = 1;
		}
	}
	return bad ? -1 : 0;
}

const char *
ydoc_str(struct ydiag *d, const struct ydoc_node *n, const char *what)
{
	if (n == NULL || n->type != YDOC_SCALAR || ydoc_is_null(n)) {
		ydiag_add(d, n, "%s must be a non-empty string", what);
		return NULL;
	}
	return n->str;
}

int
ydoc_uint(struct ydiag *d, const struct ydoc_node *n, const char *what,
    unsigned long long min, unsigned long long max, unsigned long long *out)
{
	unsigned long long	 v = 0;
	size_t			 i;

	if (n == NULL || n->type != YDOC_SCALAR || n->len == 0 || n->len > 19)
		goto bad;
	for (i = 0; i < n->len; i++) {
		if (n->str[i] < '0' || n->str[i] > '9')
			goto bad;
		v = v * 10 + (unsigned long long)(n->str[i] - '0');
	}
	if (v < min || v > max)
		goto bad;
	*out = v;
	return 0;
bad:
	ydiag_add(d, n, "%s must be a whole number from %llu to %llu", what,
	    min, max);
	return -1;
}

int
ydoc_duration(struct ydiag *d, const struct ydoc_node *n, const char *what,
    int64_t *out)
{
	if (n == NULL || n->type != YDOC_SCALAR ||
	    ks_parse_duration(n->str, out) == -1) {
		ydiag_add(d, n, "%s must be a duration such as 500ms, 60s, "
		    "10m, 2h or 90d", what);
		return -1;
	}
	return 0;
}

int
ydoc_bool(struct ydiag *d, const struct ydoc_node *n, const char *what,
    int *out)
{
	static const char *yes[] = { "true", "True", "TRUE", "yes", "on" };
	static const char *no[] = { "false", "False", "FALSE", "no", "off" };
	size_t i;

	if (n != NULL && n->type == YDOC_SCALAR && n->plain) {
		for (i = 0; i < KS_ARRAY_LEN(yes); i++) {
			if (strcmp(n->str, yes[i]) == 0) {
				*out = 1;
				return 0;
			}
			if (strcmp(n->str, no[i]) == 0) {
				*out = 0;
				return 0;
			}
		}
	}
	ydiag_add(d, n, "%s must be true or false", what);
	return -1;
}
