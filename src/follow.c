/*
 * Following files and stdin for the daemon (see follow.h).
 *
 * Structures: a source (fsrc) per configured file path, glob or stdin; a
 * followed file (ffile) per open inode, several per source while a
 * rotated file drains.  inotify watch descriptors map back to their owners
 * through a small table (a directory shared by two sources has one
 * descriptor and two owners).
 *
 * Reading is done in the loop's "work" event, a bounded number of records
 * per file per turn, so that signals and other sources are served while a
 * large catch-up runs.  Rotated files are read before the current ones:
 * their lines are older.
 */
#include "autoconfig.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>
#include <event2/event.h>

#include "follow.h"
#include "kstime.h"
#include "log.h"
#include "util.h"

#define TURN_RECORDS	20000	/* records per file per loop turn */
#define MAX_FILES	64	/* open files per source, rotated included */
#define MAX_CHECKPOINTS	24	/* warm-up checkpoints per file */
#define MAX_CLOSED	1024	/* closed generations remembered per source */

struct ffile {
	struct fsrc	*src;
	char		*path;		/* its name when last seen */
	uint64_t	 dev, ino;
	int		 fd;
	int		 wd;		/* inotify watch on the inode, or -1 */
	struct input	*in;
	int		 rotated;	/* lost its name; draining */
	int64_t		 mt, ct;	/* last write, change: its age */
	int64_t		 idle_since;	/* monotonic ns of its last growth */
	uint64_t	 size_seen;
	uint64_t	 lines_base;	/* records consumed before this run */
	uint64_t	 read_base;	/* st.read when warm-up ended */
	uint64_t	 warm_until;	/* records before this offset: warm */
	uint32_t	 head_len;
	char		 head[STATE_HEAD_MAX];	/* the file's first bytes */
	int		 head_final;	/* a whole first line, or the max */
	struct { uint64_t off; int64_t ts; } ck[MAX_CHECKPOINTS];
	size_t		 nck;
	int		 queued;
	struct event	*ev_read;	/* stdin from a pipe or terminal */
	struct ffile	*next;		/* in the source */
	struct ffile	*qnext;		/* in the work queue */
};

struct fsrc {
	struct follow		*f;
	enum source_type	 type;
	char			*pattern;	/* absolute path or glob */
	char			*dir;		/* its directory */
	char			*base;		/* its last component */
	int			 glob;
	int			 poll;
	int			 wd;		/* directory watch, or -1 */
	struct decoder_opts	 dopts;		/* copies */
	char			*sig;		/* config identity, for reload */
	struct ffile		*files;
	unsigned int		 nfiles;
	int			 started;	/* first scan done */
	int			 done;		/* stdin at its end */
	int			 need_scan;	/* marked by inotify */
	int64_t			 current_seen;	/* wall ns: a scan saw the name */
	uint64_t		 held;		/* turn its older file ran out in */
	struct closed_gen {
		uint64_t	 dev, ino;
		uint64_t	 offset;	/* read up to here */
	}			*recent;	/* closed lately, a ring */
	size_t			 nrecent, recent_head;
	int			 dir_gone;	/* its directory went */
	size_t			 index;		/* in the config's order */
	struct follow_source_stats stats;
	struct input_stats	 closed;	/* from files already closed */
	uint64_t		 lines_closed;	/* records of closed files, ever */
	struct fsrc		*next;
};

struct wdowner {
	int		 wd;
	int		 is_dir;
	void		*owner;		/* fsrc or ffile */
	struct wdowner	*next;
};

struct follow {
	struct event_base		*base;
	struct state			*state;
	struct follow_opts		 o;
	struct follow_hooks		 h;
	void				*arg;
	const struct config		*cfg;
	const struct ruleset		*rs;
	size_t				 max_line;
	int				 ifd;		/* inotify */
	struct event			*ev_inotify;
	struct event			*ev_work;
	struct event			*ev_poll;	/* armed only if needed */
	struct timeval			 poll_tv;
	struct fsrc			*srcs;
	struct wdowner			*wds;
	struct ffile			*queue;		/* files to read */
	int				 dirty;
	int				 stopped;
	int				 startup;	/* in the first configure */
	uint64_t			 turn;		/* on_work calls */
};

static void	queue_file(struct follow *, struct ffile *);
static int	make_room(struct fsrc *);
static uint64_t	pump(struct ffile *, uint64_t);
static int	watch_inode(struct follow *, struct ffile *);
static void	schedule_work(struct follow *);
static void	on_stdin(evutil_socket_t, short, void *);
static void	arm_poll(struct follow *);
static void	scan_source(struct fsrc *);


/*
 * The clock file timestamps come from (tick-granular), minus a tick: a
 * file written after this instant has an mtime at or after it.
 */
static int64_t
mtime_clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	return (int64_t)ts.tv_sec * KS_NSEC_PER_SEC + ts.tv_nsec -
	    20 * 1000000;
}


/* ------------------------------------------------------------------ */
/* inotify bookkeeping                                                 */

static int
watch_add(struct follow *f, const char *path, uint32_t mask, int is_dir,
    void *owner)
{
	struct wdowner	*w;
	int		 wd;

	if (f->ifd == -1)
		return -1;
	if ((wd = inotify_add_watch(f->ifd, path, mask)) == -1)
		return -1;
	w = ks_xcalloc(1, sizeof(*w));
	w->wd = wd;
	w->is_dir = is_dir;
	w->owner = owner;
	w->next = f->wds;
	f->wds = w;
	return wd;
}

static void
watch_remove(struct follow *f, int wd, void *owner)
{
	struct wdowner	**pp, *w;
	int		  others = 0;

	if (wd == -1)
		return;
	for (pp = &f->wds; (w = *pp) != NULL; ) {
		if (w->wd == wd && w->owner == owner) {
			*pp = w->next;
			free(w);
			continue;
		}
		if (w->wd == wd)
			others = 1;
		pp = &w->next;
	}
	if (!others && f->ifd != -1)
		inotify_rm_watch(f->ifd, wd);
}

/* ------------------------------------------------------------------ */
/* files                                                                */

uint64_t
follow_line_start_before(int fd, uint64_t off)
{
	char		buf[8192];
	uint64_t	end = off;
	ssize_t		n, i;

	while (end > 0) {
		uint64_t from = end > sizeof(buf) ? end - sizeof(buf) : 0;
		n = pread(fd, buf, (size_t)(end - from), (off_t)from);
		if (n <= 0)
			return 0;
		for (i = n - 1; i >= 0; i--)
			if (buf[i] == '\n')
				return from + (uint64_t)i + 1;
		end = from;
	}
	return 0;
}

/* Offset of the first line start at or after off. */
static uint64_t
line_start_after(int fd, uint64_t off)
{
	char	buf[8192];
	ssize_t	n, i;

	if (off == 0)
		return 0;
	for (;;) {
		n = pread(fd, buf, sizeof(buf), (off_t)(off - 1));
		if (n <= 0)
			return off;
		for (i = 0; i < n; i++)
			if (buf[i] == '\n')
				return off + (uint64_t)i;
		off += (uint64_t)n;
	}
}

