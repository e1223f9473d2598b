/*
 * keysentry run: the engine fed live from the configured sources, on one
 * libevent loop.  Start-up reads as a checklist: config and rules, state,
 * store and outputs, sources; then privileges are dropped and the loop
 * runs until SIGTERM or SIGINT (or the end of a stdin-only input).
 */
#ifndef KS_DAEMON_H
#define KS_DAEMON_H

struct daemon_opts {
	const char	*config;
	int		 from_start;
};

/* Returns the exit status: 0 after a clean stop, 1 if start-up failed. */
int	daemon_run(const struct daemon_opts *);

#endif
