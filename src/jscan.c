/*
 * The JSON scanner (see jscan.h).  Grammar: RFC 8259, strictly: no
 * comments, no trailing commas, no leading zeros, no raw control
 * characters in strings.  The field trie is tiny (a preset has some
 * twenty paths), so children are searched linearly.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jscan.h"
#include "util.h"

struct jnode {
	char		 *name;
	size_t		  namelen;
	int		  slot;		/* -1: not captured */
	int		  prio;
	struct jnode	 *child;	/* first child */
	struct jnode	 *next;		/* next sibling */
	struct jnode	 *same_first;	/* next sibling with our first byte */
	struct jnode	**byfirst;	/* children by first byte, or NULL */
};

struct jpath_set {
	struct jnode	 root;
};

struct jscan {
	const char		*p, *start, *end;
	char			*scratch;
	size_t			 sused, ssize;
	struct jvalue		*slots;
	struct jscan_error	*err;
};

struct jpath_set *
jpath_set_new(void)
{
	struct jpath_set *s = ks_xcalloc(1, sizeof(*s));

	s->root.slot = -1;
	return s;
}

static struct jnode *
node_child(struct jnode *n, const char *name, size_t len, int create)
{
	struct jnode *c;

	for (c = n->child; c != NULL; c = c->next)
		if (c->namelen == len && memcmp(c->name, name, len) == 0)
			return c;
	if (!create)
		return NULL;
	c = ks_xcalloc(1, sizeof(*c));
	c->name = ks_xstrndup(name, len);
	c->namelen = len;
	c->slot = -1;
	c->next = n->child;
	n->child = c;
	if (n->byfirst == NULL)
		n->byfirst = ks_xcalloc(256, sizeof(*n->byfirst));
	c->same_first = n->byfirst[(unsigned char)name[0]];
	n->byfirst[(unsigned char)name[0]] = c;
	return c;
}

int
jpath_set_add(struct jpath_set *set, const char *dotted, int slot, int prio)
{
	struct jnode	*n = &set->root;
	const char	*seg = dotted, *dot;

	if (slot < 0 || slot >= JSCAN_MAX_SLOTS || *dotted == '\0')
		return -1;
	for (;;) {
		dot = strchr(seg, '.');
		size_t len = dot ? (size_t)(dot - seg) : strlen(seg);
		if (len == 0 || len > JSCAN_MAX_KEY)
			return -1;
		n = node_child(n, seg, len, 1);
		if (dot == NULL)
			break;
		seg = dot + 1;
	}
	if (n->slot >= 0 && n->slot != slot)
		return -1;
	n->slot = slot;
	n->prio = prio;
	return 0;
}

static void
node_free(struct jnode *n)
{
	struct jnode *c, *next;

	for (c = n->child; c != NULL; c = next) {
		next = c->next;
		node_free(c);
		free(c->name);
		free(c);
	}
	free(n->byfirst);
}

void
jpath_set_free(struct jpath_set *set)
{
	if (set == NULL)
		return;
	node_free(&set->root);
	free(set);
}

static int
fail(struct jscan *js, const char *msg)
{
	js->err->offset = (size_t)(js->p - js->start);
	js->err->msg = msg;
	return -1;
}

static void
skip_ws(struct jscan *js)
{
	while (js->p < js->end && (*js->p == ' ' || *js->p == '\t' ||
	    *js->p == '\n' || *js->p == '\r'))
		js->p++;
}

static int
hex4(const char *p, unsigned int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < 4; i++) {
		char c = p[i];
		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= (unsigned int)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v |= (unsigned int)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*v |= (unsigned int)(c - 'A' + 10);
		else
			return -1;
	}
	return 0;
}

/* Appends a code point as UTF-8 to out, if it fits. */
static size_t
put_utf8(char *out, size_t room, unsigned int cp)
{
	if (cp < 0x80 && room >= 1) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800 && room >= 2) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000 && cp >= 0x800 && room >= 3) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	if (cp >= 0x10000 && room >= 4) {
		out[0] = (char)(0xf0 | (cp >> 18));
		out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[3] = (char)(0x80 | (cp & 0x3f));
		return 4;
	}
	return 0;
}

#define ONES	UINT64_C(0x0101010101010101)
#define HIGHS	UINT64_C(0x8080808080808080)
#define HASZERO(v)	(((v) - ONES) & ~(v) & HIGHS)

