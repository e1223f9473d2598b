/*
 * Inputs (see source.h).  For replay, zlib's gzread() reads gzip and plain
 * files alike (it passes through what is not gzip), so a rotated set such
 * as access.log.2.gz access.log.1 access.log needs no hints.  The daemon's
 * inputs read a descriptor with read(2).  The line buffer holds max_line
 * bytes plus one read chunk; a longer record is counted, reported and
 * skipped up to its newline without being held.  base is the byte offset
 * of buf[0] in the source, so base + start is always just past the last
 * whole record consumed.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "kstime.h"
#include "log.h"
#include "source.h"
#include "util.h"

#define READ_CHUNK	(256 * 1024)

enum input_kind { INPUT_STREAM, INPUT_GROWING, INPUT_PIPE, INPUT_DETACHED };

struct input {
	char			*name;
	uint32_t		 index;
	struct decoder		*dec;
	enum input_kind		 kind;
	gzFile			 gz;		/* INPUT_STREAM */
	int			 fd;		/* INPUT_GROWING, INPUT_PIPE */
	uint64_t		 size;		/* on disk; 0 if unknown */
	char			*buf;
	size_t			 bufsize, start, end;
	size_t			 max_line;
	uint64_t		 base;		/* source offset of buf[0] */
	uint64_t		 limit;		/* stop here; 0: no limit */
	int			 eof;		/* nothing more, ever */
	int			 final;		/* take a last partial line */
	int			 failed, skipping, first, wallclock;
	uint64_t		 lineno;
	int64_t			 last_ts;
	int			 have_ts;
	unsigned int		 reports;
	struct input_stats	 st;
};

static const struct {
	uint8_t		 magic[4];
	const char	*what;
} captures[] = {
	{ { 0xd4, 0xc3, 0xb2, 0xa1 }, "a pcap capture" },
	{ { 0xa1, 0xb2, 0xc3, 0xd4 }, "a pcap capture" },
	{ { 0x4d, 0x3c, 0xb2, 0xa1 }, "a pcap capture" },
	{ { 0xa1, 0xb2, 0x3c, 0x4d }, "a pcap capture" },
	{ { 0x0a, 0x0d, 0x0d, 0x0a }, "a pcapng capture" },
};

struct input *
input_new_detached(const char *name, uint32_t index, struct decoder *dec)
{
	struct input *in = ks_xcalloc(1, sizeof(*in));

	in->name = ks_xstrdup(name);
	in->index = index;
	in->dec = dec;
	in->kind = INPUT_DETACHED;
	in->fd = -1;
	in->first = 1;
	return in;
}

/* Reads more of a gzip or plain stream; 0 at its end (or on an error). */
static size_t
fill_stream(struct input *in)
{
	int		 n, errnum;
	const char	*msg;

	n = gzread(in->gz, in->buf + in->end, (unsigned int)(in->bufsize -
	    in->end));
	if (n > 0)
		return (size_t)n;
	in->eof = 1;
	msg = gzerror(in->gz, &errnum);
	if (n < 0 || (errnum != Z_OK && errnum != Z_STREAM_END)) {
		in->failed = 1;
		if (errnum == Z_BUF_ERROR)
			log_warnx("%s: compressed data ends early, after %"
			    PRIu64 " bytes of content (compressed offset %ld): "
			    "%s; the records read so far are kept", in->name,
			    in->st.bytes, (long)gzoffset(in->gz), msg);
		else if (errnum == Z_ERRNO)
			log_warn("%s: read error after %" PRIu64 " bytes",
			    in->name, in->st.bytes);
		else
			log_warnx("%s: corrupt compressed data after %" PRIu64
			    " bytes of content (compressed offset %ld): %s",
			    in->name, in->st.bytes, (long)gzoffset(in->gz),
			    msg);
	}
	return 0;
}

/*
 * Reads more from a descriptor; 0 when there is nothing now.  A growing
 * file never ends by itself; a pipe ends when its writer closes it.
 */
