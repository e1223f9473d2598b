/*
 * One connection to Redis, shared by the Redis store and the redis-stream
 * output: hiredis' asynchronous API on a libevent loop (the daemon's, or
 * one of its own for replay).
 *
 * Replies come in the order commands were sent.  A command without a
 * reply for RCONN_TIMEOUT is a Redis that hangs (SIGSTOP, swap): the
 * connection is dropped, every pending command gets no reply (NULL), and
 * connecting again is retried after 1, 2, 4 ... 30 s.  While there is no
 * connection, rconn_send() refuses at once.  AUTH and SELECT are the first
 * commands of every connection, then whatever the owner's on_connect hook
 * queues (the store loads its scripts).  Messages name the server without
 * its user and password.
 */
#ifndef KS_RCONN_H
#define KS_RCONN_H

#include <stddef.h>
#include <stdint.h>

#define RCONN_TIMEOUT_NS	(2 * INT64_C(1000000000))
#define RCONN_BACKOFF_MAX_S	30

struct event_base;
struct redisReply;
struct rconn;

/* reply is NULL when there was none (connection lost or dropped). */
typedef void	rconn_cb(void *arg, struct redisReply *reply);
/* Called with each new connection, before any other command is sent. */
typedef void	rconn_hook(struct rconn *, void *arg);

/* redis:// or unix:// */
int		 rconn_accepts(const char *url);
/*
 * base NULL: a loop of its own, and a server that cannot be reached is an
 * error (replay); else the daemon's loop, and connecting is retried.
 * what names the owner in messages ("store", "output").
 */
struct rconn	*rconn_open(const char *url, struct event_base *base,
		    const char *what, rconn_hook *hook, void *hook_arg,
		    char *err, size_t errlen);
/* Called each time a connection is established. */
void		 rconn_on_up(struct rconn *, rconn_hook *, void *arg);
/* 0, or -1 (no connection: cb is not called). */
int		 rconn_send(struct rconn *, int argc, const char **argv,
		    const size_t *lens, rconn_cb *cb, void *arg);
size_t		 rconn_pending(const struct rconn *);
/* One turn of the loop, without waiting (a loop of its own only). */
void		 rconn_poll(struct rconn *);
/* Without a connection: try now, not at the next backoff. */
void		 rconn_kick(struct rconn *);
/* Runs the loop for at most ns (a loop of its own only). */
void		 rconn_run_for(struct rconn *, int64_t ns);
/* Runs the loop until at most max commands await a reply (bounded). */
void		 rconn_wait(struct rconn *, size_t max);
int		 rconn_up(const struct rconn *);
int		 rconn_own_loop(const struct rconn *);
uint64_t	 rconn_reconnects(const struct rconn *);
const char	*rconn_where(const struct rconn *);
/* Pending commands get no reply (their callbacks run with NULL). */
void		 rconn_close(struct rconn *);

/* Is the URL well formed?  0, or -1 with a message (no credentials). */
int		 rconn_check_url(const char *url, char *err, size_t errlen);
/* Exposed for tests: a redis:// or unix:// URL's parts. */
int		 rconn_parse_url(const char *url, char **host, int *port,
		    char **path, char **user, char **pass, int *db, char *err,
		    size_t errlen);

#endif
