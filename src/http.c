/* HTTP/1.x message heads out of a byte stream (see http.h). */
#include "autoconfig.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"
#include "util.h"

enum {
	S_START,	/* before a start line (empty lines skipped) */
	S_HEADERS,
	S_BODY_LEN,	/* remain bytes of body */
	S_CHUNK_SIZE,
	S_CHUNK_DATA,	/* remain bytes of a chunk */
	S_CHUNK_END,	/* the CRLF after a chunk */
	S_TRAILERS,
	S_BODY_EOF,	/* a body until the connection ends */
	S_TUNNEL,	/* after 101 Switching Protocols: not HTTP */
	S_SKIP		/* after an error or a gap: to a start line */
};

#define HEADS_MAX	64	/* HEAD flags queued for responses */

struct http_parser {
	int		 request;
	struct http_opts o;
	http_msg_fn	*fn;
	void		*arg;
	int		 st;
	char		*line;
	size_t		 llen, lcap;
	int		 overlong;	/* S_SKIP: this line is discarded */
	uint64_t	 off;		/* stream offset of the next byte */
	uint64_t	 line_off;	/* of the current line's first byte */
	uint64_t	 remain;
	struct http_msg	 msg;
	int		 chunked, has_len;
	uint64_t	 clen;
	uint8_t		 heads[HEADS_MAX];
	size_t		 hhead, hn;
	const char	*err;
	uint64_t	 err_off;
	uint64_t	 nmsgs, nerrs;
};

struct http_parser *
http_parser_new(int request, const struct http_opts *o, http_msg_fn *fn,
    void *arg)
{
	struct http_parser	*p = ks_xcalloc(1, sizeof(*p));
	size_t			 i;

	p->request = request;
	if (o != NULL)
		p->o = *o;
	for (i = 0; i < p->o.nkey_headers; i++)
		p->o.key_headers[i] = ks_xstrdup(p->o.key_headers[i]);
	if (p->o.max_line == 0)
		p->o.max_line = 8192;
	if (p->o.max_headers == 0)
		p->o.max_headers = 100;
	p->lcap = 256 < p->o.max_line ? 256 : p->o.max_line;
	p->line = ks_xmalloc(p->lcap + 1);	/* and a NUL; grows to max_line */
	p->fn = fn;
	p->arg = arg;
	return p;
}

/*
 * A new message: its fields emptied.  The strings only at their first
 * byte (all are written whole, NUL included, when set): clearing 1.3 KB
 * a message was a measurable part of reading a capture.
 */
static void
msg_clear(struct http_msg *m)
{
	m->request = 0;
	m->method[0] = '\0';
	m->path[0] = '\0';
	m->path_cut = 0;
	m->version = 0;
	m->status = 0;
	m->fingerprint[0] = '\0';
	m->nkeys = 0;
	m->bearer = 0;
	m->nheaders = 0;
	m->user_agent[0] = '\0';
	m->offset = 0;
}

void
http_parser_reset(struct http_parser *p)
{
	explicit_bzero(p->line, p->llen);
	p->st = S_START;
	p->llen = 0;
	p->overlong = 0;
	p->off = p->line_off = p->remain = 0;
	msg_clear(&p->msg);
	p->chunked = p->has_len = 0;
	p->clen = 0;
	p->hhead = p->hn = 0;
	p->err = NULL;
	p->err_off = 0;
	p->nmsgs = p->nerrs = 0;
}

void
http_parser_free(struct http_parser *p)
{
	size_t i;

	if (p == NULL)
		return;
	explicit_bzero(p->line, p->llen);	/* the rest was, line by line */
	free(p->line);
	for (i = 0; i < p->o.nkey_headers; i++)
		free((char *)p->o.key_headers[i]);
	free(p);
}

/* Room for need bytes of line (at most max_line); the old copy wiped. */
static void
grow_line(struct http_parser *p, size_t need)
{
	size_t	 cap = p->lcap;
	char	*n;

	while (cap < need)
		cap *= 2;
	if (cap > p->o.max_line)
		cap = p->o.max_line;
	n = ks_xmalloc(cap + 1);
	memcpy(n, p->line, p->llen);
	explicit_bzero(p->line, p->llen);
	free(p->line);
	p->line = n;
	p->lcap = cap;
}

