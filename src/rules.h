/*
 * Rules: YAML files (keysentry.rules(5)) compiled into matchers.
 *
 * A rule names the endpoints it watches; it is compiled once per endpoint
 * into a rule instance, with the endpoint's values substituted for the
 * placeholders %endpoint.allowed_sources%, %endpoint.method%,
 * %endpoint.path% and %endpoint.name%.  Matching an event against an
 * instance is pure: it reads the event and nothing else.  Aggregation over
 * time is detect.c's business.
 *
 * A ruleset also derives the fast path: the literal bytes a log line must
 * contain for any instance to match it (see ruleset_line_relevant()).
 */
#ifndef KS_RULES_H
#define KS_RULES_H

#include <stddef.h>
#include <stdint.h>
#include <regex.h>

#include "addr.h"
#include "config.h"
#include "event.h"
#include "keys.h"
#include "severity.h"
#include "ydoc.h"

#define RULE_MAX_GROUP	4

enum cond_op {
	OP_EQ, OP_CONTAINS, OP_STARTSWITH, OP_ENDSWITH, OP_RE, OP_CIDR,
	OP_GT, OP_GTE, OP_LT, OP_LTE, OP_EXISTS
};

struct cond_value {
	char		*s;		/* string form (lower case unless cased) */
	size_t		 len;
	long long	 num;		/* integer fields */
	struct ks_addr	 addr;		/* address equality */
	struct ks_cidr	 cidr;		/* OP_CIDR */
	regex_t		*re;		/* OP_RE */
};

struct cond {
	enum ev_field		 field;
	enum ev_ftype		 ftype;
	enum cond_op		 op;
	int			 cased;		/* case-sensitive strings */
	int			 all;		/* every value must match */
	int			 exists;	/* OP_EXISTS: wanted presence */
	struct cond_value	*vals;
	size_t			 nvals;
	/*
	 * Addresses that also match (|cidr with allowed_sources that name
	 * hosts): the endpoint's resolved set, which changes at run time.
	 */
	const struct ks_addrset	*dyn;
};

/* A conjunction of conditions (one YAML mapping). */
struct selection {
	struct cond	*conds;
	size_t		 n;
};

enum agg_type { AGG_NONE, AGG_COUNT, AGG_DISTINCT, AGG_SEQUENCE };

/*
 * A response playbook: a YAML document with "playbook:" in a rules file.
 * Its name and steps go into every alert of a rule whose "response"
 * names it (keysentry.response), so the first reader of the alert knows
 * what to do, and in what order.
 */
struct pb_step {
	char		*name;		/* a word: revoke, generate, ... */
	char		*action;	/* what to do, in a sentence or two */
};

struct playbook {
	char		*name;		/* lower-case letters, digits, '-' */
	char		*title;
	char		*runbook;	/* may be NULL */
	char		*file;
	struct pb_step	*steps;
	size_t		 nsteps;
	/* its keysentry.response object, built at the first alert and
	   shared by all (json_t, owned here) */
	void		*doc;
};

struct rule {
	char		*id;
	char		*name;
	char		*description;
	char		*runbook;	/* reference, may be NULL */
	char		*file;		/* where it was loaded from */
	unsigned int	 version;
	enum severity	 severity;
	int		 enabled;
	int64_t		 cooldown;	/* ns, per group */
	enum agg_type	 agg;
	int64_t		 window;	/* ns; 0 for AGG_NONE */
	unsigned int	 threshold;	/* 1 for AGG_NONE */
	enum ev_field	 distinct;	/* AGG_DISTINCT */
	enum ev_field	 group_by[RULE_MAX_GROUP];
	size_t		 ngroup;
	int		 builtin;	/* defined in code, not in a file */
	/* escalate: events that also match it raise this severity, in a
	   cooldown of their own (AGG_NONE rules) */
	int		 escalates;
	enum severity	 escalate_severity;
	const struct playbook *response;	/* in the ruleset; or NULL */
};

/* A rule bound to one endpoint (or to none: every event). */
struct rule_inst {
	const struct rule	*rule;
	int			 endpoint;	/* index, -1 for any event */
	struct selection	 match;
	struct selection	*nots;		/* any match vetoes */
	size_t			 nnots;
	struct selection	 first, then;	/* AGG_SEQUENCE: A, then B */
	struct selection	 escalate;	/* rule.escalates */
	size_t			 index;		/* in ruleset->insts */
};

struct ruleset {
	struct rule		 *rules;
	size_t			  nrules;
	struct rule_inst	 *insts;
	size_t			  ninsts;
	size_t			**by_ep;	/* per endpoint: inst indices */
	size_t			 *nby_ep;
	size_t			  nendpoints;
	size_t			 *any;		/* insts for every event */
	size_t			  nany;
	char			**needles;	/* fast path literals */
	size_t			  nneedles;
	int			  fastpath;	/* needles are sufficient */
	char			**warnings;	/* for keysentry check */
	size_t			  nwarnings;
	struct playbook		 *playbooks;
	size_t			  nplaybooks;
	/*
	 * key-exposed: told of every record (before the fast path) that
	 * holds key-like tokens (keys_tokens()); set by the engine when
	 * keys are registered.  ts: the record's time, or 0 if unknown.
	 */
	void			(*on_tokens)(void *arg, const char *input,
				    uint64_t lineno, int64_t ts,
				    const char *line, size_t len,
				    const struct keys_span *, size_t n);
	void			 *tokens_arg;
};

/*
 * Loads every rule file named by the config (files, or directories whose
 * *.yml and *.yaml files are read in name order), applies rule_overrides
 * and compiles instances for the config's endpoints.  Returns NULL with
 * every problem in diag.
 */
struct ruleset	*ruleset_load(const struct config *, struct ydiag *diag);
/* Compiles rules from one in-memory YAML buffer (tests, fuzzing). */
struct ruleset	*ruleset_load_buffer(const struct config *, const char *name,
		    const char *buf, size_t len, struct ydiag *diag);
void		 ruleset_free(struct ruleset *);

/* A field of an event, as rules and group keys see it. */
struct field_value {
	int			 present;
	const char		*s;	/* EVT_STRING */
	long long		 num;	/* EVT_INT */
	const struct ks_addr	*addr;	/* EVT_ADDR */
};

void		 field_value(const struct event *, enum ev_field,
		    const struct config *, struct field_value *);

/* Does the selection hold for the event? */
int		 selection_match(const struct selection *, const struct event *,
		    const struct config *);
/* match holds and no "not" selection does. */
int		 inst_match(const struct rule_inst *, const struct event *,
		    const struct config *);

/*
 * The fast path: 0 when no instance could match an event decoded from
 * this line, so the line need not be decoded.  Conservative: a line with
 * escapes ('\\' or '%') that could hide a needle is always relevant.
 */
int		 ruleset_line_relevant(const struct ruleset *, const char *line,
		    size_t len);

const struct rule *ruleset_rule(const struct ruleset *, const char *id);
/* Rules from files (built-in rules come last in rules[]). */
size_t		 ruleset_nfile_rules(const struct ruleset *);
const char	*agg_type_name(enum agg_type);

#endif
