/*
 * struct event: the one value passed from a decoder to the detectors.  It
 * is a plain, fixed-size value that is copied, never shared: strings are
 * inline, NUL-terminated and truncated to their caps (a flag says so).  A
 * decoder fills it from bytes; enrichment adds the endpoint; detectors only
 * read it.  No field ever holds key material: a key is known only by its
 * fingerprint.
 */
#ifndef KS_EVENT_H
#define KS_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define EV_METHOD_MAX	16
#define EV_PATH_MAX	1024
#define EV_UA_MAX	256
#define EV_FP_MAX	24	/* "sha256:" + 16 hex digits + NUL */

#define EV_HAS_TIME	0x0001	/* ts came from the record itself */
#define EV_HAS_SRC	0x0002	/* src is a parsed address */
#define EV_HAS_STATUS	0x0004	/* status is set */
#define EV_HAS_PORT	0x0008	/* src_port is set */
#define EV_TRUNCATED	0x0010	/* a string field was cut to its cap */
#define EV_KEY_SEEN	0x0020	/* the source sees keys (the wire): no
				   fingerprint means none was presented */

/* What the presented key is to this monitor (keysentry.key.state). */
enum ev_key_state {
	EKS_NONE = 0,		/* not known (a log without keys) */
	EKS_MISSING,		/* no key presented */
	EKS_CURRENT, EKS_NEXT, EKS_RETIRED, EKS_REVOKED, EKS_CANARY,
	EKS_UNKNOWN,		/* registered nowhere */
	EKS_WRONG_ENV		/* registered for another environment */
};

struct event {
	int64_t		ts;		/* event time, UTC ns since the epoch */
	uint64_t	line;		/* record number in its input, from 1 */
	uint32_t	flags;		/* EV_* */
	int32_t		status;		/* HTTP status; 0 means "no response" */
	int32_t		endpoint;	/* config endpoint index, -1 for none */
	uint32_t	input;		/* index of the input it came from */
	uint16_t	src_port;	/* peer port when EV_HAS_PORT */
	struct ks_addr	src;		/* peer address when EV_HAS_SRC */
	char		method[EV_METHOD_MAX];	/* as sent, e.g. "POST" */
	char		path[EV_PATH_MAX];	/* normalised, without query */
	char		user_agent[EV_UA_MAX];	/* User-Agent, "" if absent */
	char		key_fp[EV_FP_MAX];	/* presented key, "" if unknown */
	uint8_t		key_state;	/* enum ev_key_state */
	int16_t		key_index;	/* config keys[], -1: none */
	uint8_t		rotation;	/* enum ev_rotation */
};

/* keysentry.rotation: a rejection from an allowed source, seen against
 * a rotation of the key (engine.c). */
enum ev_rotation {
	EROT_NONE = 0,
	EROT_GRACE,		/* "grace": within rotation_grace of its start */
	EROT_LATE		/* "late": the old key, after the grace */
};

/*
 * Fields a rule can name.  The names are ECS field names and are public:
 * they appear in rules, in alerts and in docs/rules.md.
 */
enum ev_field {
	EVF_NONE = 0,
	EVF_SOURCE_IP,		/* source.ip */
	EVF_SOURCE_PORT,	/* source.port */
	EVF_METHOD,		/* http.request.method */
	EVF_PATH,		/* url.path */
	EVF_STATUS,		/* http.response.status_code */
	EVF_USER_AGENT,		/* user_agent.original */
	EVF_ENDPOINT,		/* keysentry.endpoint */
	EVF_KEY_FP,		/* keysentry.key.fingerprint */
	EVF_KEY_STATE,		/* keysentry.key.state */
	EVF_KEY_NAME,		/* keysentry.key.name */
	EVF_ROTATION,		/* keysentry.rotation */
	EVF_COUNT_
};

enum ev_ftype { EVT_STRING, EVT_INT, EVT_ADDR };

struct ev_field_info {
	enum ev_field	 id;
	const char	*name;
	enum ev_ftype	 type;
};

/* Looks a field up by its public name; NULL if unknown. */
const struct ev_field_info *event_field_lookup(const char *name);
const struct ev_field_info *event_field_info(enum ev_field id);

/* "current", "wrong-environment"...; "" for EKS_NONE. */
const char	*event_key_state_name(int);

/* Resets an event to "nothing known". */
void	event_clear(struct event *ev);

/*
 * Sets url.path from a request target as sent ("/a/../b?x=1", or an
 * absolute URI): drops the query and fragment, removes the scheme and
 * authority, decodes percent-escapes of unreserved characters, merges
 * repeated slashes and removes dot segments, so that every spelling a
 * server would route to the same handler compares equal.
 */
void	event_set_path(struct event *ev, const char *target, size_t len);
/* Copies a method, keeping only token characters, upper-cased. */
void	event_set_method(struct event *ev, const char *m, size_t len);
/* Copies a bounded string field (user agent) with NULs removed. */
void	event_set_string(struct event *ev, char *dst, size_t dstsize,
	    const char *s, size_t len);

#endif
