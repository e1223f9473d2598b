/*
 * Event helpers: the public field table and the normalisation of what
 * decoders copy in.  Normalisation happens once, here, so that every
 * decoder (JSON, CLF, HTTP on the wire) yields the same url.path for the
 * same request.
 */
#include "autoconfig.h"

#include <string.h>

#include "event.h"

static const struct ev_field_info fields[] = {
	{ EVF_SOURCE_IP,	"source.ip",			EVT_ADDR },
	{ EVF_SOURCE_PORT,	"source.port",			EVT_INT },
	{ EVF_METHOD,		"http.request.method",		EVT_STRING },
	{ EVF_PATH,		"url.path",			EVT_STRING },
	{ EVF_STATUS,		"http.response.status_code",	EVT_INT },
	{ EVF_USER_AGENT,	"user_agent.original",		EVT_STRING },
	{ EVF_ENDPOINT,		"keysentry.endpoint",		EVT_STRING },
	{ EVF_KEY_FP,		"keysentry.key.fingerprint",	EVT_STRING },
	{ EVF_KEY_STATE,	"keysentry.key.state",		EVT_STRING },
	{ EVF_KEY_NAME,		"keysentry.key.name",		EVT_STRING },
	{ EVF_ROTATION,		"keysentry.rotation",		EVT_STRING },
};

static const char *key_states[] = {
	[EKS_NONE] = "", [EKS_MISSING] = "missing",
	[EKS_CURRENT] = "current", [EKS_NEXT] = "next",
	[EKS_RETIRED] = "retired", [EKS_REVOKED] = "revoked",
	[EKS_CANARY] = "canary", [EKS_UNKNOWN] = "unknown",
	[EKS_WRONG_ENV] = "wrong-environment",
};

const char *
event_key_state_name(int st)
{
	return st >= 0 && (size_t)st < sizeof(key_states) /
	    sizeof(key_states[0]) ? key_states[st] : "";
}

const struct ev_field_info *
event_field_lookup(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (strcmp(fields[i].name, name) == 0)
			return &fields[i];
	return NULL;
}

const struct ev_field_info *
event_field_info(enum ev_field id)
{
	size_t i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (fields[i].id == id)
			return &fields[i];
	return NULL;
}

void
event_clear(struct event *ev)
{
	ev->ts = 0;
	ev->line = 0;
	ev->flags = 0;
	ev->status = 0;
	ev->endpoint = -1;
	ev->input = 0;
	ev->src_port = 0;
	memset(&ev->src, 0, sizeof(ev->src));
	ev->method[0] = '\0';
	ev->path[0] = '\0';
	ev->user_agent[0] = '\0';
	ev->key_fp[0] = '\0';
	ev->key_state = EKS_NONE;
	ev->key_index = -1;
	ev->rotation = EROT_NONE;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
unreserved(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	    c == '~';
}

/* After "scheme://" of an absolute URI, or NULL if t is not one. */
static const char *
scheme_end(const char *t, size_t len)
{
	size_t i = 0;

	if (len == 0 || !((t[0] >= 'a' && t[0] <= 'z') ||
	    (t[0] >= 'A' && t[0] <= 'Z')))
		return NULL;
	while (i < len && ((t[i] >= 'a' && t[i] <= 'z') ||
	    (t[i] >= 'A' && t[i] <= 'Z') || (t[i] >= '0' && t[i] <= '9') ||
	    t[i] == '+' || t[i] == '-' || t[i] == '.'))
		i++;
	if (i + 3 <= len && t[i] == ':' && t[i + 1] == '/' && t[i + 2] == '/')
		return t + i + 3;
	return NULL;
}

void
event_set_path(struct event *ev, const char *t, size_t len)
{
	char		 buf[EV_PATH_MAX];
	char		*out = ev->path;
	const char	*p, *seg, *end;
	size_t		 cap = sizeof(buf) - 1, n = 0, o, i, slen;

	if ((p = scheme_end(t, len)) != NULL) {
		len -= (size_t)(p - t);
		t = p;
		p = memchr(t, '/', len);
		len = p == NULL ? 0 : len - (size_t)(p - t);
		t = p == NULL ? t : p;
	}
	for (i = 0; i < len; i++)
		if (t[i] == '?' || t[i] == '#')
			break;
	len = i;

	/* already normal (the common case): no escape, no empty or dot segment */
	if (len > 0 && len < sizeof(buf) && t[0] == '/') {
		for (i = 0; i < len; i++) {
			if (t[i] == '%' || t[i] == '\0')
				break;
			if (t[i] == '/' && i + 1 < len &&
			    (t[i + 1] == '/' || t[i + 1] == '.'))
				break;
		}
		if (i == len) {
			memcpy(out, t, len);
			out[len] = '\0';
			return;
		}
	}

	/* pass 1: decode unreserved escapes, upper-case the others, merge slashes */
	for (i = 0; i < len; ) {
		int hi = i + 2 < len ? hexval(t[i + 1]) : -1;
		int lo = i + 2 < len ? hexval(t[i + 2]) : -1;

		if (t[i] == '%' && hi >= 0 && lo >= 0) {
			if (unreserved(hi * 16 + lo)) {
				if (n >= cap)
					goto trunc;
				buf[n++] = (char)(hi * 16 + lo);
			} else {
				if (n + 3 > cap)
					goto trunc;
				buf[n++] = '%';
				buf[n++] = "0123456789ABCDEF"[hi];
				buf[n++] = "0123456789ABCDEF"[lo];
			}
			i += 3;
			continue;
		}
		if (t[i] == '\0' || (t[i] == '/' && n > 0 && buf[n - 1] == '/')) {
			i++;
			continue;
		}
		if (n >= cap)
			goto trunc;
		buf[n++] = t[i++];
	}
	goto dots;
trunc:
	ev->flags |= EV_TRUNCATED;
dots:
	/* pass 2: remove dot segments (RFC 3986, 5.2.4) from a rooted path */
	if (n == 0 || buf[0] != '/') {
		memcpy(out, buf, n);
		out[n] = '\0';
		return;
	}
	o = 0;
	out[o++] = '/';
	end = buf + n;
	for (seg = buf + 1; seg <= end; seg = p + 1) {
		p = memchr(seg, '/', (size_t)(end - seg));
		if (p == NULL)
			p = end;
		slen = (size_t)(p - seg);
		if (slen == 1 && seg[0] == '.')
			continue;
		if (slen == 2 && seg[0] == '.' && seg[1] == '.') {
			if (o > 1) {
				o--;
				while (o > 0 && out[o - 1] != '/')
					o--;
			}
			continue;
		}
		memcpy(out + o, seg, slen);
		o += slen;
		if (p < end)
			out[o++] = '/';
	}
	out[o] = '\0';
}

void
event_set_method(struct event *ev, const char *m, size_t len)
{
	size_t	i, o = 0;

	for (i = 0; i < len && o + 1 < sizeof(ev->method); i++) {
		char c = m[i];
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 32);
		if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_')
			ev->method[o++] = c;
	}
	if (i < len)
		ev->flags |= EV_TRUNCATED;
	ev->method[o] = '\0';
}

void
event_set_string(struct event *ev, char *dst, size_t dstsize, const char *s,
    size_t len)
{
	size_t	i, o = 0;

	for (i = 0; i < len && o + 1 < dstsize; i++)
		if (s[i] != '\0')
			dst[o++] = s[i];
	if (i < len)
		ev->flags |= EV_TRUNCATED;
	dst[o] = '\0';
}