/* The parser's copy of a line goes; a header line may hold a key. */
static void
line_done(struct http_parser *p)
{
	explicit_bzero(p->line, p->llen);
	p->llen = 0;
	p->overlong = 0;
}

static int
fail(struct http_parser *p, const char *why, uint64_t off)
{
	p->err = why;
	p->err_off = off;
	p->nerrs++;
	p->st = S_SKIP;
	return -1;
}

static int
is_token(int c)
{
	return c > 32 && c < 127 && strchr("()<>@,;:\\\"/[]?={}", c) == NULL;
}

/* "HTTP/1.x" at s (n bytes): 10 or 11, else -1. */
static int
version(const char *s, size_t n)
{
	if (n != 8 || strncasecmp(s, "HTTP/1.", 7) != 0)
		return -1;
	if (s[7] == '0')
		return 10;
	if (s[7] == '1')
		return 11;
	return -1;
}

static void
copy_field(char *dst, size_t size, const char *s, size_t n, int *cut)
{
	if (n >= size) {
		n = size - 1;
		if (cut != NULL)
			*cut = 1;
	}
	memcpy(dst, s, n);
	dst[n] = '\0';
}

/* Request line: METHOD SP target [SP version]; 0 or -1. */
static int
request_line(struct http_parser *p, const char *s, size_t n)
{
	size_t	m = 0, t, tn;

	while (m < n && is_token((unsigned char)s[m]))
		m++;
	if (m == 0 || m >= EV_METHOD_MAX || m == n || s[m] != ' ')
		return -1;
	t = m + 1;
	tn = 0;
	while (t + tn < n && s[t + tn] != ' ')
		tn++;
	if (tn == 0)
		return -1;
	msg_clear(&p->msg);
	p->msg.request = 1;
	copy_field(p->msg.method, sizeof(p->msg.method), s, m, NULL);
	copy_field(p->msg.path, sizeof(p->msg.path), s + t, tn,
	    &p->msg.path_cut);
	if (t + tn == n)
		p->msg.version = 9;
	else if ((p->msg.version = version(s + t + tn + 1, n - t - tn - 1)) ==
	    -1)
		return -1;
	return 0;
}

/* Status line: version SP 3DIGIT [SP reason]; 0 or -1. */
static int
status_line(struct http_parser *p, const char *s, size_t n)
{
	int v;

	if (n < 12 || (v = version(s, 8)) == -1 || s[8] != ' ' ||
	    !isdigit((unsigned char)s[9]) || !isdigit((unsigned char)s[10]) ||
	    !isdigit((unsigned char)s[11]) || (n > 12 && s[12] != ' '))
		return -1;
	msg_clear(&p->msg);
	p->msg.version = v;
	p->msg.status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + s[11] - '0';
	if (p->msg.status < 100)
		return -1;
	return 0;
}

static void
emit(struct http_parser *p)
{
	p->nmsgs++;
	if (p->fn != NULL)
		p->fn(p->arg, &p->msg);
}

/* A key value: its fingerprint, the first one kept. */
static void
key_value(struct http_parser *p, const char *v, size_t n, int bearer)
{
	char fp[KEYS_FP_LEN + 1];

	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	if (n == 0)
		return;
	if (keys_fingerprint(v, n, fp) == -1)
		return;
	if (p->msg.nkeys++ == 0) {
		memcpy(p->msg.fingerprint, fp, sizeof(fp));
		p->msg.bearer = bearer;
	}
}