int
follow_fs_needs_polling(const char *dir)
{
	static const long remote[] = {
		0x6969,			/* NFS */
		0x517B,			/* SMB */
		(long)0xFF534D42,	/* CIFS */
		(long)0xFE534D42,	/* SMB2 */
		0x65735546,		/* FUSE */
		0x00C36400,		/* Ceph */
		0x01021997,		/* 9P */
		0x5346414F,		/* AFS */
		0x0BD00BD0,		/* Lustre */
		0x01161970,		/* GFS2 */
		0x7461636f,		/* OCFS2 */
	};
	struct statfs	sfs;
	size_t		i;

	if (statfs(dir, &sfs) == -1)
		return 0;
	for (i = 0; i < KS_ARRAY_LEN(remote); i++)
		if ((long)sfs.f_type == remote[i])
			return 1;
	return 0;
}

/* Reads the first bytes of a file into ff->head. */
static void
update_head(struct ffile *ff)
{
	ssize_t	 n;
	char	*nl;

	if (ff->head_final)
		return;
	n = pread(ff->fd, ff->head, sizeof(ff->head), 0);
	if (n < 0)
		return;
	nl = memchr(ff->head, '\n', (size_t)n);
	if (nl != NULL)
		n = nl - ff->head + 1;
	ff->head_len = (uint32_t)n;
	ff->head_final = nl != NULL || n == (ssize_t)sizeof(ff->head);
}

/* Does the file still start as it did?  (A rewrite shows here first.) */
static int
head_unchanged(struct ffile *ff)
{
	char	buf[STATE_HEAD_MAX];
	ssize_t	n;

	if (ff->head_len == 0)
		return 1;
	n = pread(ff->fd, buf, ff->head_len, 0);
	return n == (ssize_t)ff->head_len && memcmp(buf, ff->head, (size_t)n)
	    == 0;
}

static uint64_t
file_lines(const struct ffile *ff)
{
	const struct input_stats *st = input_stats(ff->in);

	if (ff->warm_until != 0)
		return ff->lines_base;		/* still warming up */
	return ff->lines_base + (st->read - ff->read_base);
}

static void
close_file(struct ffile *ff)
{
	struct fsrc		*src = ff->src;
	struct follow		*f = src->f;
	struct ffile		**pp, *q;
	const struct input_stats *st = input_stats(ff->in);

	if (log_get_level() >= LOG_LVL_DEBUG) {
		struct stat sbd;
		char link[PATH_MAX], proc[64];
		ssize_t ln;
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", ff->fd);
		ln = readlink(proc, link, sizeof(link) - 1);
		link[ln > 0 ? ln : 0] = '\0';
		fstat(ff->fd, &sbd);
		log_debug("%s: closing inode %" PRIu64 " at offset %" PRIu64
		    " (fd %d: inode %" PRIu64 ", %" PRIu64 " bytes, %s)",
		    ff->path, ff->ino, input_offset(ff->in), ff->fd,
		    (uint64_t)sbd.st_ino, (uint64_t)sbd.st_size, link);
	}
	/*
	 * A generation read and closed is not "missed"; if it grows later
	 * (a writer that reopens its log late), only what is new is read.
	 */
	if (src->recent == NULL)
		src->recent = ks_xcalloc(MAX_CLOSED, sizeof(*src->recent));
	src->recent[src->recent_head].dev = ff->dev;
	src->recent[src->recent_head].ino = ff->ino;
	src->recent[src->recent_head].offset = input_offset(ff->in);
	src->recent_head = (src->recent_head + 1) % MAX_CLOSED;
	if (src->nrecent < MAX_CLOSED)
		src->nrecent++;
	/* what it read stays in the source's totals */
	src->closed.read += st->read;
	src->closed.decoded += st->decoded;
	src->closed.filtered += st->filtered;
	src->closed.ignored += st->ignored;
	src->closed.malformed += st->malformed;
	src->closed.too_long += st->too_long;
	src->closed.no_time += st->no_time;
	src->closed.bytes += st->bytes;
	src->lines_closed += file_lines(ff);
	watch_remove(f, ff->wd, ff);
	for (pp = &src->files; *pp != NULL; pp = &(*pp)->next)
		if (*pp == ff) {
			*pp = ff->next;
			break;
		}
	for (pp = &f->queue; (q = *pp) != NULL; pp = &q->qnext)
		if (q == ff) {
			*pp = ff->qnext;
			break;
		}
	src->nfiles--;
	if (ff->ev_read != NULL)
		event_free(ff->ev_read);
	input_close(ff->in);
	if (ff->fd != -1 && ff->fd != STDIN_FILENO)
		close(ff->fd);
	free(ff->path);
	free(ff);
	f->dirty = 1;
}

static struct decoder *
make_decoder(struct fsrc *src)
{
	char		 err[256];
	struct decoder	*d = decoder_new(&src->dopts, err, sizeof(err));

	if (d == NULL)		/* the config was checked: should not happen */
		fatalx("%s: %s", src->pattern, err);
	return d;
}

/* The followed file of this source with that inode, if any. */
static struct ffile *
find_file(struct fsrc *src, uint64_t dev, uint64_t ino)
{
	struct ffile *ff;

	for (ff = src->files; ff != NULL; ff = ff->next)
		if (ff->dev == dev && ff->ino == ino)
			return ff;
	return NULL;
}

/*
 * Opens a name and fills *sb from the descriptor: what a name leads to
 * can change between a stat() and an open() (a writer rotating), so the
 * identity is the open file's.  With want_ino set, a different file is
 * refused.
 */
static int
open_checked(const char *path, struct stat *sb, const struct stat *want)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd == -1)
		return -1;
	if (fstat(fd, sb) == -1 || !S_ISREG(sb->st_mode) || (want != NULL &&
	    (sb->st_dev != want->st_dev || sb->st_ino != want->st_ino))) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Watches the inode we opened, not whatever the name leads to by now (a
 * fast writer may have rotated again): through /proc/self/fd.  Without
 * procfs, the name, if it still leads to our inode; else the file is
 * polled (on_poll reads files that have no watch).
 */
static int
watch_inode(struct follow *f, struct ffile *ff)
{
	const uint32_t	mask = IN_MODIFY | IN_ATTRIB | IN_MOVE_SELF |
			    IN_DELETE_SELF;
	char		proc[64];
	struct stat	sb;
	int		wd;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", ff->fd);
	if ((wd = watch_add(f, proc, mask, 0, ff)) != -1)
		return wd;
	if ((wd = watch_add(f, ff->path, mask, 0, ff)) == -1)
		return -1;
	if (stat(ff->path, &sb) == -1 || (uint64_t)sb.st_ino != ff->ino ||
	    (uint64_t)sb.st_dev != ff->dev) {
		watch_remove(f, wd, ff);
		return -1;
	}
	return wd;
}

/*
 * Follows an open file from offset.  With a saved position the records
 * from warm to offset are read again as warm-up.
 */
