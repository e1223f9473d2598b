/*
 * The file sink: one JSON document per line, appended to a file or written
 * to stdout ("-").  Lines are written whole with one write(2) each, so a
 * reader tailing the file never sees half an alert, and the file is
 * opened O_APPEND so that several writers interleave whole lines.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "sink.h"
#include "util.h"

struct file_sink {
	int	 fd;
	int	 is_stdout;
	char	*path;
	int	 warned;
};

static int
file_open_fd(struct file_sink *fs, char *err, size_t errlen)
{
	fs->fd = open(fs->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0640);
	if (fs->fd == -1) {
		snprintf(err, errlen, "%s: %s", fs->path, strerror(errno));
		return -1;
	}
	return 0;
}

static int
file_open(struct sink *s, const struct output_conf *conf, char *err,
    size_t errlen)
{
	struct file_sink *fs = ks_xcalloc(1, sizeof(*fs));

	fs->path = ks_xstrdup(conf->path);
	if (strcmp(conf->path, "-") == 0) {
		fs->fd = STDOUT_FILENO;
		fs->is_stdout = 1;
	} else if (file_open_fd(fs, err, errlen) == -1) {
		free(fs->path);
		free(fs);
		return -1;
	}
	s->priv = fs;
	return 0;
}

static int
file_write(struct sink *s, const char *json, size_t len)
{
	struct file_sink	*fs = s->priv;
	char			*line, stackbuf[8192];
	size_t			 off = 0;
	ssize_t			 n;

	line = len + 1 <= sizeof(stackbuf) ? stackbuf : ks_xmalloc(len + 1);
	memcpy(line, json, len);
	line[len] = '\n';
	while (off < len + 1) {
		n = write(fs->fd, line + off, len + 1 - off);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (!fs->warned)
				log_warn("output %s", fs->path);
			fs->warned = 1;
			break;
		}
		off += (size_t)n;
	}
	if (line != stackbuf)
		free(line);
	if (off == len + 1)
		fs->warned = 0;
	return off == len + 1 ? 0 : -1;
}

static int
file_reopen(struct sink *s)
{
	struct file_sink	*fs = s->priv;
	char			 err[512];
	int			 old = fs->fd;

	if (fs->is_stdout)
		return 0;
	if (file_open_fd(fs, err, sizeof(err)) == -1) {
		log_warnx("reopening output: %s", err);
		fs->fd = old;
		return -1;
	}
	close(old);
	return 0;
}

static void
file_close(struct sink *s)
{
	struct file_sink *fs = s->priv;

	if (!fs->is_stdout)
		close(fs->fd);
	free(fs->path);
	free(fs);
}

const struct sink_backend sink_file_backend = {
	.type = "file",
	.open = file_open,
	.write = file_write,
	.flush = NULL,
	.reopen = file_reopen,
	.close = file_close,
};