static int
header_line(struct http_parser *p, char *s, size_t n)
{
	size_t		 c, i;
	const char	*v;
	size_t		 vn;
	uint64_t	 len;

	if (s[0] == ' ' || s[0] == '\t')
		return 0;	/* obsolete folding: a continuation, skipped */
	for (c = 0; c < n && s[c] != ':'; c++)
		if (!is_token((unsigned char)s[c]))
			return fail(p, "a header line without a name and a "
			    "colon", p->line_off + c);
	if (c == 0 || c == n)
		return fail(p, "a header line without a name and a colon",
		    p->line_off);
	if (++p->msg.nheaders > p->o.max_headers)
		return fail(p, "more headers than limits allow", p->line_off);
	v = s + c + 1;
	vn = n - c - 1;
	while (vn > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		vn--;
	}
	if (c == 14 && strncasecmp(s, "content-length", 14) == 0) {
		len = 0;
		for (i = 0; i < vn && v[i] != ' ' && v[i] != '\t'; i++) {
			if (!isdigit((unsigned char)v[i]) ||
			    len > (UINT64_MAX - 9) / 10)
				return fail(p, "a Content-Length that is not a "
				    "number, or too large", p->line_off + c + 1);
			len = len * 10 + (uint64_t)(v[i] - '0');
		}
		if (i == 0)
			return fail(p, "an empty Content-Length",
			    p->line_off + c + 1);
		if (p->has_len && p->clen != len)
			return fail(p, "two different Content-Length headers",
			    p->line_off);
		p->has_len = 1;
		p->clen = len;
	} else if (c == 17 && strncasecmp(s, "transfer-encoding", 17) == 0) {
		/* chunked, the last coding, is what frames the body */
		while (vn > 0 && (v[vn - 1] == ' ' || v[vn - 1] == '\t'))
			vn--;
		if (vn >= 7 && strncasecmp(v + vn - 7, "chunked", 7) == 0)
			p->chunked = 1;
	} else if (c == 10 && strncasecmp(s, "user-agent", 10) == 0) {
		while (vn > 0 && (v[vn - 1] == ' ' || v[vn - 1] == '\t'))
			vn--;
		if (p->msg.user_agent[0] == '\0')
			copy_field(p->msg.user_agent,
			    sizeof(p->msg.user_agent), v, vn, NULL);
	} else if (c == 13 && strncasecmp(s, "authorization", 13) == 0) {
		if (vn > 7 && strncasecmp(v, "bearer", 6) == 0 &&
		    (v[6] == ' ' || v[6] == '\t')) {
			v += 7;
			vn -= 7;
			while (vn > 0 && (*v == ' ' || *v == '\t')) {
				v++;
				vn--;
			}
			key_value(p, v, vn, 1);
		}
	} else {
		for (i = 0; i < p->o.nkey_headers; i++)
			if (strlen(p->o.key_headers[i]) == c &&
			    strncasecmp(s, p->o.key_headers[i], c) == 0) {
				key_value(p, v, vn, 0);
				break;
			}
	}
	return 0;
}

/* The head is complete: the message, then what frames its body. */
static void
head_done(struct http_parser *p)
{
	int head = 0;

	if (p->request) {
		emit(p);
		if (p->chunked)
			p->st = S_CHUNK_SIZE;
		else if (p->has_len && p->clen > 0) {
			p->st = S_BODY_LEN;
			p->remain = p->clen;
		} else
			p->st = S_START;
		return;
	}
	if (p->msg.status >= 100 && p->msg.status < 200) {
		emit(p);	/* interim: the final response follows */
		p->st = p->msg.status == 101 ? S_TUNNEL : S_START;
		return;
	}
	if (p->hn > 0) {
		head = p->heads[p->hhead];
		p->hhead = (p->hhead + 1) % HEADS_MAX;
		p->hn--;
	}
	emit(p);
	if (head || p->msg.status == 204 || p->msg.status == 304)
		p->st = S_START;
	else if (p->chunked)
		p->st = S_CHUNK_SIZE;
	else if (p->has_len) {
		p->remain = p->clen;
		p->st = p->clen > 0 ? S_BODY_LEN : S_START;
	} else
		p->st = S_BODY_EOF;
}

static int
start_line(struct http_parser *p, const char *s, size_t n)
{
	int r = p->request ? request_line(p, s, n) : status_line(p, s, n);

	if (r == -1)
		return -1;
	p->msg.offset = p->line_off;
	p->chunked = p->has_len = 0;
	p->clen = 0;
	if (p->request && p->msg.version == 9) {
		emit(p);	/* HTTP/0.9: the line is the request */
		p->st = S_START;
	} else
		p->st = S_HEADERS;
	return 0;
}