static size_t
fill_fd(struct input *in)
{
	ssize_t n;

	for (;;) {
		n = read(in->fd, in->buf + in->end, in->bufsize - in->end);
		if (n > 0)
			return (size_t)n;
		if (n == 0) {
			if (in->kind == INPUT_PIPE)
				in->eof = 1;
			return 0;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		if (!in->failed)
			log_warn("%s: read error at offset %" PRIu64, in->name,
			    in->base + in->end);
		in->failed = 1;
		if (in->kind == INPUT_PIPE)
			in->eof = 1;
		return 0;
	}
}

/* Fills the buffer; returns bytes read, 0 if there are none (now). */
static size_t
fill(struct input *in)
{
	size_t n;

	if (in->eof)
		return 0;
	if (in->kind == INPUT_STREAM)
		n = fill_stream(in);
	else if (in->kind == INPUT_GROWING || in->kind == INPUT_PIPE)
		n = fill_fd(in);
	else
		return 0;
	in->end += n;
	in->st.bytes += n;
	return n;
}

struct input *
input_open_file(const char *path, uint32_t index, struct decoder *dec,
    size_t max_line, char *err, size_t errlen)
{
	struct input	*in;
	struct stat	 st;
	int		 fd;
	size_t		 i;

	if (strcmp(path, "-") == 0)
		fd = dup(STDIN_FILENO);
	else
		fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		decoder_free(dec);
		return NULL;
	}
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: is a directory", path);
		close(fd);
		decoder_free(dec);
		return NULL;
	}
	in = input_new_detached(path, index, dec);
	in->kind = INPUT_STREAM;
	in->size = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
	if ((in->gz = gzdopen(fd, "rb")) == NULL) {
		snprintf(err, errlen, "%s: cannot set up reading", path);
		close(fd);
		input_close(in);
		return NULL;
	}
	gzbuffer(in->gz, READ_CHUNK);
	in->max_line = max_line;
	in->bufsize = max_line + READ_CHUNK;
	in->buf = ks_xmalloc(in->bufsize);
	fill(in);
	for (i = 0; i < KS_ARRAY_LEN(captures); i++) {
		if (in->end >= 4 && memcmp(in->buf, captures[i].magic, 4) ==
		    0) {
			snprintf(err, errlen, "%s: is %s; this version replays "
			    "log files only", path, captures[i].what);
			input_close(in);
			return NULL;
		}
	}
	return in;
}

struct input *
input_open_fd(const char *name, uint32_t index, struct decoder *dec, int fd,
    int pipe, uint64_t offset, size_t max_line)
{
	struct input *in = input_new_detached(name, index, dec);

	in->kind = pipe ? INPUT_PIPE : INPUT_GROWING;
	in->fd = fd;
	in->base = offset;
	in->first = offset == 0;
	in->max_line = max_line;
	in->bufsize = max_line + READ_CHUNK;
	in->buf = ks_xmalloc(in->bufsize);
	return in;
}

static void
report(struct input *in, size_t column, const char *msg)
{
	if (in->reports < INPUT_MAX_REPORTS) {
		if (column > 0)
			log_warnx("%s:%" PRIu64 ":%zu: %s", in->name,
			    in->lineno, column, msg);
		else
			log_warnx("%s:%" PRIu64 ": %s", in->name, in->lineno,
			    msg);
	} else if (in->reports == INPUT_MAX_REPORTS)
		log_warnx("%s: more bad records follow; they are counted, "
		    "not shown", in->name);
	in->reports++;
}

static int	record(struct input *, const struct ruleset *, const char *,
		    size_t, struct event *);

int
input_record(struct input *in, const struct ruleset *rs,
    const struct config *cfg, const char *rec, size_t len, struct event *ev)
{
	struct keys_span	toks[KEYS_SPAN_MAX];
	size_t			ntok = 0;
	int			r;

	(void)cfg;
	in->lineno++;
	in->st.read++;
	if (in->first) {
		in->first = 0;
		if (len >= 3 && memcmp(rec, "\xef\xbb\xbf", 3) == 0) {
			rec += 3;	/* a UTF-8 byte order mark */
			len -= 3;
		}
	}
	if (len > 0 && rec[len - 1] == '\r')
		len--;
	if (len == 0) {
		in->st.ignored++;
		return 0;
	}
	/* every record, whatever the fast path says: a key written out */
	if (rs->on_tokens != NULL)
		ntok = keys_tokens(rec, len, toks, KEYS_SPAN_MAX);
	r = record(in, rs, rec, len, ev);
	if (ntok > 0) {
		/* the record's time; a line of another kind may hold one */
		int64_t ts = 0;
		if (r == 1)
			ts = ev->ts;
		else if (kstime_find(rec, len, &ts) == -1)
			ts = in->have_ts ? in->last_ts : 0;
		rs->on_tokens(rs->tokens_arg, in->name, in->lineno, ts, rec,
		    len, toks, ntok);
	}
	return r;
}

