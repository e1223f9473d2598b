/*
 * Log files for replay (see source.h).  zlib's gzread() reads gzip and
 * plain files alike (it passes through what is not gzip), so a rotated set
 * such as access.log.2.gz access.log.1 access.log needs no hints.  The
 * line buffer holds max_line bytes plus one read chunk; a longer record
 * is counted, reported and skipped up to its newline without being held.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "log.h"
#include "source.h"
#include "util.h"

#define READ_CHUNK	(256 * 1024)

struct input {
	char			*name;
	uint32_t		 index;
	struct decoder		*dec;
	gzFile			 gz;
	uint64_t		 size;		/* on disk; 0 if unknown */
	char			*buf;
	size_t			 bufsize, start, end;
	size_t			 max_line;
	int			 eof, failed, skipping, first;
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
	in->first = 1;
	return in;
}

/* Fills the buffer; returns bytes read, 0 at the end. */
static size_t
fill(struct input *in)
{
	int		 n, errnum;
	const char	*msg;

	if (in->eof)
		return 0;
	n = gzread(in->gz, in->buf + in->end, (unsigned int)(in->bufsize -
	    in->end));
	if (n > 0) {
		in->end += (size_t)n;
		in->st.bytes += (uint64_t)n;
		return (size_t)n;
	}
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

int
input_record(struct input *in, const struct ruleset *rs,
    const struct config *cfg, const char *rec, size_t len, struct event *ev)
{
	struct decode_error	err;
	enum decode_result	r;

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
	if (!(ev->flags & EV_HAS_TIME)) {
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

int
input_next(struct input *in, const struct ruleset *rs,
    const struct config *cfg, struct event *ev)
{
	const char	*nl;
	size_t		 len;

	for (;;) {
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
				in->lineno++;
				in->st.read++;
				in->st.too_long++;
				report(in, 0, "record longer than "
				    "limits.max_line_bytes; skipped");
				continue;
			}
			if (input_record(in, rs, cfg, rec, len, ev))
				return 1;
			continue;
		}
		len = in->end - in->start;
		if (len > in->max_line && !in->skipping) {
			in->lineno++;
			in->st.read++;
			in->st.too_long++;
			report(in, 0, "record longer than "
			    "limits.max_line_bytes; skipped");
			in->skipping = 1;
		}
		if (in->skipping) {
			in->start = in->end = 0;	/* drop what we hold */
		} else if (in->start > 0) {
			memmove(in->buf, in->buf + in->start, len);
			in->end = len;
			in->start = 0;
		}
		if (fill(in) > 0)
			continue;
		/* end of input: a last record without its newline */
		if (in->end > in->start && !in->skipping) {
			const char *rec = in->buf + in->start;
			len = in->end - in->start;
			in->start = in->end;
			if (input_record(in, rs, cfg, rec, len, ev))
				return 1;
		}
		in->start = in->end = 0;
		return 0;
	}
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
