/*
 * State kept across restarts in state_dir:
 *
 *   positions.json   per source, the records consumed from files already
 *                    closed; per followed file: device, inode, a hash of its first
 *                    bytes (to tell a different file that reuses an inode),
 *                    the offset just past the last whole record consumed,
 *                    the records consumed so far, and a warm-up offset some
 *                    event time before, to rebuild in-memory counters.
 *                    Written whole to a temporary file, then renamed.
 *   alerts.ledger    the ids of recent alerts, one per line, appended as
 *                    each alert is written, so that records read again after
 *                    a crash cannot raise the same alert twice.
 */
#ifndef KS_STATE_H
#define KS_STATE_H

#include <stddef.h>
#include <stdint.h>

#define STATE_HEAD_MAX	256	/* bytes of a file's start that identify it */
#define LEDGER_KEEP	4096	/* alert ids remembered */

struct pos {
	char		*source;	/* the configured path or pattern */
	char		*path;		/* the file's name when saved */
	uint64_t	 dev, ino;
	uint32_t	 head_len;	/* bytes hashed; 0: not known yet */
	uint8_t		 head[32];	/* SHA-256 of them */
	uint64_t	 offset;	/* past the last whole record consumed */
	uint64_t	 lines;		/* records consumed, ever */
	uint64_t	 warm_offset;	/* where a warm-up may start (<= offset) */
};

/* Per source: records consumed from its files that are closed now. */
struct srcpos {
	char		*source;
	uint64_t	 lines_closed;
};

struct state;

/* Opens (creating the directory if needed) and loads what is saved. */
struct state	*state_open(const char *dir, char *err, size_t errlen);
void		 state_close(struct state *);
const char	*state_dir(const struct state *);

/* Saved positions, as loaded at start. */
size_t		 state_npos(const struct state *);
const struct pos *state_pos(const struct state *, size_t i);
/* The saved position of a file, found by source and inode. */
const struct pos *state_find(const struct state *, const char *source,
		    uint64_t dev, uint64_t ino);
/* When the positions were saved (wall ns; 0 if never). */
int64_t		 state_saved_at(const struct state *);
/* A source's saved total for closed files (0 if none). */
uint64_t	 state_source_lines(const struct state *, const char *source);
/* Saves a complete set of positions atomically.  Returns 0 or -1. */
int		 state_save(struct state *, const struct pos *, size_t n,
		    const struct srcpos *, size_t nsrc);

/* Has an alert with this id been written (before a restart, say)? */
int		 state_alert_seen(const struct state *, const char *id);
/* Records an alert as written. */
void		 state_alert_add(struct state *, const char *id);

/*
 * The identity of a file's start: SHA-256 over its first bytes, up to and
 * including the first newline, at most STATE_HEAD_MAX.  *len is 0 for an
 * empty file.  Returns 0, or -1 on a read error.
 */
int		 state_head(int fd, uint8_t head[32], uint32_t *len);
/* Does the file start with the bytes a saved head describes? */
int		 state_head_matches(int fd, const struct pos *);

void		 pos_free(struct pos *);

#endif
