/*
 * The site configuration: YAML (keysentry.conf(5)) to struct config.  A
 * config is built whole or not at all; a reload builds a new one aside and
 * swaps it in only if it loaded.  Relative paths in the file are taken
 * relative to the directory of the file itself.
 */
#ifndef KS_CONFIG_H
#define KS_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "decode.h"
#include "ydoc.h"

struct endpoint_conf {
	char		*name;
	char		*method;	/* upper case; NULL: any method */
	char		*path;		/* normalised like url.path */
	char		*key_header;	/* NULL if not declared */
	struct ks_cidr	*allowed;	/* allowed_sources: addresses, prefixes */
	size_t		 nallowed;
	char		**names;	/* allowed_sources: DNS names */
	size_t		 nnames;
	/*
	 * What the names resolve to (resolve.c fills it in; rules read it
	 * through cond.dyn).  Empty until resolved.
	 */
	struct ks_addrset resolved;
};

enum source_type { SOURCE_FILE, SOURCE_STDIN, SOURCE_PCAP };

#define PCAP_DEFAULT_FILTER	"tcp port 3110"

struct source_conf {
	enum source_type	 type;
	char			*path;		/* NULL for stdin, pcap */
	struct decoder_opts	 dopts;		/* strings owned here */
	int			 poll;		/* poll instead of inotify */
	int64_t			 silence_after;	/* ns; 0: the global one */
	/* pcap: a live capture (keysentry run) */
	char			*interface;
	char			*filter;	/* BPF, tcpdump's syntax */
	unsigned int		 snaplen;
	int			 promisc;
	size_t			 buffer_size;	/* bytes; 0: libpcap's */
	int64_t			 response_timeout; /* ns */
};

struct output_conf {
	char		*type;		/* "file", "redis-stream" */
	char		*path;		/* file: "-" is stdout; else a name */
	char		*url;		/* redis-stream */
	char		*stream;	/* redis-stream */
	unsigned long	 maxlen;	/* redis-stream: entries kept, about */
	char		*address;	/* syslog: unix:, udp://, tcp:// */
	int		 facility;	/* syslog: 0-23 */
	/* exec: the program and its arguments (no shell), how long a run
	   may take, how many run at once, how often a failed run is tried
	   again and after how long (doubling), alerts waiting at most */
	char		**argv;
	size_t		 nargv;
	int64_t		 timeout;	/* ns */
	unsigned int	 max_running;
	unsigned int	 retries;
	int64_t		 backoff;	/* ns, the first wait */
	int64_t		 backoff_max;	/* ns, the longest */
	size_t		 queue;		/* every output: the backlog */
	uint64_t	 spill_max;	/* bytes in state_dir/spool; 0: none */
	/* filters: alerts below min_severity, or of rules none of the
	   patterns (ids, or fnmatch(3) patterns such as key-*) names, are
	   not written here */
	int		 min_severity;	/* enum severity; 0: every alert */
	char		**rules;	/* NULL: every rule */
	size_t		 nrules;
};

/* A key's generations: the one in use, the one to come, the old ones. */
enum key_state {
	KEY_CURRENT, KEY_NEXT, KEY_RETIRED, KEY_REVOKED, KEY_CANARY
};

struct key_gen {
	char		 fp[24];	/* "sha256:" + 16 hex digits */
	enum key_state	 state;
	int64_t		 created;	/* ns; 0: not given */
	int64_t		 retired;	/* ns; 0: not given */
	int64_t		 revoked;	/* ns; 0: not given */
};

/* keys: a pre-shared key known by the fingerprints of its generations */
struct key_conf {
	char		*name;		/* CIAM_RELOAD_API_KEY */
	char		**endpoints;	/* NULL: every endpoint */
	size_t		 nendpoints;
	char		*environment;	/* NULL: this_environment's */
	int64_t		 max_age;	/* ns */
	struct key_gen	*gens;
	size_t		 ngens;
};

/* Per-rule tuning from "rule_overrides:"; a negative value is "unset". */
struct rule_override {
	char		*id;
	int		 enabled;	/* -1, 0, 1 */
	int		 severity;	/* -1 or enum severity */
	int64_t		 window;	/* ns */
	int64_t		 cooldown;	/* ns */
	long long	 threshold;
};

struct limits {
	size_t		max_line;	/* bytes per record */
	size_t		groups;		/* detector state entries */
	size_t		store_entries;	/* memory store entries */
	unsigned int	evidence;	/* events quoted per alert */
	unsigned int	max_threshold;	/* largest threshold a rule may set */
	/* captures: TCP reassembly */
	size_t		tcp_flows;	/* connections followed at once */
	size_t		tcp_flow_bytes;	/* out-of-order bytes held, per flow */
	size_t		tcp_total_bytes; /* the same, all flows */
	/* alerts per minute of event time, per severity and above; 0: any */
	unsigned int	alerts_per_minute;
};

struct config {
	char			*file;		/* as given */
	char			*dir;		/* for relative paths */
	char			*store;		/* "memory", redis:// ... */
	char			*key_prefix;	/* Redis keys start with it */
	int64_t			 max_skew;	/* ns: hosts' clocks may differ */
	char			**rules;	/* files or directories */
	size_t			 nrules;
	struct endpoint_conf	*endpoints;
	size_t			 nendpoints;
	struct source_conf	*sources;
	size_t			 nsources;
	struct output_conf	*outputs;
	size_t			 noutputs;
	struct rule_override	*overrides;
	size_t			 noverrides;
	struct key_conf		*keys;
	size_t			 nkeys;
	char			*this_environment;	/* NULL: none named */
	int64_t			 rotation_grace;	/* ns */
	/* more header names whose value is a key (hunt --key-header);
	   not from the file */
	char			**extra_key_headers;
	size_t			 nextra_key_headers;
	struct limits		 limits;
	char			*hostname;	/* observer.hostname */
	int64_t			 lateness;	/* allowed lateness, ns */

	/* the daemon (keysentry run) */
	char			*state_dir;
	uint64_t		 max_catchup;	/* bytes */
	int64_t			 rotate_wait;	/* ns */
	int64_t			 poll_interval;	/* ns */
	int64_t			 warmup;	/* ns; -1: from the rules */
	int64_t			 silence_after;	/* ns; 0: never */
	int64_t			 resolve_interval; /* ns */
	char			**dns_servers;	/* NULL: the system's */
	size_t			 ndns_servers;
	int			 log_syslog;	/* log: syslog */
	int			 log_level;	/* enum log_level */
	char			*stats_file;	/* NULL: none */
	int64_t			 stats_interval; /* ns */
	char			*user;		/* NULL: stay who we are */
};

/*
 * Loads and validates a config file.  On failure returns NULL and leaves
 * every problem in diag (caller frees with ydiag_free).
 */
struct config	*config_load(const char *path, struct ydiag *diag);
/* The same from memory (tests, fuzzing); name is used in messages. */
struct config	*config_load_buffer(const char *name, const char *buf,
		    size_t len, struct ydiag *diag);
/* The built-in defaults, as if from an empty file named path. */
struct config	*config_default(const char *path);
void		 config_free(struct config *);

const struct endpoint_conf *config_endpoint(const struct config *,
		    const char *name);
const struct rule_override *config_override(const struct config *,
		    const char *rule_id);
/* The name of a key state ("current", ...). */
const char	*key_state_name(enum key_state);
/* Is the key (by its environment) one of this environment's? */
int		 key_conf_here(const struct config *, const struct key_conf *);
/* Joins a path from the config with the config's directory. */
char		*config_path(const struct config *, const char *p);

#endif
