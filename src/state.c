/*
 * State across restarts (see state.h).  Positions are JSON (jansson), read
 * whole at start and written whole, to a temporary name then renamed, so a
 * crash leaves either the old file or the new one.  The ledger is a plain
 * append-only file of alert ids, rewritten with only the recent ones at
 * start.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>

#include "kstime.h"
#include "log.h"
#include "state.h"
#include "util.h"

#define LEDGER_ID_LEN	32

struct state {
	char		*dir;
	char		*posfile, *postmp;
	char		*ledgerfile;
	struct pos	*pos;
	size_t		 npos;
	struct srcpos	*srcs;
	size_t		 nsrcs;
	int64_t		 saved_at;
	char		(*ids)[LEDGER_ID_LEN + 1];	/* ring */
	size_t		 nids, idhead;
	int		 ledger_fd;
	size_t		 ledger_lines;	/* in the file, for compaction */
};

void
pos_free(struct pos *p)
{
	free(p->source);
	free(p->path);
	p->source = p->path = NULL;
}

static char *
join(const char *dir, const char *name)
{
	char *p = ks_xmalloc(strlen(dir) + strlen(name) + 2);

	sprintf(p, "%s/%s", dir, name);
	return p;
}

static int
hex_to_bytes(const char *hex, uint8_t *out, size_t n)
{
	size_t	i;
	int	hi, lo;

	if (hex == NULL || strlen(hex) != 2 * n)
		return -1;
	for (i = 0; i < n; i++) {
		hi = hex[2 * i] >= 'a' ? hex[2 * i] - 'a' + 10 :
		    hex[2 * i] - '0';
		lo = hex[2 * i + 1] >= 'a' ? hex[2 * i + 1] - 'a' + 10 :
		    hex[2 * i + 1] - '0';
		if (hi < 0 || hi > 15 || lo < 0 || lo > 15)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static uint64_t
juint(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_integer(v) && json_integer_value(v) >= 0 ?
	    (uint64_t)json_integer_value(v) : 0;
}

static void
load_positions(struct state *st)
{
	json_error_t	 je;
	json_t		*doc, *files, *f;
	size_t		 i;

	doc = json_load_file(st->posfile, 0, &je);
	if (doc == NULL) {
		if (access(st->posfile, F_OK) == 0)
			log_warnx("%s:%d:%d: %s; starting without saved "
			    "positions", st->posfile, je.line, je.column,
			    je.text);
		return;
	}
	files = json_object_get(doc, "files");
	if (json_integer_value(json_object_get(doc, "version")) != 1 ||
	    !json_is_array(files)) {
		log_warnx("%s: not a positions file of version 1; starting "
		    "without saved positions", st->posfile);
		json_decref(doc);
		return;
	}
	st->saved_at = json_integer_value(json_object_get(doc, "saved_at"));
	st->pos = ks_xcalloc(json_array_size(files) + 1, sizeof(*st->pos));
	json_array_foreach(files, i, f) {
		struct pos	*p = &st->pos[st->npos];
		const char	*src = json_string_value(json_object_get(f,
				    "source"));
		const char	*path = json_string_value(json_object_get(f,
				    "path"));

		if (src == NULL || path == NULL)
			continue;
		memset(p, 0, sizeof(*p));
		p->dev = juint(f, "dev");
		p->ino = juint(f, "ino");
		p->head_len = (uint32_t)juint(f, "head_len");
		p->offset = juint(f, "offset");
		p->lines = juint(f, "lines");
		p->warm_offset = juint(f, "warm_offset");
		if (p->head_len > STATE_HEAD_MAX || (p->head_len > 0 &&
		    hex_to_bytes(json_string_value(json_object_get(f, "head")),
		    p->head, 32) == -1) || p->warm_offset > p->offset)
			continue;
		p->source = ks_xstrdup(src);
		p->path = ks_xstrdup(path);
		st->npos++;
	}
	files = json_object_get(doc, "sources");
	if (json_is_array(files)) {
		st->srcs = ks_xcalloc(json_array_size(files) + 1,
		    sizeof(*st->srcs));
		json_array_foreach(files, i, f) {
			const char *src = json_string_value(json_object_get(f,
			    "source"));
			if (src == NULL)
				continue;
			st->srcs[st->nsrcs].source = ks_xstrdup(src);
			st->srcs[st->nsrcs].lines_closed = juint(f,
			    "lines_closed");
			st->nsrcs++;
		}
	}
	json_decref(doc);
}

static void
remember_id(struct state *st, const char *id)
{
	ks_strlcpy(st->ids[st->idhead], id, LEDGER_ID_LEN + 1);
	st->idhead = (st->idhead + 1) % LEDGER_KEEP;
	if (st->nids < LEDGER_KEEP)
		st->nids++;
}

/* Loads the ledger and rewrites it with the ids kept. */
static int
load_ledger(struct state *st, char *err, size_t errlen)
{
	FILE	*f;
	char	 line[128], *tmp;
	size_t	 i, k;

	if ((f = fopen(st->ledgerfile, "r")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL) {
			line[strcspn(line, "\n")] = '\0';
			if (strlen(line) == LEDGER_ID_LEN)
				remember_id(st, line);
		}
		fclose(f);
	}
	tmp = join(st->dir, "alerts.ledger.tmp");
	if ((f = fopen(tmp, "w")) == NULL) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	for (k = 0; k < st->nids; k++) {
		i = (st->idhead + LEDGER_KEEP - st->nids + k) % LEDGER_KEEP;
		fprintf(f, "%s\n", st->ids[i]);
	}
	if (fclose(f) != 0 || rename(tmp, st->ledgerfile) == -1) {
		snprintf(err, errlen, "%s: %s", st->ledgerfile,
		    strerror(errno));
		free(tmp);
		return -1;
	}
	free(tmp);
	st->ledger_lines = st->nids;
	st->ledger_fd = open(st->ledgerfile, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (st->ledger_fd == -1) {
		snprintf(err, errlen, "%s: %s", st->ledgerfile,
		    strerror(errno));
		return -1;
	}
	return 0;
}

struct state *
state_open(const char *dir, char *err, size_t errlen)
{
	struct state	*st;
	struct stat	 sb;

	if (mkdir(dir, 0750) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "state_dir %s: %s", dir, strerror(errno));
		return NULL;
	}
	if (stat(dir, &sb) == -1 || !S_ISDIR(sb.st_mode)) {
		snprintf(err, errlen, "state_dir %s: not a directory", dir);
		return NULL;
	}
	st = ks_xcalloc(1, sizeof(*st));
	st->dir = ks_xstrdup(dir);
	st->posfile = join(dir, "positions.json");
	st->postmp = join(dir, "positions.json.tmp");
	st->ledgerfile = join(dir, "alerts.ledger");
	st->ids = ks_xcalloc(LEDGER_KEEP, sizeof(*st->ids));
	st->ledger_fd = -1;
	load_positions(st);
	if (load_ledger(st, err, errlen) == -1) {
		state_close(st);
		return NULL;
	}
	return st;
}

void
state_close(struct state *st)
{
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; i < st->npos; i++)
		pos_free(&st->pos[i]);
	free(st->pos);
	for (i = 0; i < st->nsrcs; i++)
		free(st->srcs[i].source);
	free(st->srcs);
	if (st->ledger_fd != -1)
		close(st->ledger_fd);
	free(st->ids);
	free(st->dir);
	free(st->posfile);
	free(st->postmp);
	free(st->ledgerfile);
	free(st);
}

const char *
state_dir(const struct state *st)
{
	return st->dir;
}

size_t
state_npos(const struct state *st)
{
	return st->npos;
}

const struct pos *
state_pos(const struct state *st, size_t i)
{
	return i < st->npos ? &st->pos[i] : NULL;
}

const struct pos *
state_find(const struct state *st, const char *source, uint64_t dev,
    uint64_t ino)
{
	size_t i;

	for (i = 0; i < st->npos; i++)
		if (st->pos[i].dev == dev && st->pos[i].ino == ino &&
		    strcmp(st->pos[i].source, source) == 0)
			return &st->pos[i];
	return NULL;
}

int64_t
state_saved_at(const struct state *st)
{
	return st->saved_at;
}

uint64_t
state_source_lines(const struct state *st, const char *source)
{
	size_t i;

	for (i = 0; i < st->nsrcs; i++)
		if (strcmp(st->srcs[i].source, source) == 0)
			return st->srcs[i].lines_closed;
	return 0;
}

static int
write_synced(const char *path, json_t *doc)
{
	char	*text = json_dumps(doc, JSON_INDENT(1));
	size_t	 len, off = 0;
	ssize_t	 n;
	int	 fd, rc = -1, saved;

	if (text == NULL)
		return -1;
	len = strlen(text);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0640)) == -1) {
		free(text);
		return -1;
	}
	while (off < len) {
		if ((n = write(fd, text + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			goto out;
		}
		off += (size_t)n;
	}
	if (write(fd, "\n", 1) == 1 && fsync(fd) == 0)
		rc = 0;
out:
	saved = errno;
	close(fd);
	free(text);
	errno = saved;
	return rc;
}

int
state_save(struct state *st, const struct pos *p, size_t n,
    const struct srcpos *sp, size_t nsrc)
{
	json_t	*doc = json_object(), *files = json_array(), *f;
	char	 hex[65];
	size_t	 i;
	int	 rc = 0;

	json_object_set_new(doc, "version", json_integer(1));
	json_object_set_new(doc, "saved_at", json_integer(kstime_now()));
	for (i = 0; i < n; i++) {
		f = json_object();
		json_object_set_new(f, "source", json_string(p[i].source));
		json_object_set_new(f, "path", json_string(p[i].path));
		json_object_set_new(f, "dev", json_integer((json_int_t)p[i].dev));
		json_object_set_new(f, "ino", json_integer((json_int_t)p[i].ino));
		json_object_set_new(f, "head_len", json_integer(p[i].head_len));
		ks_hex(p[i].head, 32, hex);
		json_object_set_new(f, "head", json_string(hex));
		json_object_set_new(f, "offset",
		    json_integer((json_int_t)p[i].offset));
		json_object_set_new(f, "lines",
		    json_integer((json_int_t)p[i].lines));
		json_object_set_new(f, "warm_offset",
		    json_integer((json_int_t)p[i].warm_offset));
		json_array_append_new(files, f);
	}
	json_object_set_new(doc, "files", files);
	files = json_array();
	for (i = 0; i < nsrc; i++) {
		f = json_object();
		json_object_set_new(f, "source", json_string(sp[i].source));
		json_object_set_new(f, "lines_closed",
		    json_integer((json_int_t)sp[i].lines_closed));
		json_array_append_new(files, f);
	}
	json_object_set_new(doc, "sources", files);
	/*
	 * A crash, even of the machine, leaves the old file or the new one,
	 * never half of one: the data reaches the disk before the rename.
	 */
	if (write_synced(st->postmp, doc) == -1 ||
	    rename(st->postmp, st->posfile) == -1) {
		log_warn("saving positions to %s", st->posfile);
		rc = -1;
	}
	json_decref(doc);
	return rc;
}

int
state_alert_seen(const struct state *st, const char *id)
{
	size_t i;

	for (i = 0; i < st->nids; i++)
		if (strcmp(st->ids[i], id) == 0)
			return 1;
	return 0;
}

void
state_alert_add(struct state *st, const char *id)
{
	char	line[LEDGER_ID_LEN + 2];
	size_t	n;

	if (strlen(id) != LEDGER_ID_LEN)
		return;
	remember_id(st, id);
	n = (size_t)snprintf(line, sizeof(line), "%s\n", id);
	if (st->ledger_fd != -1 && write(st->ledger_fd, line, n) !=
	    (ssize_t)n)
		log_warn("appending to %s", st->ledgerfile);
	/* the file keeps growing between restarts; bound it */
	if (++st->ledger_lines > 4 * LEDGER_KEEP) {
		char err[256];
		close(st->ledger_fd);
		st->ledger_fd = -1;
		if (load_ledger(st, err, sizeof(err)) == -1)
			log_warnx("%s", err);
	}
}

int
state_head(int fd, uint8_t head[32], uint32_t *len)
{
	char	buf[STATE_HEAD_MAX];
	ssize_t	n;
	char	*nl;

	n = pread(fd, buf, sizeof(buf), 0);
	if (n < 0)
		return -1;
	nl = memchr(buf, '\n', (size_t)n);
	if (nl != NULL)
		n = nl - buf + 1;
	*len = (uint32_t)n;
	return ks_sha256(buf, (size_t)n, head);
}

int
state_head_matches(int fd, const struct pos *p)
{
	char	buf[STATE_HEAD_MAX];
	uint8_t	md[32];
	ssize_t	n;

	if (p->head_len == 0)
		return 1;	/* nothing to compare: the file was empty */
	n = pread(fd, buf, p->head_len, 0);
	if (n != (ssize_t)p->head_len || ks_sha256(buf, (size_t)n, md) == -1)
		return 0;
	return memcmp(md, p->head, 32) == 0;
}