static struct ffile *
add_file(struct fsrc *src, const char *path, int fd, const struct stat *sb,
    uint64_t offset, uint64_t warm, uint64_t lines, int rotated)
{
	struct follow	*f = src->f;
	struct ffile	*ff = ks_xcalloc(1, sizeof(*ff));
	uint32_t	 idx = f->h.input_index(f->arg, path);

	ff->src = src;
	ff->rotated = rotated;	/* before it is queued: rotated files first */
	ff->path = ks_xstrdup(path);
	ff->dev = (uint64_t)sb->st_dev;
	ff->ino = (uint64_t)sb->st_ino;
	ff->fd = fd;
	ff->lines_base = lines;
	ff->idle_since = kstime_monotonic();
	ff->size_seen = (uint64_t)sb->st_size;
	ff->mt = (int64_t)sb->st_mtim.tv_sec * KS_NSEC_PER_SEC +
	    sb->st_mtim.tv_nsec;
	ff->ct = (int64_t)sb->st_ctim.tv_sec * KS_NSEC_PER_SEC +
	    sb->st_ctim.tv_nsec;
	if (lseek(fd, (off_t)warm, SEEK_SET) == -1)
		log_warn("%s: seek", path);
	ff->in = input_open_fd(path, idx, make_decoder(src), fd, 0, warm,
	    f->max_line);
	input_set_wallclock(ff->in, 1);
	if (warm < offset) {
		ff->warm_until = offset;
		input_set_limit(ff->in, offset);
	}
	/* "everything before this offset is not ours": the first checkpoint */
	ff->ck[0].off = warm < offset ? warm : offset;
	ff->ck[0].ts = INT64_MIN;
	ff->nck = 1;
	update_head(ff);
	ff->wd = src->poll ? -1 : watch_inode(f, ff);
	log_debug("%s: following inode %" PRIu64 " from offset %" PRIu64
	    " (watch %d)", path, ff->ino, warm, ff->wd);
	ff->next = src->files;
	src->files = ff;
	src->nfiles++;
	f->dirty = 1;
	queue_file(f, ff);
	return ff;
}

/* Has this source run before (saved positions or totals)? */
static int
source_known(const struct fsrc *src)
{
	struct state	*st = src->f->state;
	size_t		 i;

	for (i = 0; i < state_npos(st); i++)
		if (strcmp(state_pos(st, i)->source, src->pattern) == 0)
			return 1;
	return state_source_lines(st, src->pattern) != 0;
}

/*
 * The offset a file we have no position for starts at: its start if it
 * appeared while we ran, or while we were stopped (the source has saved
 * state), or with --from-start; else, on a first run, its end.
 */
static uint64_t
start_offset(struct fsrc *src, int fd, const struct stat *sb)
{
	struct follow *f = src->f;

	if (!f->startup || f->o.from_start || source_known(src))
		return 0;
	return follow_line_start_before(fd, (uint64_t)sb->st_size);
}

/* Bounds a catch-up: returns the offset to start reading new records. */
static uint64_t
bound_catchup(struct fsrc *src, int fd, const char *path, uint64_t offset,
    uint64_t size)
{
	uint64_t max = src->f->o.max_catchup, to;

	if (size <= offset || size - offset <= max)
		return offset;
	to = line_start_after(fd, size - max);
	log_warnx("%s: %" PRIu64 " bytes were written while keysentry was "
	    "stopped; max_catchup_bytes is %" PRIu64 ", so the first %" PRIu64
	    " of them are skipped", path, size - offset, max, to - offset);
	src->stats.skipped_bytes += to - offset;
	return to;
}

/*
 * Opens a file found by a scan, where to start decided by saved state;
 * its stat in *sb.  Returns 0, or -1 if nothing new was opened.
 */
static int
open_found(struct fsrc *src, const char *path, struct stat *sb)
{
	struct follow		*f = src->f;
	const struct pos	*p;
	uint64_t		 offset, warm, lines = 0;
	int			 fd;

	if ((fd = open_checked(path, sb, NULL)) == -1) {
		if (errno != ENOENT)
			log_warn("%s", path);
		return -1;
	}
	if (find_file(src, (uint64_t)sb->st_dev, (uint64_t)sb->st_ino) !=
	    NULL) {
		close(fd);	/* rotated meanwhile: a file we follow already */
		return -1;
	}
	p = f->startup ? state_find(f->state, src->pattern,
	    (uint64_t)sb->st_dev, (uint64_t)sb->st_ino) : NULL;
	if (p != NULL && state_head_matches(fd, p) &&
	    p->offset <= (uint64_t)sb->st_size) {
		offset = bound_catchup(src, fd, path, p->offset,
		    (uint64_t)sb->st_size);
		warm = offset == p->offset ? p->warm_offset : offset;
		if (offset - warm > f->o.max_catchup)
			warm = line_start_after(fd, offset - f->o.max_catchup);
		lines = p->lines;
		log_info("%s: resuming at offset %" PRIu64 " (%" PRIu64
		    " records consumed before), warm-up from %" PRIu64, path,
		    offset, lines, warm);
	} else {
		if (p != NULL) {
			log_info("%s: not the file of the saved position (its "
			    "start or size differs); reading it whole", path);
			src->lines_closed += p->lines;
		}
		offset = p != NULL ? 0 : start_offset(src, fd, sb);
		offset = bound_catchup(src, fd, path, offset,
		    (uint64_t)sb->st_size);
		warm = offset;
	}
	add_file(src, path, fd, sb, offset, warm, lines, 0);
	return 0;
}

static int
mtime_order(const struct stat *, const struct stat *);

struct found {
	char		 path[PATH_MAX];
	struct stat	 sb;
	const struct pos *p;
};

static int
found_cmp(const void *a, const void *b)
{
	return mtime_order(&((const struct found *)a)->sb,
	    &((const struct found *)b)->sb);
}

static void
gone(struct fsrc *src, const struct pos *p)
{
	log_warnx("%s: the file read before the stop (inode %" PRIu64 ") is "
	    "gone; what was written to it after offset %" PRIu64 " cannot be "
	    "read", p->path, p->ino, p->offset);
	src->lines_closed += p->lines;
}

/*
 * At start: a saved file of this source that is no longer under its name
 * (rotated while we were stopped) is looked for among its siblings and
 * read from its saved offset before the current file.  They are read
 * oldest first, whatever order the state lists them in: their warm-up
 * must reach the detectors in event-time order, or it counts as late.
 */
static void
recover_rotated(struct fsrc *src)
{
	struct follow	*f = src->f;
	size_t		 i, n = 0;
	DIR		*d;
	struct dirent	*de;
	struct stat	 sb;
	struct found	*fo = NULL;
	struct ffile	*ff;
	int		 found, fd;

	for (i = 0; i < state_npos(f->state); i++) {
		const struct pos *p = state_pos(f->state, i);
		if (strcmp(p->source, src->pattern) != 0)
			continue;
		for (ff = src->files, found = 0; ff != NULL; ff = ff->next)
			if (ff->dev == p->dev && ff->ino == p->ino)
				found = 1;
		if (found || (d = opendir(src->dir)) == NULL)
			continue;
		while ((de = readdir(d)) != NULL) {
			char path[PATH_MAX];
			snprintf(path, sizeof(path), "%s/%s", src->dir,
			    de->d_name);
			if (stat(path, &sb) == -1 || !S_ISREG(sb.st_mode) ||
			    (uint64_t)sb.st_dev != p->dev ||
			    (uint64_t)sb.st_ino != p->ino)
				continue;
			fo = ks_xreallocarray(fo, n + 1, sizeof(*fo));
			memcpy(fo[n].path, path, sizeof(path));
			fo[n].sb = sb;
			fo[n].p = p;
			n++;
			found = 1;
			break;
		}
		closedir(d);
		if (!found)
			gone(src, p);
	}
	if (n > 1)
		qsort(fo, n, sizeof(*fo), found_cmp);
	for (i = 0; i < n; i++) {
		const struct pos *p = fo[i].p;
		struct stat want = fo[i].sb;

		sb = fo[i].sb;
		if ((fd = open_checked(fo[i].path, &sb, &want)) != -1 &&
		    (!state_head_matches(fd, p) ||
		    p->offset > (uint64_t)sb.st_size)) {
			close(fd);
			fd = -1;
		}
		if (fd == -1) {
			gone(src, p);
			continue;
		}
		log_info("%s: rotated to %s while keysentry was stopped; "
		    "reading the rest of it from offset %" PRIu64,
		    p->path, fo[i].path, p->offset);
		add_file(src, fo[i].path, fd, &sb, bound_catchup(src, fd,
		    fo[i].path, p->offset, (uint64_t)sb.st_size),
		    p->warm_offset, p->lines, 1);
	}
	free(fo);
}

