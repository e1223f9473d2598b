/*
 * Following the daemon's sources: log files (paths or globs) across
 * rotations and restarts, and stdin.  Files are watched with inotify (the
 * directory for names that appear, move and go; each followed inode for
 * writes), or polled on network filesystems and where "poll: true".
 *
 * Rotation, whichever way it is done, is a name that now leads to another
 * inode (rename and create, delete and recreate, a symlink swap) or a
 * file that shrank (copytruncate).  The file that lost its name is read
 * until it has been idle for rotate_wait, then closed; a truncated file's
 * unread tail is read from the copy when the copy is found.
 *
 * Start position: the saved position, else the end of the file (its last
 * newline), or its start with from_start.  Files that appear later are
 * read from their start.  After a restart a file is re-read from a
 * warm-up offset up to the saved one, with alerts held back, so that
 * in-memory counters are rebuilt; records after the saved offset are new.
 *
 * A live capture (type pcap) holds its place in the list, so that every
 * source keeps its index, but the daemon reads it (capture.c).
 */
#ifndef KS_FOLLOW_H
#define KS_FOLLOW_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "event.h"
#include "rules.h"
#include "source.h"
#include "state.h"

struct event_base;
struct follow;

struct follow_hooks {
	/* One event; warm: it was read again only to rebuild counters. */
	void		(*event)(void *arg, struct event *ev, int warm);
	/* The index of an input name for event.input (same name, same index). */
	uint32_t	(*input_index)(void *arg, const char *name);
	/* The detector's clock (event time), for warm-up checkpoints. */
	int64_t		(*clock)(void *arg);
	/* Every source is finished (only stdin sources, all closed). */
	void		(*finished)(void *arg);
	/* A source (by its index) read records just now. */
	void		(*lines)(void *arg, size_t source);
};

struct follow_opts {
	int		from_start;
	int64_t		rotate_wait;	/* ns */
	int64_t		poll_interval;	/* ns */
	uint64_t	max_catchup;	/* bytes read again or caught up */
	int64_t		warmup;		/* event time re-read after restart */
};

/* Per configured source, for statistics and silence. */
struct follow_source_stats {
	const char		*name;		/* path, pattern, or "-" */
	struct input_stats	 st;		/* since start, all its files */
	uint64_t		 lines;		/* records consumed, ever */
	int64_t			 last_line;	/* wall ns; 0: none yet */
	uint64_t		 rotations;	/* files that lost their name */
	uint64_t		 truncations;
	uint64_t		 skipped_bytes;	/* beyond max_catchup */
	unsigned int		 files;		/* open now */
	int			 polling;
	int			 capture;	/* a live capture: no lines */
};

struct follow	*follow_new(struct event_base *, struct state *,
		    const struct follow_opts *, const struct follow_hooks *,
		    void *arg);
/*
 * Brings the followed sources in line with the config (at start, and
 * after a reload: unchanged sources keep their files and positions).
 * Returns 0, or -1 with a message.
 */
int		 follow_configure(struct follow *, const struct config *,
		    const struct ruleset *, size_t max_line, char *err,
		    size_t errlen);
/* Saves positions now (the daemon calls this at most once a second). */
void		 follow_save(struct follow *);
/* Whether positions changed since the last save. */
int		 follow_dirty(const struct follow *);
/* Stops reading (SIGTERM): no further reads; positions stay savable. */
void		 follow_stop(struct follow *);
void		 follow_free(struct follow *);

size_t		 follow_nsources(const struct follow *);
void		 follow_source_stats(const struct follow *, size_t i,
		    struct follow_source_stats *);

/* Helpers, exposed for tests. */
/* Offset just past the last newline at or before off (0 if none). */
uint64_t	 follow_line_start_before(int fd, uint64_t off);
/* Does this filesystem need polling (NFS, SMB, FUSE...)? */
int		 follow_fs_needs_polling(const char *dir);

#endif