/* A record past its trimming: the fast path, decoding, its time. */
static int
record(struct input *in, const struct ruleset *rs, const char *rec,
    size_t len, struct event *ev)
{
	struct decode_error	err;
	enum decode_result	r;

	if (!ruleset_line_relevant(rs, rec, len)) {
		in->st.filtered++;
		return 0;
	}
	r = decoder_decode(in->dec, rec, len, ev, &err);
	if (r == DECODE_IGNORE) {
		in->st.ignored++;
		return 0;
	}
	if (r == DECODE_ERROR) {
		in->st.malformed++;
		report(in, err.column, err.msg);
		return 0;
	}
	if (!(ev->flags & EV_HAS_TIME) && in->wallclock)
		ev->ts = kstime_now(); else if (!(ev->flags & EV_HAS_TIME)) {
		if (!in->have_ts) {
			in->st.no_time++;
			report(in, 0, "record has no time, and no earlier "
			    "record to take one from");
			return 0;
		}
		ev->ts = in->last_ts;	/* the previous record's time */
	} else {
		in->last_ts = ev->ts;
		in->have_ts = 1;
	}
	ev->line = in->lineno;
	ev->input = in->index;
	in->st.decoded++;
	return 1;
}

/* Drops the consumed bytes from the front of the buffer. */
static void
compact(struct input *in)
{
	if (in->start == 0)
		return;
	memmove(in->buf, in->buf + in->start, in->end - in->start);
	in->base += in->start;
	in->end -= in->start;
	in->start = 0;
}

/* Counts and reports a record longer than max_line. */
static void
too_long(struct input *in)
{
	in->lineno++;
	in->st.read++;
	in->st.too_long++;
	report(in, 0, "record longer than limits.max_line_bytes; skipped");
}

int
input_next(struct input *in, const struct ruleset *rs,
    const struct config *cfg, struct event *ev)
{
	const char	*nl;
	size_t		 len;

	if (in->buf == NULL)
		return 0;
	for (;;) {
		if (in->limit != 0 && in->base + in->start >= in->limit)
			return 0;
		nl = memchr(in->buf + in->start, '\n', in->end - in->start);
		if (nl != NULL) {
			const char *rec = in->buf + in->start;
			len = (size_t)(nl - rec);
			in->start += len + 1;
			if (in->skipping) {	/* the tail of a long record */
				in->skipping = 0;
				continue;
			}
			if (len > in->max_line) {
				too_long(in);
				continue;
			}
			if (input_record(in, rs, cfg, rec, len, ev))
				return 1;
			continue;
		}
		len = in->end - in->start;
		if (len > in->max_line && !in->skipping) {
			too_long(in);
			in->skipping = 1;
		}
		if (in->skipping) {	/* drop what we hold of it */
			in->base += in->end;
			in->start = in->end = 0;
		} else
			compact(in);
		if (fill(in) > 0)
			continue;
		/* nothing more for now: a last record without its newline? */
		if (in->end > in->start && !in->skipping &&
		    (in->eof || in->final || in->kind == INPUT_STREAM)) {
			const char *rec = in->buf + in->start;
			len = in->end - in->start;
			in->start = in->end;
			if (input_record(in, rs, cfg, rec, len, ev))
				return 1;
		}
		return 0;
	}
}

int
input_done(const struct input *in)
{
	return in->eof && in->start == in->end;
}

void
input_set_limit(struct input *in, uint64_t offset)
{
	in->limit = offset;
}

void
input_set_final(struct input *in)
{
	in->final = 1;
}

uint64_t
input_offset(const struct input *in)
{
	return in->base + in->start;
}

int
input_fd(const struct input *in)
{
	return in->fd;
}

void
input_restart(struct input *in, int fd, uint64_t offset)
{
	in->fd = fd;
	in->base = offset;
	in->start = in->end = 0;
	in->skipping = 0;
	in->final = 0;
	in->eof = 0;
	in->first = offset == 0;
}

void
input_set_decoder(struct input *in, struct decoder *dec)
{
	decoder_free(in->dec);
	in->dec = dec;
}

void
input_set_name(struct input *in, const char *name)
{
	free(in->name);
	in->name = ks_xstrdup(name);
}

void
input_set_wallclock(struct input *in, int on)
{
	in->wallclock = on;
}

void
input_close(struct input *in)
{
	if (in == NULL)
		return;
	if (in->gz != NULL)
		gzclose(in->gz);
	decoder_free(in->dec);
	free(in->buf);
	free(in->name);
	free(in);
}

const char *
input_name(const struct input *in)
{
	return in->name;
}

const struct input_stats *
input_stats(const struct input *in)
{
	return &in->st;
}

void
input_progress(const struct input *in, uint64_t *done, uint64_t *total)
{
	*total = in->size;
	*done = in->gz != NULL ? (uint64_t)gzoffset(in->gz) : 0;
}

int
input_failed(const struct input *in)
{
	return in->failed;
}
