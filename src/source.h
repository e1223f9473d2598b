/*
 * Inputs: where records come from.  An input reads bytes, splits them into
 * records (lines), applies the fast path and its decoder, and hands out
 * events.  Every record is counted in exactly one of: decoded, filtered
 * (the fast path proved no rule can match), ignored (well-formed but not
 * an access record), malformed, too long, or without a time.  Malformed
 * records are reported as FILE:LINE:COLUMN on stderr, the first few per
 * input, and never stop anything.
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
 * Reads records until one yields an event: returns 1 with *ev filled (its
 * endpoint not yet set), or 0 when the input is exhausted.
 */
int		 input_next(struct input *, const struct ruleset *,
		    const struct config *, struct event *ev);
void		 input_close(struct input *);

const char	*input_name(const struct input *);
const struct input_stats *input_stats(const struct input *);
/* Compressed bytes consumed and total size, for progress; 0 if unknown. */
void		 input_progress(const struct input *, uint64_t *done,
		    uint64_t *total);
/* A read error or truncated file ended this input early. */
int		 input_failed(const struct input *);

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