/* ------------------------------------------------------------------ */
/* scanning                                                             */

static int
is_compressed(const char *path);

struct missed {
	char		*path;
	struct stat	 sb;
	uint64_t	 from;		/* where its new records start */
};

/*
 * Oldest first: by last write.  File times move in clock ticks, so
 * generations rotated within one tick tie; then the one renamed first,
 * then the one created first (inode numbers grow), so that ties never
 * come out in qsort's arbitrary order.
 */
static int
mtime_order(const struct stat *x, const struct stat *y)
{
	int64_t mx = (int64_t)x->st_mtim.tv_sec * KS_NSEC_PER_SEC +
		    x->st_mtim.tv_nsec;
	int64_t my = (int64_t)y->st_mtim.tv_sec * KS_NSEC_PER_SEC +
		    y->st_mtim.tv_nsec;
	int64_t cx = (int64_t)x->st_ctim.tv_sec * KS_NSEC_PER_SEC +
		    x->st_ctim.tv_nsec;
	int64_t cy = (int64_t)y->st_ctim.tv_sec * KS_NSEC_PER_SEC +
		    y->st_ctim.tv_nsec;

	if (mx != my)
		return mx < my ? -1 : 1;
	if (cx != cy)
		return cx < cy ? -1 : 1;
	if (x->st_ino != y->st_ino)
		return x->st_ino < y->st_ino ? -1 : 1;
	return 0;
}

static int
missed_cmp(const void *a, const void *b)
{
	return mtime_order(&((const struct missed *)a)->sb,
	    &((const struct missed *)b)->sb);
}

/*
 * Generations of a file rotated by renaming that came and went while we
 * were not looking (stopped, or behind a fast writer): files of the same
 * family (the name followed by '.' or '-', not compressed), modified after
 * since and not followed, are read whole, oldest first, before the
 * current file.  A renamed file keeps its mtime, so older generations do
 * not qualify.
 */
static void
recover_missed(struct fsrc *src, int64_t since, uint64_t cur_dev,
    uint64_t cur_ino, int at_start, const struct stat *newest)
{
	struct missed	*m = NULL;
	size_t		 n = 0, i, blen;
	DIR		*d;
	struct dirent	*de;
	struct ffile	*ff;
	char		 path[PATH_MAX];
	int		 fd;

	if (src->glob || since == 0 || (d = opendir(src->dir)) == NULL)
		return;
	log_debug("%s: looking for generations modified since %" PRId64,
	    src->pattern, since);
	blen = strlen(src->base);
	while ((de = readdir(d)) != NULL) {
		struct stat sb;
		if (strncmp(de->d_name, src->base, blen) != 0 ||
		    (de->d_name[blen] != '.' && de->d_name[blen] != '-'))
			continue;
		snprintf(path, sizeof(path), "%s/%s", src->dir, de->d_name);
		if (stat(path, &sb) == -1 || !S_ISREG(sb.st_mode) ||
		    is_compressed(path) ||
		    (int64_t)sb.st_mtim.tv_sec * KS_NSEC_PER_SEC +
		    sb.st_mtim.tv_nsec < since ||
		    ((uint64_t)sb.st_dev == cur_dev &&
		    (uint64_t)sb.st_ino == cur_ino))
			continue;
		for (ff = src->files; ff != NULL; ff = ff->next)
			if (ff->dev == (uint64_t)sb.st_dev &&
			    ff->ino == (uint64_t)sb.st_ino)
				break;
		if (ff != NULL)
			continue;
		/*
		 * Younger than the file just opened as the current one: the
		 * name moved on while we looked.  The next scan, which that
		 * calls for, reads them after it.
		 */
		if (newest != NULL && mtime_order(&sb, newest) > 0)
			continue;
		for (i = 0; i < src->nrecent; i++)
			if (src->recent[i].dev == (uint64_t)sb.st_dev &&
			    src->recent[i].ino == (uint64_t)sb.st_ino)
				break;
		if (i < src->nrecent && src->recent[i].offset >=
		    (uint64_t)sb.st_size)
			continue;	/* read to its end already */
		m = ks_xreallocarray(m, n + 1, sizeof(*m));
		m[n].path = ks_xstrdup(path);
		m[n].sb = sb;
		m[n].from = i < src->nrecent ? src->recent[i].offset : 0;
		n++;
	}
	closedir(d);
	if (n > 1)
		qsort(m, n, sizeof(*m), missed_cmp);
	for (i = 0; i < n; i++) {
		uint64_t		 from = m[i].from;
		const struct pos	*p = NULL;
		size_t			 k;

		struct stat want = m[i].sb;

		if ((src->nfiles >= MAX_FILES && make_room(src) == -1) ||
		    (fd = open_checked(m[i].path, &m[i].sb, &want)) == -1) {
			free(m[i].path);
			continue;
		}
		/*
		 * At start, a copy of a file we were reading (copytruncate
		 * while we were stopped) starts like it: its records up to
		 * the saved offset were consumed already.
		 */
		for (k = 0; at_start && k < state_npos(src->f->state); k++) {
			const struct pos *q = state_pos(src->f->state, k);
			if (strcmp(q->source, src->pattern) == 0 &&
			    q->head_len > 0 && state_head_matches(fd, q))
				p = q;
		}
		if (p != NULL && p->offset > (uint64_t)m[i].sb.st_size) {
			close(fd);
			free(m[i].path);
			continue;
		}
		if (p != NULL)
			from = p->offset;
		if (from > 0)
			log_info("%s: grew after keysentry had read it; reading "
			    "it from offset %" PRIu64, m[i].path, from);
		else
			log_info("%s: a generation rotated before keysentry saw "
			    "it; reading it whole", m[i].path);
		add_file(src, m[i].path, fd, &m[i].sb, from, from, 0, 1);
		free(m[i].path);
	}
	free(m);
}

static int
is_compressed(const char *path)
{
	size_t n = strlen(path);

	return (n > 3 && strcmp(path + n - 3, ".gz") == 0) ||
	    (n > 4 && strcmp(path + n - 4, ".bz2") == 0) ||
	    (n > 3 && strcmp(path + n - 3, ".xz") == 0) ||
	    (n > 4 && strcmp(path + n - 4, ".zst") == 0);
}

static void
mark_rotated(struct ffile *ff)
{
	if (ff->rotated)
		return;
	log_debug("%s: inode %" PRIu64 " lost its name; reading it until it "
	    "is idle", ff->path, ff->ino);
	ff->rotated = 1;
	ff->idle_since = kstime_monotonic();
	ff->src->stats.rotations++;
	queue_file(ff->src->f, ff);
}

/*
 * One pass of scan_source(); returns 1 if, once done, a name leads to a
 * file it does not follow (the name moved on while it looked).
 */