/*
 * Does any of eight bytes end a run of plain string characters: a quote,
 * a backslash, or a control character?  (The usual has-zero-byte and
 * has-less-than tricks; exact as a yes/no answer.)
 */
static inline uint64_t
special8(uint64_t w)
{
	return HASZERO(w ^ (ONES * '"')) | HASZERO(w ^ (ONES * '\\')) |
	    ((w - ONES * 0x20) & ~w & HIGHS);
}

/* Index of the lowest byte whose high bit is set in m (m != 0). */
static inline unsigned int
first_byte(uint64_t m)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return (unsigned int)__builtin_ctzll(m) / 8;
#else
	return (unsigned int)__builtin_clzll(m) / 8;
#endif
}

/*
 * The common case, inlined: a string with no escape.  Returns 1 with the
 * bytes between the quotes and js->p past the closing quote, or 0 (and
 * js->p unchanged) when the string needs scan_string().
 */
static inline __attribute__((always_inline)) int
string_plain(struct jscan *js, const char **raw, size_t *rawlen)
{
	const char	*q = js->p + 1, *end = js->end;
	uint64_t	 w, m;

	while (end - q >= 8) {
		memcpy(&w, q, 8);
		if ((m = special8(w)) != 0) {
			q += first_byte(m);
			goto found;
		}
		q += 8;
	}
	while (q < end && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20)
		q++;
found:
	if (q >= end || *q != '"')
		return 0;
	*raw = js->p + 1;
	*rawlen = (size_t)(q - *raw);
	js->p = q + 1;
	return 1;
}

/*
 * Scans a string whose opening quote is at js->p.  With out != NULL the
 * unescaped text is written there (at most room bytes, *outlen set,
 * *cut set if it did not fit).  *raw and *rawlen always give the bytes
 * between the quotes, and *escaped says whether any escape occurred.
 */
static int
scan_string(struct jscan *js, char *out, size_t room, size_t *outlen,
    int *cut, const char **raw, size_t *rawlen, int *escaped)
{
	const char	*p = js->p + 1, *end = js->end;
	size_t		 o = 0;

	*escaped = 0;
	if (cut)
		*cut = 0;
	*raw = p;
	for (;;) {
		const char *q = p;
		/*
		 * Ordinary characters, eight at a time; the lowest set bit
		 * of the mask is the first special byte (little-endian).
		 */
		for (;;) {
			uint64_t w, m;
			if (end - q < 8) {
				while (q < end && *q != '"' && *q != '\\' &&
				    (unsigned char)*q >= 0x20)
					q++;
				break;
			}
			memcpy(&w, q, 8);
			if ((m = special8(w)) != 0) {
				q += first_byte(m);
				break;
			}
			q += 8;
		}
		if (out != NULL) {
			size_t n = (size_t)(q - p);
			if (n > room - o) {
				n = room - o;
				if (cut)
					*cut = 1;
			}
			memcpy(out + o, p, n);
			o += n;
		}
		p = q;
		if (p >= end) {
			js->p = p;
			return fail(js, "unterminated string");
		}
		if (*p == '"')
			break;
		if ((unsigned char)*p < 0x20) {
			js->p = p;
			return fail(js, "control character in string");
		}
		/* backslash */
		*escaped = 1;
		if (p + 1 >= end) {
			js->p = p;
			return fail(js, "unterminated escape");
		}
		unsigned int cp = 0;
		switch (p[1]) {
		case '"': cp = '"'; break;
		case '\\': cp = '\\'; break;
		case '/': cp = '/'; break;
		case 'b': cp = '\b'; break;
		case 'f': cp = '\f'; break;
		case 'n': cp = '\n'; break;
		case 'r': cp = '\r'; break;
		case 't': cp = '\t'; break;
		case 'u':
			if (end - p < 6 || hex4(p + 2, &cp) == -1) {
				js->p = p;
				return fail(js, "bad \\u escape");
			}
			if (cp >= 0xd800 && cp <= 0xdbff) {
				unsigned int lo;
				if (end - p >= 12 && p[6] == '\\' &&
				    p[7] == 'u' && hex4(p + 8, &lo) == 0 &&
				    lo >= 0xdc00 && lo <= 0xdfff) {
					cp = 0x10000 + ((cp - 0xd800) << 10) +
					    (lo - 0xdc00);
					p += 6;
				} else
					cp = 0xfffd;	/* lone surrogate */
			} else if (cp >= 0xdc00 && cp <= 0xdfff)
				cp = 0xfffd;
			p += 4;
			break;
		default:
			js->p = p;
			return fail(js, "bad escape");
		}
		p += 2;
		if (out != NULL) {
			size_t n = put_utf8(out + o, room - o, cp);
			if (n == 0 && cut)
				*cut = 1;
			o += n;
		}
	}
	*rawlen = (size_t)(p - *raw);
	js->p = p + 1;
	if (outlen)
		*outlen = o;
	return 0;
}

