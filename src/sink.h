/*
 * Sinks: where alert documents go.  A sink is chosen by the output's type
 * from a NULL-terminated backend table; adding one (syslog, a Redis
 * stream, exec) is one new file and one table entry.  A sink never blocks
 * detection and never stops the process: a failed write is logged and
 * counted.
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
};

struct event_base;

struct sink	*sink_open(const struct output_conf *, struct event_base *,
		    char *err, size_t errlen);
int		 sink_drain(struct sink *);
int		 sink_write(struct sink *, const char *json, size_t len);
int		 sink_flush(struct sink *);
int		 sink_reopen(struct sink *);
void		 sink_close(struct sink *);

extern const struct sink_backend sink_file_backend;
extern const struct sink_backend sink_redis_stream_backend;

#endif