static int
scan_once(struct fsrc *src)
{
	int64_t		 t0 = mtime_clock_ns();
	glob_t		 g;
	struct stat	 sb, osb;
	struct ffile	*ff, *next;
	size_t		 i;
	int		 seen, moved = 0;
	char		**names = NULL;
	size_t		 nnames = 0;

	if (src->glob) {
		memset(&g, 0, sizeof(g));
		if (glob(src->pattern, GLOB_NOSORT, NULL, &g) == 0) {
			names = g.gl_pathv;
			nnames = g.gl_pathc;
		}
	} else {
		names = &src->pattern;
		nnames = 1;
	}
	/* files that lost their name */
	for (ff = src->files; ff != NULL; ff = next) {
		next = ff->next;
		if (ff->rotated)
			continue;
		seen = 0;
		for (i = 0; i < nnames; i++)
			if (stat(names[i], &sb) == 0 &&
			    (uint64_t)sb.st_dev == ff->dev &&
			    (uint64_t)sb.st_ino == ff->ino)
				seen = 1;
		if (!seen)
			mark_rotated(ff);
	}
	/* names that lead to a file we do not follow */
	for (i = 0; i < nnames; i++) {
		if (stat(names[i], &sb) == -1 || !S_ISREG(sb.st_mode) ||
		    is_compressed(names[i]))
			continue;
		for (ff = src->files; ff != NULL; ff = ff->next)
			if (ff->dev == (uint64_t)sb.st_dev &&
			    ff->ino == (uint64_t)sb.st_ino)
				break;
		if (ff != NULL) {
			if (strcmp(ff->path, names[i]) != 0) {
				free(ff->path);
				ff->path = ks_xstrdup(names[i]);
			}
			ff->rotated = 0;	/* (a name came back) */
			continue;
		}
		if (src->nfiles >= MAX_FILES && make_room(src) == -1) {
			log_warnx("%s: %d files open; not following %s",
			    src->pattern, MAX_FILES, names[i]);
			continue;
		}
		if (open_found(src, names[i], &osb) == -1)
			continue;
		/*
		 * After the open, not before: generations created up to the
		 * moment the new file was opened are all on disk by now (the
		 * name may have moved on while we looked: then those younger
		 * than it are the next scan's).
		 */
		if (src->started)
			recover_missed(src, src->current_seen, 0, 0, 0, &osb);
	}
	for (i = 0; i < nnames && !moved; i++)
		if (stat(names[i], &sb) == 0 && S_ISREG(sb.st_mode) &&
		    !is_compressed(names[i]) && find_file(src,
		    (uint64_t)sb.st_dev, (uint64_t)sb.st_ino) == NULL)
			moved = 1;
	/*
	 * Generations written after this scan began are the next scan's
	 * to look for: the names were looked at after t0.  (After a pass
	 * whose names moved on, the next pass looks from this one's t0.)
	 */
	if (!moved)
		src->current_seen = t0;
	if (src->glob)
		globfree(&g);
	src->started = 1;
	return moved;
}

/*
 * Brings a source's files in line with what its path or glob names now.
 * A writer rotating fast may move a name on while we look: then again,
 * at most 8 times (the next inotify event brings another scan anyway).
 */
static void
scan_source(struct fsrc *src)
{
	int pass;

	if (src->type != SOURCE_FILE)
		return;
	for (pass = 0; pass < 8 && scan_once(src); pass++)
		log_debug("%s: the name moved on during a scan; again",
		    src->pattern);
}

static void
watch_dir(struct fsrc *src)
{
	if (src->wd != -1 || src->poll || src->type != SOURCE_FILE)
		return;
	src->wd = watch_add(src->f, src->dir, IN_CREATE | IN_MOVED_TO |
	    IN_MOVED_FROM | IN_DELETE | IN_ATTRIB | IN_DELETE_SELF |
	    IN_MOVE_SELF | IN_ONLYDIR, 1, src);
}

/* ------------------------------------------------------------------ */
/* reading                                                              */

static void
queue_file(struct follow *f, struct ffile *ff)
{
	struct ffile **pp;

	if (ff->queued)
		return;
	ff->queued = 1;
	/*
	 * Within a source, rotated files first, oldest first: their lines
	 * are older.  (Across sources the order does not matter.)
	 */
	for (pp = &f->queue; *pp != NULL; pp = &(*pp)->qnext) {
		const struct ffile *e = *pp;
		if (!ff->rotated || e->src != ff->src)
			continue;
		if (!e->rotated || ff->mt < e->mt || (ff->mt == e->mt &&
		    (ff->ct < e->ct || (ff->ct == e->ct && ff->ino < e->ino))))
			break;
	}
	ff->qnext = *pp;
	*pp = ff;
	schedule_work(f);
}

/*
 * Reads up to max events from a file and hands them on.  Records up to a
 * saved position are a warm-up (counters only, alerts held back); when
 * the warm-up reaches it, the limit is lifted and what follows is new.
 * Returns the number of events.
 */
static uint64_t
pump(struct ffile *ff, uint64_t max)
{
	struct follow	*f = ff->src->f;
	struct event	 ev;
	uint64_t	 n = 0;
	int		 warm;

	while (n < max) {
		warm = ff->warm_until != 0;
		if (!input_next(ff->in, f->rs, f->cfg, &ev)) {
			if (warm && input_offset(ff->in) >= ff->warm_until) {
				ff->warm_until = 0;
				input_set_limit(ff->in, 0);
				ff->read_base = input_stats(ff->in)->read;
				continue;
			}
			break;
		}
		f->h.event(f->arg, &ev, warm);
		n++;
	}
	return n;
}

/*
 * copytruncate: the file now starts over.  The records we had not read
 * are in the copy, if it can be found: same first bytes, long enough.
 */
static void
recover_truncated(struct ffile *ff)
{
	struct fsrc	*src = ff->src;
	struct follow	*f = src->f;
	uint64_t	 from = input_offset(ff->in);
	DIR		*d;
	struct dirent	*de;
	struct stat	 sb;
	char		 path[PATH_MAX], buf[STATE_HEAD_MAX];
	const char	*base = strrchr(ff->path, '/');
	int		 fd;
	uint64_t	 recovered = 0;

	base = base ? base + 1 : ff->path;
	src->stats.truncations++;
	if (ff->head_len > 0 && (d = opendir(src->dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strncmp(de->d_name, base, strlen(base)) != 0 ||
			    strcmp(de->d_name, base) == 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", src->dir,
			    de->d_name);
			if (stat(path, &sb) == -1 || !S_ISREG(sb.st_mode) ||
			    (uint64_t)sb.st_size < from || is_compressed(path))
				continue;
			if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
				continue;
			if (pread(fd, buf, ff->head_len, 0) !=
			    (ssize_t)ff->head_len ||
			    memcmp(buf, ff->head, ff->head_len) != 0) {
				close(fd);
				continue;
			}
			/* the same input, reading the copy to its end */
			lseek(fd, (off_t)from, SEEK_SET);
			input_restart(ff->in, fd, from);
			input_set_final(ff->in);
			pump(ff, UINT64_MAX);
			recovered = (uint64_t)sb.st_size - from;
			close(fd);
			log_info("%s: truncated (copytruncate); read its last "
			    "%" PRIu64 " bytes from the copy %s", ff->path,
			    recovered, path);
			break;
		}
		closedir(d);
	}
	if (recovered == 0 && from > 0)
		log_warnx("%s: truncated at offset %" PRIu64 " and no copy "
		    "with its content was found; records written after the "
		    "last read may be lost", ff->path, from);
	lseek(ff->fd, 0, SEEK_SET);
	input_restart(ff->in, ff->fd, 0);
	ff->warm_until = 0;
	input_set_limit(ff->in, 0);
	ff->head_final = 0;
	ff->head_len = 0;
	ff->nck = 1;
	ff->ck[0].off = 0;
	ff->ck[0].ts = INT64_MIN;
	update_head(ff);
	f->dirty = 1;
}

