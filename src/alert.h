/*
 * Alerts: what a detector raises, and its JSON document.  The document
 * uses ECS field names, nested (rule.id is {"rule":{"id":...}}), and is
 * described field by field in docs/alert-schema.md and
 * docs/alert.schema.json; tests validate every alert against the schema.
 * Nothing in an alert is read from the wall clock, so the same input
 * gives byte-identical alerts.
 */
#ifndef KS_ALERT_H
#define KS_ALERT_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "addr.h"
#include "event.h"
#include "rules.h"

#define ALERT_SCHEMA_VERSION	1
#define ALERT_ECS_VERSION	"8.11.0"
#define EVIDENCE_PATH_MAX	96
#define ALERT_VALUE_MAX		128	/* a group or distinct value */
#define ALERT_MAX_DISTINCT	32

/* A compact copy of one event, kept as evidence. */
struct evidence {
	int64_t		ts;
	uint64_t	line;
	uint32_t	input;
	int32_t		status;
	uint32_t	flags;		/* EV_HAS_* of the original */
	uint16_t	port;
	struct ks_addr	src;
	char		method[EV_METHOD_MAX];
	char		path[EVIDENCE_PATH_MAX];
	char		key_fp[EV_FP_MAX];
	uint8_t		key_state;	/* enum ev_key_state */
	int16_t		key_index;	/* config keys[], -1: none */
	uint8_t		rotation;	/* enum ev_rotation */
};

struct alert {
	const struct rule		*rule;
	const struct endpoint_conf	*endpoint;	/* NULL: none */
	const char			*source;	/* log.file.path, or NULL */
	const char			*store;		/* keysentry.store, or NULL */
	const char			*interface;	/* a capture's, or NULL */
	int				 escalated;	/* rule's escalate severity */
	/* a roll-up: count alerts held back in the cooldown that ended at
	   ts, from first_seen to last_seen */
	int				 rollup;
	/* alerts-suppressed: per rule, how many (count in all) */
	const struct rule *const	*supp_rules;
	const uint64_t			*supp_counts;
	size_t				 nsupp;
	/* key-age: the key and its current generation, and how old */
	const struct key_conf		*key;
	const struct key_gen		*gen;
	int64_t				 key_age;	/* ns */
	/* key-exposed: the line (its key masked), and where it is */
	const char			*original;	/* event.original */
	uint64_t			 line;		/* keysentry.line */
	int64_t				 ts;		/* tripping event */
	uint64_t			 count;
	int64_t				 first_seen, last_seen;
	const struct evidence		*trigger;	/* tripping event */
	size_t				 ngroup;
	enum ev_field			 group_fields[RULE_MAX_GROUP];
	const char			*group_values[RULE_MAX_GROUP];
	const struct evidence		*evidence;	/* oldest first */
	size_t				 nevidence;
	const char *const		*distinct;	/* AGG_DISTINCT */
	size_t				 ndistinct;
};

/* What the document needs from outside the detector. */
struct alert_ctx {
	const char		*hostname;
	const char *const	*input_names;	/* by evidence.input */
	size_t			 ninputs;
	const struct config	*cfg;		/* key names; may be NULL */
};

void	evidence_from_event(struct evidence *, const struct event *);
/* The alert's severity: the rule's, or its escalation's. */
enum severity	alert_severity(const struct alert *);
/* The alert's stable event.id (32 hex digits and a NUL). */
void	alert_id(const struct alert *, char out[33]);
/* Returns a new reference; caller frees with json_decref(). */
json_t	*alert_to_json(const struct alert *, const struct alert_ctx *);

#endif