static int
scan_number(struct jscan *js)
{
	const char *p = js->p, *end = js->end;

	if (p < end && *p == '-')
		p++;
	if (p >= end)
		return fail(js, "bad number");
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9') {
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	} else
		return fail(js, "bad number");
	if (p < end && *p == '.') {
		p++;
		if (p >= end || *p < '0' || *p > '9') {
			js->p = p;
			return fail(js, "bad number");
		}
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || *p < '0' || *p > '9') {
			js->p = p;
			return fail(js, "bad number");
		}
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	js->p = p;
	return 0;
}

static int
scan_literal(struct jscan *js, const char *lit, size_t len)
{
	if ((size_t)(js->end - js->p) < len || memcmp(js->p, lit, len) != 0)
		return fail(js, "invalid literal");
	js->p += len;
	return 0;
}

static int scan_value(struct jscan *, const struct jnode *, int);

/*
 * After an item of an object or array: 0 if the closing byte ends it
 * (consumed), 1 if a comma says another item follows, -1 on an error.
 */
static int
item_end(struct jscan *js, char close)
{
	skip_ws(js);
	if (js->p >= js->end)
		return fail(js, close == '}' ? "unterminated object" :
		    "unterminated array");
	if (*js->p == close) {
		js->p++;
		return 0;
	}
	if (*js->p != ',')
		return fail(js, close == '}' ? "expected ',' or '}'" :
		    "expected ',' or ']'");
	js->p++;
	skip_ws(js);
	return 1;
}

static void
capture(struct jscan *js, const struct jnode *n, enum jv_type type,
    const char *s, size_t len, int truncated)
{
	struct jvalue *v = &js->slots[n->slot];

	if (v->type != JV_NONE && v->prio < n->prio)
		return;
	v->type = type;
	v->s = s;
	v->len = len;
	v->prio = n->prio;
	v->truncated = truncated;
}

/* A scalar value at js->p; captured when n is a leaf of the trie. */
static int
scan_scalar(struct jscan *js, const struct jnode *n)
{
	const char	*start = js->p, *raw;
	size_t		 rawlen, outlen;
	int		 escaped, cut;
	int		 want = n != NULL && n->slot >= 0;

	switch (*js->p) {
	case '"':
		if (string_plain(js, &raw, &rawlen)) {
			if (want)
				capture(js, n, JV_STRING, raw, rawlen, 0);
			return 0;
		}
		if (!want)
			return scan_string(js, NULL, 0, NULL, NULL, &raw,
			    &rawlen, &escaped);
		{
			char *out = js->scratch + js->sused;
			size_t room = js->ssize - js->sused;
			if (scan_string(js, out, room, &outlen, &cut, &raw,
			    &rawlen, &escaped) == -1)
				return -1;
			if (!escaped)
				capture(js, n, JV_STRING, raw, rawlen, 0);
			else {
				js->sused += outlen;
				capture(js, n, JV_STRING, out, outlen, cut);
			}
		}
		return 0;
	case 't':
		if (scan_literal(js, "true", 4) == -1)
			return -1;
		if (want)
			capture(js, n, JV_TRUE, start, 4, 0);
		return 0;
	case 'f':
		if (scan_literal(js, "false", 5) == -1)
			return -1;
		if (want)
			capture(js, n, JV_FALSE, start, 5, 0);
		return 0;
	case 'n':
		if (scan_literal(js, "null", 4) == -1)
			return -1;
		if (want)
			capture(js, n, JV_NULL, start, 4, 0);
		return 0;
	default:
		if (scan_number(js) == -1)
			return -1;
		if (want)
			capture(js, n, JV_NUMBER, start,
			    (size_t)(js->p - start), 0);
		return 0;
	}
}