/* Reads up to TURN_RECORDS records; returns 1 if there may be more. */
static int
read_file(struct ffile *ff)
{
	struct fsrc	*src = ff->src;
	struct follow	*f = src->f;
	struct stat	 sb;
	uint64_t	 before, n;

	if (fstat(ff->fd, &sb) == 0) {
		uint64_t pos = (uint64_t)lseek(ff->fd, 0, SEEK_CUR);
		ff->mt = (int64_t)sb.st_mtim.tv_sec * KS_NSEC_PER_SEC +
		    sb.st_mtim.tv_nsec;
		ff->ct = (int64_t)sb.st_ctim.tv_sec * KS_NSEC_PER_SEC +
		    sb.st_ctim.tv_nsec;
		if ((uint64_t)sb.st_size < pos ||
		    (ff->head_final && !head_unchanged(ff)))
			recover_truncated(ff);
		if ((uint64_t)sb.st_size != ff->size_seen) {
			ff->size_seen = (uint64_t)sb.st_size;
			ff->idle_since = kstime_monotonic();
		}
	}
	before = input_stats(ff->in)->read;
	n = pump(ff, TURN_RECORDS);
	if (input_stats(ff->in)->read != before) {
		src->stats.last_line = kstime_now();
		f->dirty = 1;
		if (f->h.lines != NULL)
			f->h.lines(f->arg, src->index);
		if (!ff->head_final)
			update_head(ff);
	}
	return n >= TURN_RECORDS;
}

/* stdin: a pipe read without blocking, or a regular file read whole. */
static int
read_stdin(struct ffile *ff)
{
	struct follow	*f = ff->src->f;
	struct event	 ev;
	uint64_t	 before = input_stats(ff->in)->read, n = 0;

	while (input_next(ff->in, f->rs, f->cfg, &ev)) {
		f->h.event(f->arg, &ev, 0);
		if (++n >= TURN_RECORDS)
			break;
	}
	if (input_stats(ff->in)->read != before) {
		ff->src->stats.last_line = kstime_now();
		if (f->h.lines != NULL)
			f->h.lines(f->arg, ff->src->index);
	}
	return n >= TURN_RECORDS || (!input_done(ff->in) &&
	    ff->src->poll);	/* a regular file: keep going */
}

static void
on_work(evutil_socket_t fd, short what, void *arg)
{
	struct follow	*f = arg;
	struct ffile	*ff, *next;
	struct ffile	*requeue = NULL, **tail = &requeue;
	int		 more;

	(void)fd;
	(void)what;
	if (f->stopped)
		return;
	ff = f->queue;
	f->queue = NULL;
	f->turn++;
	for (; ff != NULL; ff = next) {
		next = ff->qnext;
		ff->qnext = NULL;
		/*
		 * A rotated file that had more than one turn's records holds
		 * back the files after it in its source (younger ones): their
		 * lines are later, and the detectors would find them late.
		 * Other sources go on.
		 */
		if (ff->src->held == f->turn) {
			*tail = ff;
			tail = &ff->qnext;
			continue;
		}
		ff->queued = 0;
		if (ff->src->type == SOURCE_STDIN) {
			more = read_stdin(ff);
			if (input_done(ff->in)) {
				struct fsrc *src = ff->src;
				log_info("stdin: end of input after %" PRIu64
				    " lines", input_stats(ff->in)->read);
				src->done = 1;
				close_file(ff);
				continue;
			}
		} else
			more = read_file(ff);
		if (more) {
			ff->queued = 1;
			*tail = ff;
			tail = &ff->qnext;
			if (ff->rotated)
				ff->src->held = f->turn;
		}
	}
	/* what is left goes after anything queued meanwhile */
	*tail = f->queue;
	f->queue = requeue;
	arm_poll(f);
	if (f->queue != NULL)
		schedule_work(f);
	else {
		struct fsrc *src;
		int all_done = f->srcs != NULL;
		for (src = f->srcs; src != NULL; src = src->next)
			if (!(src->type == SOURCE_STDIN && src->done))
				all_done = 0;
		if (all_done && f->h.finished != NULL)
			f->h.finished(f->arg);
	}
}

/* stdin became readable (or reached its end) */
static void
on_stdin(evutil_socket_t fd, short what, void *arg)
{
	struct ffile *ff = arg;

	(void)fd;
	(void)what;
	queue_file(ff->src->f, ff);
}

static void
schedule_work(struct follow *f)
{
	if (f->ev_work != NULL && !f->stopped)
		event_active(f->ev_work, EV_TIMEOUT, 0);
}

/*
 * A rotated file we stop waiting for: read to its end, its last line
 * taken even without a newline, and closed.
 */
static void
finish_file(struct ffile *ff)
{
	input_set_final(ff->in);
	pump(ff, UINT64_MAX);
	close_file(ff);
}

/* Closes rotated files that have been idle for rotate_wait. */
static void
expire_rotated(struct follow *f)
{
	struct fsrc	*src;
	struct ffile	*ff, *next;
	int64_t		 now = kstime_monotonic();

	for (src = f->srcs; src != NULL; src = src->next) {
		for (ff = src->files; ff != NULL; ff = next) {
			next = ff->next;
			if (ff->rotated &&
			    now - ff->idle_since >= f->o.rotate_wait)
				finish_file(ff);
		}
	}
}

/* Makes room for one more file: the oldest rotated one is finished. */
static int
make_room(struct fsrc *src)
{
	struct ffile *ff, *oldest = NULL;

	for (ff = src->files; ff != NULL; ff = ff->next)
		if (ff->rotated)
			oldest = ff;	/* new files are added at the head */
	if (oldest == NULL)
		return -1;
	finish_file(oldest);
	return 0;
}

/* The periodic timer: polled sources, waiting directories, rotations. */
static void
on_poll(evutil_socket_t fd, short what, void *arg)
{
	struct follow	*f = arg;
	struct fsrc	*src;
	struct ffile	*ff;
	struct stat	 sb;

	(void)fd;
	(void)what;
	if (f->stopped)
		return;
	for (src = f->srcs; src != NULL; src = src->next) {
		if (src->type != SOURCE_FILE)
			continue;
		if (src->wd == -1 && !src->poll && stat(src->dir, &sb) == 0) {
			watch_dir(src);		/* the directory appeared */
			scan_source(src);
		}
		if (src->poll || src->wd == -1)
			scan_source(src);
		/* polled, or without a watch, or draining: have a look */
		for (ff = src->files; ff != NULL; ff = ff->next)
			if (src->poll || src->wd == -1 || ff->wd == -1 ||
			    ff->rotated)
				queue_file(f, ff);
	}
	expire_rotated(f);
	arm_poll(f);
}

/*
 * The poll timer runs only while something needs it: a polled source, a
 * directory or file without a watch, a rotated file draining.  With every
 * file on inotify the daemon has no reason to wake up.
 */
static int
poll_needed(const struct follow *f)
{
	const struct fsrc	*src;
	const struct ffile	*ff;

	for (src = f->srcs; src != NULL; src = src->next) {
		if (src->type != SOURCE_FILE)
			continue;
		if (src->poll || src->wd == -1)
			return 1;
		for (ff = src->files; ff != NULL; ff = ff->next)
			if (ff->wd == -1 || ff->rotated)
				return 1;
	}
	return 0;
}