/* A complete line (CR stripped) in the state it came in. */
static int
line(struct http_parser *p, char *s, size_t n)
{
	char	*e;
	uint64_t size;

	switch (p->st) {
	case S_START:
		if (n == 0)
			return 0;
		if (start_line(p, s, n) == -1)
			return fail(p, p->request ? "not an HTTP request line" :
			    "not an HTTP status line", p->line_off);
		return 0;
	case S_SKIP:
		/* a message of this direction starts here, or not yet */
		if (n > 0)
			(void)start_line(p, s, n);
		return 0;
	case S_HEADERS:
		if (n == 0) {
			head_done(p);
			return 0;
		}
		return header_line(p, s, n);
	case S_CHUNK_SIZE:
		errno = 0;
		if (n == 0 || !isxdigit((unsigned char)s[0]))
			return fail(p, "not a chunk size", p->line_off);
		size = strtoull(s, &e, 16);
		if (errno != 0 || (*e != '\0' && *e != ';' && *e != ' ' &&
		    *e != '\t'))
			return fail(p, "not a chunk size, or too large",
			    p->line_off);
		if (size == 0)
			p->st = S_TRAILERS;
		else {
			p->st = S_CHUNK_DATA;
			p->remain = size;
		}
		return 0;
	case S_CHUNK_END:
		if (n != 0)
			return fail(p, "a chunk longer than its size",
			    p->line_off);
		p->st = S_CHUNK_SIZE;
		return 0;
	case S_TRAILERS:
		if (n == 0)
			p->st = S_START;
		return 0;
	}
	return 0;
}

int
http_parser_feed(struct http_parser *p, const uint8_t *d, size_t len)
{
	size_t	i = 0, take;
	int	rc = 0;
	const uint8_t *nl;

	while (i < len) {
		switch (p->st) {
		case S_BODY_LEN:
		case S_CHUNK_DATA:
			take = len - i < p->remain ? len - i :
			    (size_t)p->remain;
			i += take;
			p->off += take;
			p->remain -= take;
			if (p->remain == 0)
				p->st = p->st == S_BODY_LEN ? S_START :
				    S_CHUNK_END;
			continue;
		case S_BODY_EOF:
		case S_TUNNEL:
			p->off += len - i;
			i = len;
			continue;
		}
		/* the rest of a line, or all of it */
		if (p->llen == 0 && !p->overlong)
			p->line_off = p->off;
		nl = memchr(d + i, '\n', len - i);
		take = nl != NULL ? (size_t)(nl - (d + i)) : len - i;
		if (!p->overlong) {
			if (take > p->o.max_line - p->llen) {
				if (p->st != S_SKIP && fail(p, "a line longer "
				    "than limits allow", p->line_off) == -1)
					rc = -1;
				explicit_bzero(p->line, p->llen);
				p->llen = 0;
				p->overlong = 1;
			} else {
				if (p->llen + take > p->lcap)
					grow_line(p, p->llen + take);
				memcpy(p->line + p->llen, d + i, take);
				p->llen += take;
			}
		}
		i += take;
		p->off += take;
		if (nl == NULL)
			break;
		i++;		/* the LF */
		p->off++;
		if (p->overlong) {
			line_done(p);
			continue;
		}
		if (p->llen > 0 && p->line[p->llen - 1] == '\r')
			p->llen--;
		p->line[p->llen] = '\0';
		if (line(p, p->line, p->llen) == -1)
			rc = -1;
		line_done(p);
	}
	return rc;
}

void
http_parser_gap(struct http_parser *p, uint64_t len)
{
	line_done(p);
	p->off += len;
	if ((p->st == S_BODY_LEN || p->st == S_CHUNK_DATA) && len < p->remain)
		p->remain -= len;	/* inside a body: still framed */
	else if (p->st != S_BODY_EOF && p->st != S_TUNNEL)
		p->st = S_SKIP;
}

void
http_parser_expect_head(struct http_parser *p, int head)
{
	if (p->hn == HEADS_MAX) {	/* far behind: the oldest goes */
		p->hhead = (p->hhead + 1) % HEADS_MAX;
		p->hn--;
	}
	p->heads[(p->hhead + p->hn) % HEADS_MAX] = (uint8_t)(head != 0);
	p->hn++;
}

void
http_parser_eof(struct http_parser *p)
{
	line_done(p);
	if (p->st == S_BODY_EOF)
		p->st = S_START;
}

const char *
http_parser_error(const struct http_parser *p, uint64_t *offset)
{
	if (offset != NULL)
		*offset = p->err_off;
	return p->err;
}

uint64_t
http_parser_messages(const struct http_parser *p)
{
	return p->nmsgs;
}

uint64_t
http_parser_errors(const struct http_parser *p)
{
	return p->nerrs;
}
