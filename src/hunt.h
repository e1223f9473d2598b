/*
 * keysentry hunt: the leak response's "review logs for use of the exposed
 * value".  Over logs and captures (read as replay reads them, in time
 * order), for one fingerprint: every use of it (per source: first and
 * last time, how many, the statuses, the endpoints and files), and every
 * line that writes it in plain text (file, line, time, the line masked).
 * The report is a JSON evidence document; a summary goes to stderr.
 */
#ifndef KS_HUNT_H
#define KS_HUNT_H

#include <stdio.h>

#include "engine.h"
#include "keys.h"

#define HUNT_MAX_SOURCES	100000	/* past it, uses are counted only */
#define HUNT_MAX_EXPOSURES	10000	/* listed; the rest counted */

struct hunt_opts {
	char		 fingerprint[KEYS_FP_LEN + 1];
	int64_t		 since, until;	/* ns; 0: open */
	const char	*format;	/* force a log format; NULL: per file */
	int		 quiet;		/* no summary on stderr */
};

/*
 * Reads the files into a report written to out.  Returns 0 when every
 * file was read to its end, 2 when some could not be (the others are
 * read all the same), 1 if the report could not be written.
 */
/*
 * The files a hunt reads when it is given none: every file source of the
 * config (globs expanded), with the rotated generations beside each (the
 * name followed by '.' or '-': access.log.1, access.log.2.gz,
 * access.log-20261120), in name order.  Returns how many; *paths is
 * malloc'd, each path too.
 */
size_t	hunt_config_paths(const struct config *, char ***paths);
int	hunt_run(struct engine *, const struct hunt_opts *, char *const *paths,
	    int npaths, FILE *out);

#endif