static void
arm_poll(struct follow *f)
{
	if (f->stopped || evtimer_pending(f->ev_poll, NULL) ||
	    !poll_needed(f))
		return;
	evtimer_add(f->ev_poll, &f->poll_tv);
}

/*
 * inotify events only mark work (sources to scan, files to read); the
 * work is done after the whole batch, because a scan may close files and
 * drop watches that later events of the batch still name.
 */
static void
on_inotify(evutil_socket_t fd, short what, void *arg)
{
	struct follow			*f = arg;
	char				 buf[16384]
					    __attribute__((aligned(8)));
	const struct inotify_event	*ie;
	struct wdowner			*w;
	struct fsrc			*src;
	struct ffile			*ff;
	ssize_t				 n;
	char				*p;
	int				 all = 0;

	(void)what;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (p = buf; p < buf + n; p += sizeof(*ie) + ie->len) {
			ie = (const struct inotify_event *)(void *)p;
			log_debug("inotify: wd %d mask %#x %s", ie->wd,
			    ie->mask, ie->len ? ie->name : "");
			if (ie->mask & IN_Q_OVERFLOW) {
				log_warnx("inotify queue overflowed; "
				    "rescanning every source");
				all = 1;
				continue;
			}
			for (w = f->wds; w != NULL; w = w->next) {
				if (w->wd != ie->wd)
					continue;
				if (w->is_dir) {
					src = w->owner;
					if (ie->mask & (IN_DELETE_SELF |
					    IN_MOVE_SELF | IN_IGNORED))
						src->dir_gone = 1;
					src->need_scan = 1;
					continue;
				}
				ff = w->owner;
				if (ie->mask & (IN_ATTRIB | IN_MOVE_SELF |
				    IN_DELETE_SELF))
					ff->src->need_scan = 1;
				queue_file(f, ff);
			}
		}
	}
	for (src = f->srcs; src != NULL; src = src->next) {
		if (src->dir_gone) {
			/* the directory went: wait for it (see on_poll) */
			log_info("%s: directory %s is gone; waiting for it",
			    src->pattern, src->dir);
			watch_remove(f, src->wd, src);
			src->wd = -1;
			src->dir_gone = 0;
		}
		if (src->need_scan || all) {
			src->need_scan = 0;
			scan_source(src);
			if (all)
				for (ff = src->files; ff != NULL; ff = ff->next)
					queue_file(f, ff);
		}
	}
	arm_poll(f);
}

/* ------------------------------------------------------------------ */
/* configuration                                                        */

/* A string that changes when a source must be set up afresh. */
static char *
source_sig(const struct source_conf *sc)
{
	char	buf[4096];
	size_t	o = 0;
	int	k, j;

	o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%d|%s|%s|%d",
	    sc->type, sc->path ? sc->path : "-", sc->dopts.format, sc->poll);
	if (sc->type == SOURCE_PCAP)	/* what the daemon's capture.c reads */
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "|%s|%s",
		    sc->interface, sc->filter);
	for (k = 0; k < DF_COUNT_; k++)
		for (j = 0; sc->dopts.fields[k][j] != NULL && o < sizeof(buf);
		    j++)
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "|%d=%s",
			    k, sc->dopts.fields[k][j]);
	return ks_xstrdup(buf);
}

static void
copy_dopts(struct decoder_opts *dst, const struct decoder_opts *src)
{
	int k, j;

	memset(dst, 0, sizeof(*dst));
	dst->format = ks_xstrdup(src->format);
	for (k = 0; k < DF_COUNT_; k++)
		for (j = 0; src->fields[k][j] != NULL; j++)
			dst->fields[k][j] = ks_xstrdup(src->fields[k][j]);
}

static void
free_dopts(struct decoder_opts *d)
{
	int k, j;

	free((char *)d->format);
	for (k = 0; k < DF_COUNT_; k++)
		for (j = 0; d->fields[k][j] != NULL; j++)
			free((char *)d->fields[k][j]);
}

static void
source_free(struct fsrc *src)
{
	while (src->files != NULL)
		close_file(src->files);
	watch_remove(src->f, src->wd, src);
	free_dopts(&src->dopts);
	free(src->recent);
	free(src->pattern);
	free(src->dir);
	free(src->base);
	free(src->sig);
	free(src);
}

static struct fsrc *
source_new(struct follow *f, const struct source_conf *sc)
{
	struct fsrc	*src = ks_xcalloc(1, sizeof(*src));
	struct ffile	*ff;
	const char	*slash;
	struct stat	 sb;

	src->f = f;
	src->type = sc->type;
	src->wd = -1;
	src->sig = source_sig(sc);
	copy_dopts(&src->dopts, &sc->dopts);
	if (sc->type == SOURCE_PCAP) {
		/* a place in the list only: the daemon reads captures */
		src->pattern = ks_xmalloc(strlen(sc->interface) + 6);
		sprintf(src->pattern, "pcap:%s", sc->interface);
		src->stats.name = src->pattern;
		src->stats.capture = 1;
		return src;
	}
	if (sc->type == SOURCE_STDIN) {
		src->pattern = ks_xstrdup("-");
		src->stats.name = src->pattern;
		ff = ks_xcalloc(1, sizeof(*ff));
		ff->src = src;
		ff->path = ks_xstrdup("-");
		ff->fd = STDIN_FILENO;
		ff->wd = -1;
		ff->in = input_open_fd("-", f->h.input_index(f->arg, "-"),
		    make_decoder(src), STDIN_FILENO, 1, 0, f->max_line);
		input_set_wallclock(ff->in, 1);
		src->files = ff;
		src->nfiles = 1;
		/*
		 * A pipe or terminal is read when it is readable; a regular
		 * file (or anything epoll refuses, such as /dev/null) is read
		 * in turns to its end.
		 */
		if (fstat(STDIN_FILENO, &sb) == 0 && !S_ISREG(sb.st_mode)) {
			fcntl(STDIN_FILENO, F_SETFL, fcntl(STDIN_FILENO,
			    F_GETFL) | O_NONBLOCK);
			ff->ev_read = event_new(f->base, STDIN_FILENO,
			    EV_READ | EV_PERSIST, on_stdin, ff);
			if (event_add(ff->ev_read, NULL) == -1) {
				event_free(ff->ev_read);
				ff->ev_read = NULL;
			}
		}
		src->poll = ff->ev_read == NULL;
		queue_file(f, ff);
		return src;
	}
	src->pattern = ks_xstrdup(sc->path);
	src->stats.name = src->pattern;
	src->lines_closed = state_source_lines(f->state, src->pattern);
	slash = strrchr(sc->path, '/');
	src->dir = slash == NULL ? ks_xstrdup(".") : slash == sc->path ?
	    ks_xstrdup("/") : ks_xstrndup(sc->path, (size_t)(slash - sc->path));
	src->base = ks_xstrdup(slash ? slash + 1 : sc->path);
	src->glob = strpbrk(src->base, "*?[") != NULL;
	src->poll = sc->poll || follow_fs_needs_polling(src->dir);
	src->stats.polling = src->poll;
	if (src->poll && !sc->poll)
		log_info("%s: on a network filesystem; polling every %" PRId64
		    " ms", src->pattern, f->o.poll_interval / 1000000);
	watch_dir(src);
	if (src->wd == -1 && !src->poll)
		log_info("%s: directory %s not there yet; waiting for it",
		    src->pattern, src->dir);
	return src;
}

