/*
 * Sinks: where alert documents go.  A sink is chosen by the output's type
 * from a NULL-terminated backend table; adding one (syslog, a Redis
 * stream, exec) is one new file and one table entry.  A sink never blocks
 * detection and never stops the process: a failed write is logged and
 * counted.
 *
 * In the daemon, delivery is at least once.  An alert its backend cannot
 * take (a write that fails at once, or later: sink_defer()) joins the
 * output's backlog: a queue of at most output.queue alerts in memory,
 * then a spool file in state_dir/spool (at most output.spill_max bytes;
 * beyond, alerts are dropped and counted).  While there is a backlog, new
 * alerts join it too, so that order holds; a timer offers the oldest to
 * the backend again (after 1 s, doubling up to 60 s while it fails).  At
 * the stop the queue is written to the spool, which the next start
 * offers first.  A replay writes directly and counts failures.
 */
#ifndef KS_SINK_H
#define KS_SINK_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct sink;

struct sink_backend {
	const char	*type;
	int		(*open)(struct sink *, const struct output_conf *,
			    char *err, size_t errlen);
	/* One alert, as one line of JSON without its newline. */
	int		(*write)(struct sink *, const char *json, size_t len);
	int		(*flush)(struct sink *);
	/* Reopens files (logrotate); may be NULL. */
	int		(*reopen)(struct sink *);
	/* Waits for queued writes to be answered; may be NULL. */
	int		(*drain)(struct sink *);
	void		(*close)(struct sink *);
};

struct sink {
	const struct sink_backend	*be;
	const struct output_conf	*conf;
	struct event_base		*base;	/* NULL: none (replay) */
	void				*priv;
	uint64_t			 written;
	uint64_t			 failed;
	/* delivery (exec): runs that ended well, failed runs, runs tried
	   again, alerts dropped on a full queue; waiting and running now */
	uint64_t			 delivered;
	uint64_t			 run_failures;
	uint64_t			 retries;
	uint64_t			 dropped;
	uint64_t			 queued;
	uint64_t			 running;
	/* the alert being written, for sinks that show it (syslog) */
	int				 cur_severity;	/* enum severity */
	const char			*cur_rule;
	/* the backlog (see above) */
	struct sink_item		*qhead, **qtail;
	size_t				 qlen;
	char				*spool;		/* path; NULL: none */
	int				 spool_loaded;	/* its stock taken */
	uint64_t			 spool_lines;	/* not yet offered */
	uint64_t			 spool_bytes;	/* in the file */
	uint64_t			 spool_off;	/* read up to here */
	uint64_t			 spilled;	/* lines written, ever */
	uint64_t			 backlogged;	/* alerts deferred, ever */
	struct event			*retry;
	int64_t				 retry_wait;	/* ns */
	int				 behind;	/* logged */
	int				 spool_full;	/* logged */
};

struct sink_item;

struct event_base;

struct sink	*sink_open(const struct output_conf *, struct event_base *,
		    char *err, size_t errlen);
int		 sink_drain(struct sink *);
int		 sink_write(struct sink *, const char *json, size_t len);
/* The same, with the alert's severity and rule id for the sink. */
int		 sink_write_alert(struct sink *, const char *json, size_t len,
		    int severity, const char *rule);
/*
 * An alert the backend took but could not deliver after all (an answer
 * that came back an error, a program that failed every retry): back to
 * the backlog.  Its severity and rule are read from the document.
 */
void		 sink_defer(struct sink *, const char *json, size_t len);
/* The daemon's spool: state_dir/spool/<output>.jsonl; offered first. */
void		 sink_set_spool(struct sink *, const char *state_dir);
uint64_t	 sink_backlog(struct sink *);
int		 sink_flush(struct sink *);
int		 sink_reopen(struct sink *);
void		 sink_close(struct sink *);

extern const struct sink_backend sink_file_backend;
extern const struct sink_backend sink_redis_stream_backend;
extern const struct sink_backend sink_syslog_backend;
extern const struct sink_backend sink_exec_backend;

/* A syslog output's address: unix:/path, udp://host:port, tcp://host:port
 * (transport 0, 1, 2); 0, or -1 with a message. */
int	sink_syslog_parse(const char *address, int *transport, char **host,
	    char **port, char **path, char *err, size_t errlen);

#endif
