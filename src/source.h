/*
 * Inputs: where records come from.  An input reads bytes, splits them into
 * records (lines), applies the fast path and its decoder, and hands out
 * events.  Every record is counted in exactly one of: decoded, filtered
 * (the fast path proved no rule can match), ignored (well-formed but not
 * an access record), malformed, too long, or without a time.  Malformed
 * records are reported as FILE:LINE:COLUMN on stderr, the first few per
 * input, and never stop anything.
 *
 * Three kinds of byte source share one line splitter:
 *   - a stream read to its end (replay: plain or gzip, a file or stdin);
 *   - a growing file (the daemon): reading stops at the current end and
 *     resumes when the file grows; a last line without its newline waits
 *     for it, unless the input is told the file is finished;
 *   - a pipe (the daemon's stdin), finished when its writer closes it.
 * The input knows the byte offset just past the last whole record it
 * handed out, which is what a saved position must be.
 */
#ifndef KS_SOURCE_H
#define KS_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "decode.h"
#include "event.h"
#include "rules.h"

#define INPUT_MAX_REPORTS	10	/* malformed records shown per input */

struct input_stats {
	uint64_t	read;		/* records */
	uint64_t	decoded;	/* became events */
	uint64_t	filtered;	/* fast path: cannot matter */
	uint64_t	ignored;	/* not access records, or blank */
	uint64_t	malformed;
	uint64_t	too_long;
	uint64_t	no_time;
	uint64_t	bytes;		/* uncompressed bytes read */
};

struct input;

/*
 * Opens a log file for replay: plain or gzip, told apart by content; "-"
 * is stdin.  Takes ownership of dec, also when it fails.  Returns NULL
 * with a message in err.
 */
struct input	*input_open_file(const char *path, uint32_t index,
		    struct decoder *dec, size_t max_line, char *err,
		    size_t errlen);
/*
 * An input on an open descriptor for the daemon: a growing regular file
 * (pipe = 0) whose next byte to read is at offset, or a pipe (pipe = 1),
 * read without blocking.  Takes ownership of dec, not of fd.
 */
struct input	*input_open_fd(const char *name, uint32_t index,
		    struct decoder *dec, int fd, int pipe, uint64_t offset,
		    size_t max_line);
/*
 * Reads records until one yields an event: returns 1 with *ev filled (its
 * endpoint not yet set), or 0 when there is none for now (a growing file
 * or a pipe with no more bytes yet) or any more (input_done()).
 */
int		 input_next(struct input *, const struct ruleset *,
		    const struct config *, struct event *ev);
/* The input is finished: a stream or pipe at its end. */
int		 input_done(const struct input *);
/*
 * A growing file that will not grow any more (rotated away, replaced):
 * its last line, if it lacks a newline, is taken as it is.
 */
void		 input_set_final(struct input *);
/*
 * Stops input_next() at offset (a record boundary) until the limit is
 * lifted with 0: how a warm-up ends exactly at a saved position.
 */
void		 input_set_limit(struct input *, uint64_t offset);
/* Byte offset just past the last whole record consumed. */
uint64_t	 input_offset(const struct input *);
/* The descriptor the input reads (growing files and pipes). */
int		 input_fd(const struct input *);
/*
 * Forgets buffered bytes and continues at offset (a file truncated under
 * us), or swaps in another descriptor (closing none).
 */
void		 input_restart(struct input *, int fd, uint64_t offset);
/* Replaces the decoder (a reload changed the source's format). */
void		 input_set_decoder(struct input *, struct decoder *);
void		 input_close(struct input *);

const char	*input_name(const struct input *);
void		 input_set_name(struct input *, const char *);
const struct input_stats *input_stats(const struct input *);
/* Compressed bytes consumed and total size, for progress; 0 if unknown. */
void		 input_progress(const struct input *, uint64_t *done,
		    uint64_t *total);
/* A read error or truncated file ended this input early. */
int		 input_failed(const struct input *);
/* Records without a time take the wall clock (live inputs). */
void		 input_set_wallclock(struct input *, int);

/*
 * The per-record step, exposed for tests and fuzzing: returns 1 and fills
 * *ev if the record (without its newline) became an event.
 */
int		 input_record(struct input *, const struct ruleset *,
		    const struct config *, const char *rec, size_t len,
		    struct event *ev);
/* An input that is fed records by input_record() only. */
struct input	*input_new_detached(const char *name, uint32_t index,
		    struct decoder *dec);

#endif