struct follow *
follow_new(struct event_base *base, struct state *state,
    const struct follow_opts *o, const struct follow_hooks *h, void *arg)
{
	struct follow	*f = ks_xcalloc(1, sizeof(*f));

	f->base = base;
	f->state = state;
	f->o = *o;
	f->h = *h;
	f->arg = arg;
	f->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (f->ifd == -1)
		log_warn("inotify; every source will be polled");
	else {
		f->ev_inotify = event_new(base, f->ifd, EV_READ | EV_PERSIST,
		    on_inotify, f);
		event_add(f->ev_inotify, NULL);
	}
	f->ev_work = event_new(base, -1, 0, on_work, f);
	f->ev_poll = evtimer_new(base, on_poll, f);
	f->poll_tv.tv_sec = o->poll_interval / KS_NSEC_PER_SEC;
	f->poll_tv.tv_usec = (o->poll_interval % KS_NSEC_PER_SEC) / 1000;
	return f;
}

int
follow_configure(struct follow *f, const struct config *cfg,
    const struct ruleset *rs, size_t max_line, char *err, size_t errlen)
{
	struct fsrc	**pp, *src, *kept = NULL, **ktail = &kept;
	size_t		  i;
	char		 *sig;
	int		  first = f->srcs == NULL && !f->startup;

	(void)err;
	(void)errlen;
	f->cfg = cfg;
	f->rs = rs;
	f->max_line = max_line;
	if (first)
		f->startup = 1;
	for (i = 0; i < cfg->nsources; i++) {
		const struct source_conf *sc = &cfg->sources[i];
		sig = source_sig(sc);
		for (pp = &f->srcs; (src = *pp) != NULL; pp = &src->next)
			if (strcmp(src->sig, sig) == 0)
				break;
		if (src != NULL)	/* unchanged: keep it */
			*pp = src->next;
		else {
			src = source_new(f, sc);
			if (f->ifd == -1)
				src->poll = 1;
		}
		free(sig);
		src->index = i;
		src->next = NULL;
		*ktail = src;
		ktail = &src->next;
	}
	/* sources the config no longer has */
	while (f->srcs != NULL) {
		src = f->srcs;
		f->srcs = src->next;
		log_info("%s: no longer configured; closing it", src->pattern);
		source_free(src);
	}
	f->srcs = kept;
	for (src = f->srcs; src != NULL; src = src->next) {
		if (src->type != SOURCE_FILE || src->started)
			continue;
		scan_source(src);
		if (f->startup && source_known(src)) {
			struct ffile *cur;
			recover_rotated(src);
			for (cur = src->files; cur != NULL; cur = cur->next)
				if (!cur->rotated)
					break;
			recover_missed(src, state_saved_at(f->state),
			    cur ? cur->dev : 0, cur ? cur->ino : 0, 1, NULL);
		}
	}
	f->startup = 0;
	f->dirty = 1;
	arm_poll(f);
	return 0;
}

/* Records a warm-up checkpoint and returns the file's warm offset. */
static uint64_t
checkpoint(struct follow *f, struct ffile *ff, uint64_t offset)
{
	int64_t	now = f->h.clock(f->arg);
	size_t	i, keep;

	if (ff->warm_until != 0)	/* still warming: nothing new */
		return ff->ck[0].off;
	if (ff->nck == 0 || (ff->ck[ff->nck - 1].off != offset &&
	    (ff->nck == 1 || now - ff->ck[ff->nck - 1].ts >= f->o.warmup /
	    (MAX_CHECKPOINTS / 2)))) {
		if (ff->nck == MAX_CHECKPOINTS) {
			memmove(ff->ck + 1, ff->ck + 2,
			    (MAX_CHECKPOINTS - 2) * sizeof(ff->ck[0]));
			ff->nck--;
		}
		ff->ck[ff->nck].off = offset;
		ff->ck[ff->nck].ts = now;
		ff->nck++;
	}
	/* the newest checkpoint at least warmup old; drop the older ones */
	for (i = 0, keep = 0; i < ff->nck; i++)
		if (ff->ck[i].ts <= now - f->o.warmup)
			keep = i;
	if (keep > 0) {
		memmove(ff->ck, ff->ck + keep, (ff->nck - keep) *
		    sizeof(ff->ck[0]));
		ff->nck -= keep;
	}
	return ff->ck[0].off;
}

void
follow_save(struct follow *f)
{
	struct fsrc	*src;
	struct ffile	*ff;
	struct pos	*p = NULL;
	struct srcpos	*sp = NULL;
	size_t		 n = 0, ns = 0;

	for (src = f->srcs; src != NULL; src = src->next) {
		if (src->type != SOURCE_FILE)
			continue;
		sp = ks_xreallocarray(sp, ns + 1, sizeof(*sp));
		sp[ns].source = src->pattern;
		sp[ns].lines_closed = src->lines_closed;
		ns++;
		for (ff = src->files; ff != NULL; ff = ff->next) {
			struct pos *q;
			p = ks_xreallocarray(p, n + 1, sizeof(*p));
			q = &p[n++];
			memset(q, 0, sizeof(*q));
			q->source = src->pattern;
			q->path = ff->path;
			q->dev = ff->dev;
			q->ino = ff->ino;
			q->head_len = ff->head_len;
			if (ks_sha256(ff->head, ff->head_len, q->head) == -1)
				q->head_len = 0;
			/* mid-warm-up, the saved position stays as it was */
			q->offset = ff->warm_until != 0 ? ff->warm_until :
			    input_offset(ff->in);
			q->lines = file_lines(ff);
			q->warm_offset = checkpoint(f, ff, q->offset);
			if (q->warm_offset > q->offset)
				q->warm_offset = q->offset;
		}
	}
	state_save(f->state, p, n, sp, ns);
	free(p);
	free(sp);
	f->dirty = 0;
}

int
follow_dirty(const struct follow *f)
{
	return f->dirty;
}

void
follow_stop(struct follow *f)
{
	f->stopped = 1;
	if (f->ev_inotify != NULL)
		event_del(f->ev_inotify);
	event_del(f->ev_poll);
	event_del(f->ev_work);
}

void
follow_free(struct follow *f)
{
	struct fsrc *src;

	if (f == NULL)
		return;
	while ((src = f->srcs) != NULL) {
		f->srcs = src->next;
		source_free(src);
	}
	if (f->ev_inotify != NULL)
		event_free(f->ev_inotify);
	event_free(f->ev_work);
	event_free(f->ev_poll);
	if (f->ifd != -1)
		close(f->ifd);
	free(f);
}

size_t
follow_nsources(const struct follow *f)
{
	const struct fsrc	*src;
	size_t			 n = 0;

	for (src = f->srcs; src != NULL; src = src->next)
		n++;
	return n;
}

void
follow_source_stats(const struct follow *f, size_t i,
    struct follow_source_stats *out)
{
	const struct fsrc	*src;
	const struct ffile	*ff;

	for (src = f->srcs; src != NULL && i > 0; src = src->next)
		i--;
	memset(out, 0, sizeof(*out));
	if (src == NULL)
		return;
	*out = src->stats;
	out->st = src->closed;
	out->files = src->nfiles;
	out->lines = src->lines_closed;
	for (ff = src->files; ff != NULL; ff = ff->next) {
		const struct input_stats *st = input_stats(ff->in);
		out->st.read += st->read;
		out->st.decoded += st->decoded;
		out->st.filtered += st->filtered;
		out->st.ignored += st->ignored;
		out->st.malformed += st->malformed;
		out->st.too_long += st->too_long;
		out->st.no_time += st->no_time;
		out->st.bytes += st->bytes;
		out->lines += file_lines(ff);
	}
}
