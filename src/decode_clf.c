/*
 * nginx/Apache common and combined log format:
 *
 *   host ident user [time] "request" status bytes ["referer" "agent"] ...
 *
 * Apache's and nginx's vhost_combined put the virtual host first; that
 * form is recognised by a fourth token before the time.  A form without
 * the ident field (two tokens) is accepted too.
 *
 * Quoted fields may contain \" and \\ (Apache) or \xHH (nginx).  Fields
 * after the user agent (Traefik, ingress-nginx) are ignored.  A request
 * that is not "METHOD target [protocol]" (binary probes, "-") still makes
 * an event, with an empty method and path: the server answered it.
 */
#include "autoconfig.h"

#include <string.h>

#include "decode.h"
#include "kstime.h"

struct clf_cursor {
	const char	*line, *p, *end;
};

static size_t
col(const struct clf_cursor *c)
{
	return (size_t)(c->p - c->line) + 1;
}

/* A space-delimited token; returns -1 at end of line. */
static int
token(struct clf_cursor *c, const char **s, size_t *len)
{
	const char *start = c->p;

	while (c->p < c->end && *c->p != ' ')
		c->p++;
	if (c->p == start)
		return -1;
	*s = start;
	*len = (size_t)(c->p - start);
	return 0;
}

static int
space(struct clf_cursor *c)
{
	if (c->p >= c->end || *c->p != ' ')
		return -1;
	while (c->p < c->end && *c->p == ' ')
		c->p++;
	return 0;
}

/* A "quoted" field; *s and *len give the raw bytes between the quotes. */
static int
quoted(struct clf_cursor *c, const char **s, size_t *len)
{
	if (c->p >= c->end || *c->p != '"')
		return -1;
	c->p++;
	*s = c->p;
	while (c->p < c->end && *c->p != '"') {
		if (*c->p == '\\' && c->p + 1 < c->end)
			c->p++;
		c->p++;
	}
	if (c->p >= c->end)
		return -1;
	*len = (size_t)(c->p - *s);
	c->p++;
	return 0;
}

/* Copies a quoted field, undoing \" and \\ only. */
static size_t
unquote(const char *s, size_t len, char *out, size_t size)
{
	size_t i, o = 0;

	for (i = 0; i < len && o + 1 < size; i++) {
		if (s[i] == '\\' && i + 1 < len &&
		    (s[i + 1] == '"' || s[i + 1] == '\\'))
			i++;
		out[o++] = s[i];
	}
	out[o] = '\0';
	return o;
}

static enum decode_result
clf_decode(struct decoder *d, const char *line, size_t len, struct event *ev,
    struct decode_error *err)
{
	struct clf_cursor	 c = { line, line, line + len };
	const char		*host, *tok, *ts, *req, *ua;
	size_t			 hostlen, toklen, tslen, reqlen, ualen, n;
	char			 buf[EV_PATH_MAX + 64];
	const char		*sp, *target, *toks[4], *after3 = NULL;
	size_t			 tlens[4];
	int			 ntok;

	(void)d;
	event_clear(ev);
	/*
	 * host ident user, or with Apache's/nginx's virtual-host prefix
	 * (vhost_combined): vhost host ident user.  Some nginx formats drop
	 * the ident ("host user [time]").  So two to four tokens come
	 * before the '['; with four, the first is the virtual host.
	 */
	for (ntok = 0; ntok < 4; ntok++) {
		if (c.p < c.end && *c.p == '[')
			break;
		if (ntok == 3)
			after3 = c.p;	/* where the '[' usually is */
		if (c.p < c.end && *c.p == '"') {	/* a quoted user */
			if (quoted(&c, &tok, &toklen) == -1) {
				decode_errorf(err, col(&c), "unterminated "
				    "quoted field");
				return DECODE_ERROR;
			}
		} else if (token(&c, &tok, &toklen) == -1) {
			decode_errorf(err, col(&c), "expected host, ident and "
			    "user");
			return DECODE_ERROR;
		}
		toks[ntok] = tok;
		tlens[ntok] = toklen;
		if (space(&c) == -1) {
			decode_errorf(err, col(&c), "expected '[' before the "
			    "time");
			return DECODE_ERROR;
		}
	}
	if (ntok < 2 || c.p >= c.end || *c.p != '[') {
		if (after3 != NULL)
			c.p = after3;
		decode_errorf(err, col(&c), "expected '[' before the time");
		return DECODE_ERROR;
	}
	host = toks[ntok == 4 ? 1 : 0];
	hostlen = tlens[ntok == 4 ? 1 : 0];
	ts = ++c.p;
	while (c.p < c.end && *c.p != ']')
		c.p++;
	if (c.p >= c.end) {
		decode_errorf(err, col(&c), "expected ']' after the time");
		return DECODE_ERROR;
	}
	tslen = (size_t)(c.p - ts);
	if (kstime_parse_clf(ts, tslen, &ev->ts) == -1) {
		c.p = ts;
		decode_errorf(err, col(&c), "time is not dd/Mon/yyyy:hh:mm:ss "
		    "+zzzz");
		return DECODE_ERROR;
	}
	ev->flags |= EV_HAS_TIME;
	c.p++;
	if (space(&c) == -1 || quoted(&c, &req, &reqlen) == -1) {
		decode_errorf(err, col(&c), "expected the quoted request");
		return DECODE_ERROR;
	}
	if (space(&c) == -1 || token(&c, &tok, &toklen) == -1) {
		decode_errorf(err, col(&c), "expected the status");
		return DECODE_ERROR;
	}
	if (!(toklen == 1 && tok[0] == '-') &&
	    decode_set_status(ev, tok, toklen) == -1) {
		c.p = tok;
		decode_errorf(err, col(&c), "status is not a number from 0 "
		    "to 999");
		return DECODE_ERROR;
	}
	/* bytes, then the optional combined fields; the rest is ignored */
	if (space(&c) == 0 && token(&c, &tok, &toklen) == 0 &&
	    space(&c) == 0 && quoted(&c, &tok, &toklen) == 0 &&
	    space(&c) == 0 && quoted(&c, &ua, &ualen) == 0) {
		n = unquote(ua, ualen, buf, sizeof(buf));
		event_set_string(ev, ev->user_agent, sizeof(ev->user_agent),
		    buf, n);
	}

	decode_set_source(ev, host, hostlen);
	n = unquote(req, reqlen, buf, sizeof(buf));
	sp = memchr(buf, ' ', n);
	if (sp != NULL) {
		event_set_method(ev, buf, (size_t)(sp - buf));
		target = sp + 1;
		sp = memchr(target, ' ', n - (size_t)(target - buf));
		event_set_path(ev, target, sp ? (size_t)(sp - target) :
		    n - (size_t)(target - buf));
	}
	return DECODE_EVENT;
}

const struct decoder_backend decode_clf_backend = {
	.name = "clf",
	.init = NULL,
	.decode = clf_decode,
	.fini = NULL,
};
