/*
 * keysentry replay: the pipeline over files, driven by the events' own
 * times.  Events from all files are merged in time order, so a rotated
 * set, or the logs of several hosts, give the alerts the live daemon
 * would have raised.
 */
#ifndef KS_REPLAY_H
#define KS_REPLAY_H

#include "engine.h"

struct replay_opts {
	const char	*format;	/* force a format; NULL: per file */
	int		 progress;	/* show progress on stderr */
	int		 quiet;		/* no summary */
};

/*
 * Replays the files into the engine.  Returns 0 when every file was read
 * to its end, 2 when some file could not be opened or was cut short (the
 * others are replayed all the same).
 */
int	replay_run(struct engine *, char *const *paths, int npaths,
	    const struct replay_opts *);

/* The decoder options for a file: the config source whose path names it. */
const struct decoder_opts *replay_decoder_opts(const struct config *,
	    const char *path);

#endif