/* Finds the trie node for a key, following dots inside the key itself. */
static const struct jnode *
lookup_key(const struct jnode *n, const char *key, size_t len)
{
	const struct jnode	*c;
	const char		*dot;

	if (n == NULL || n->byfirst == NULL || len == 0)
		return NULL;
	for (c = n->byfirst[(unsigned char)key[0]]; c != NULL;
	    c = c->same_first)
		if (c->namelen == len && memcmp(c->name, key, len) == 0)
			return c;
	dot = memchr(key, '.', len);
	if (dot == NULL || dot == key)
		return NULL;
	for (c = n->byfirst[(unsigned char)key[0]]; c != NULL;
	    c = c->same_first)
		if (c->namelen == (size_t)(dot - key) &&
		    memcmp(c->name, key, c->namelen) == 0)
			return lookup_key(c, dot + 1,
			    len - (size_t)(dot - key) - 1);
	return NULL;
}

static int
scan_object(struct jscan *js, const struct jnode *n, int depth)
{
	char			 keybuf[JSCAN_MAX_KEY];
	const char		*raw;
	size_t			 rawlen, keylen;
	int			 escaped, cut, r;
	const struct jnode	*c;

	js->p++;	/* '{' */
	skip_ws(js);
	if (js->p < js->end && *js->p == '}') {
		js->p++;
		return 0;
	}
	for (;;) {
		if (js->p >= js->end || *js->p != '"')
			return fail(js, "expected a key");
		if (string_plain(js, &raw, &rawlen)) {
			c = lookup_key(n, raw, rawlen);
		} else if (n != NULL && n->child != NULL) {
			/* rare: a key with escapes, unescaped to compare */
			if (scan_string(js, keybuf, sizeof(keybuf), &keylen,
			    &cut, &raw, &rawlen, &escaped) == -1)
				return -1;
			c = cut ? NULL : lookup_key(n, keybuf, keylen);
		} else {
			if (scan_string(js, NULL, 0, NULL, NULL, &raw, &rawlen,
			    &escaped) == -1)
				return -1;
			c = NULL;
		}
		skip_ws(js);
		if (js->p >= js->end || *js->p != ':')
			return fail(js, "expected ':'");
		js->p++;
		skip_ws(js);
		if (scan_value(js, c, depth + 1) == -1)
			return -1;
		if ((r = item_end(js, '}')) != 1)
			return r;
	}
}

static int
scan_array(struct jscan *js, const struct jnode *n, int depth)
{
	int first = 1, r;

	js->p++;	/* '[' */
	skip_ws(js);
	if (js->p < js->end && *js->p == ']') {
		js->p++;
		return 0;
	}
	for (;;) {
		/*
		 * A captured path that holds an array (Caddy's header
		 * values) yields its first scalar element.
		 */
		if (scan_value(js, first ? n : NULL, depth + 1) == -1)
			return -1;
		first = 0;
		if ((r = item_end(js, ']')) != 1)
			return r;
	}
}

static int
scan_value(struct jscan *js, const struct jnode *n, int depth)
{
	if (depth > JSCAN_MAX_DEPTH)
		return fail(js, "nesting too deep");
	if (js->p >= js->end)
		return fail(js, "expected a value");
	switch (*js->p) {
	case '{':
		return scan_object(js, n, depth);
	case '[':
		return scan_array(js, n, depth);
	default:
		return scan_scalar(js, n);
	}
}

int
jscan_object(const struct jpath_set *set, const char *line, size_t len,
    struct jvalue *slots, char *scratch, size_t scratchsize,
    struct jscan_error *err)
{
	struct jscan	js;
	int		i;

	for (i = 0; i < JSCAN_MAX_SLOTS; i++) {
		slots[i].type = JV_NONE;
		slots[i].s = NULL;
		slots[i].len = 0;
		slots[i].prio = 0;
		slots[i].truncated = 0;
	}
	js.p = js.start = line;
	js.end = line + len;
	js.scratch = scratch;
	js.sused = 0;
	js.ssize = scratchsize;
	js.slots = slots;
	js.err = err;
	skip_ws(&js);
	if (js.p >= js.end || *js.p != '{')
		return fail(&js, "not a JSON object");
	if (scan_object(&js, &set->root, 1) == -1)
		return -1;
	skip_ws(&js);
	if (js.p != js.end)
		return fail(&js, "trailing characters after the object");
	return 0;
}
