/*
 * The syslog sink: each alert an RFC 5424 message whose MSG is the JSON
 * document, to the local socket (unix:/dev/log, a datagram) or to a
 * collector over udp://host:port (a datagram each) or tcp://host:port
 * (octet-counted frames, RFC 6587).  PRI is the facility and the alert's
 * severity mapped (critical 2, high 3, medium 4, low 5, info 6); MSGID is
 * the rule id.  Sending never waits: a message the socket cannot take now
 * is refused (the daemon keeps it in the output's backlog, sink.h), and a
 * TCP connection that broke is made again at the next try.  The daemon
 * does not wait for a connection to be made (it is looked at again at the
 * next try); a replay waits a fifth of a second at most.  A host name is
 * resolved at each connection (getaddrinfo(3), which may wait): give an
 * address.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "kstime.h"
#include "log.h"
#include "severity.h"
#include "sink.h"
#include "util.h"

#define SYSLOG_CONNECT_MS	200
#define SYSLOG_MAX		(64 * 1024)	/* a message, framing included */

enum transport { T_UNIX, T_UDP, T_TCP };

struct syslog_sink {
	enum transport	 tr;
	char		*host, *port;	/* T_UDP, T_TCP */
	char		*path;		/* T_UNIX */
	int		 fd;
	int		 facility;
	char		 hostname[256];
	int		 warned;
	int		 connecting;	/* T_TCP: connect(2) under way */
	int		 wait_ms;	/* for it: 0 in the daemon */
};

int
sink_syslog_parse(const char *address, int *tr, char **host, char **port,
    char **path, char *err, size_t errlen)
{
	const char	*rest, *colon;

	*host = *port = *path = NULL;
	if (strncmp(address, "unix:", 5) == 0) {
		rest = address + 5;
		while (rest[0] == '/' && rest[1] == '/')
			rest++;		/* unix:///dev/log too */
		if (rest[0] != '/') {
			snprintf(err, errlen, "%s: a unix address is an "
			    "absolute path (unix:/dev/log)", address);
			return -1;
		}
		*tr = T_UNIX;
		*path = ks_xstrdup(rest);
		return 0;
	}
	if (strncmp(address, "udp://", 6) == 0)
		*tr = T_UDP;
	else if (strncmp(address, "tcp://", 6) == 0)
		*tr = T_TCP;
	else {
		snprintf(err, errlen, "%s: expected unix:/path, udp://host:port "
		    "or tcp://host:port", address);
		return -1;
	}
	rest = address + 6;
	if (rest[0] == '[') {		/* [::1]:514 */
		const char *end = strchr(rest, ']');
		if (end == NULL || end[1] != ':') {
			snprintf(err, errlen, "%s: expected [address]:port",
			    address);
			return -1;
		}
		*host = ks_xstrndup(rest + 1, (size_t)(end - rest - 1));
		colon = end + 1;
	} else {
		if ((colon = strrchr(rest, ':')) == NULL || colon == rest) {
			snprintf(err, errlen, "%s: expected host:port",
			    address);
			return -1;
		}
		*host = ks_xstrndup(rest, (size_t)(colon - rest));
	}
	if (colon[1] == '\0' || strspn(colon + 1, "0123456789") !=
	    strlen(colon + 1) || atoi(colon + 1) < 1 ||
	    atoi(colon + 1) > 65535) {
		snprintf(err, errlen, "%s: the port must be 1 to 65535",
		    address);
		free(*host);
		*host = NULL;
		return -1;
	}
	*port = ks_xstrdup(colon + 1);
	return 0;
}

/* A socket connected to the address; -1 (errno) if not now. */
static int
connect_to(struct syslog_sink *ss)
{
	struct addrinfo		 hints, *res, *ai;
	struct sockaddr_un	 sun;
	struct pollfd		 pfd;
	socklen_t		 elen = sizeof(int);
	int			 fd = -1, e = 0;

	if (ss->tr == T_UNIX) {
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		if (strlen(ss->path) >= sizeof(sun.sun_path)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(sun.sun_path, ss->path, strlen(ss->path));
		fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    0);
		if (fd != -1 && connect(fd, (struct sockaddr *)&sun,
		    sizeof(sun)) == -1) {
			e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		return fd;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = ss->tr == T_UDP ? SOCK_DGRAM : SOCK_STREAM;
	if ((e = getaddrinfo(ss->host, ss->port, &hints, &res)) != 0) {
		errno = EHOSTUNREACH;
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, ai->ai_protocol);
		if (fd == -1)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS && ss->wait_ms == 0) {
			/* the daemon waits for nothing: see connected() */
			ss->connecting = 1;
			break;
		}
		if (errno == EINPROGRESS) {
			pfd.fd = fd;
			pfd.events = POLLOUT;
			if (poll(&pfd, 1, ss->wait_ms) == 1 &&
			    getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) ==
			    0 && e == 0)
				break;
			errno = e != 0 ? e : ETIMEDOUT;
		}
		e = errno;
		close(fd);
		fd = -1;
		errno = e;
	}
	freeaddrinfo(res);
	return fd;
}

/*
 * A connection under way: 1 once it is up, 0 while it is not yet (the
 * alert waits in the output's backlog), -1 (errno) if it failed.
 */
static int
connected(struct syslog_sink *ss)
{
	struct pollfd	pfd = { ss->fd, POLLOUT, 0 };
	socklen_t	elen = sizeof(int);
	int		e = 0;

	if (!ss->connecting)
		return 1;
	if (poll(&pfd, 1, 0) == 0) {
		errno = EINPROGRESS;
		return 0;
	}
	if (getsockopt(ss->fd, SOL_SOCKET, SO_ERROR, &e, &elen) == -1 ||
	    e != 0) {
		errno = e != 0 ? e : errno;
		return -1;
	}
	ss->connecting = 0;
	return 1;
}

static int
syslog_open(struct sink *s, const struct output_conf *conf, char *err,
    size_t errlen)
{
	struct syslog_sink	*ss = ks_xcalloc(1, sizeof(*ss));
	int			 tr;

	if (sink_syslog_parse(conf->address, &tr, &ss->host, &ss->port,
	    &ss->path, err, errlen) == -1) {
		free(ss);
		return -1;
	}
	ss->tr = (enum transport)tr;
	ss->facility = conf->facility;
	ss->fd = -1;
	/* a replay may wait a little for a connection; the daemon not */
	ss->wait_ms = s->base == NULL ? SYSLOG_CONNECT_MS : 0;
	if (gethostname(ss->hostname, sizeof(ss->hostname) - 1) == -1 ||
	    ss->hostname[0] == '\0')
		snprintf(ss->hostname, sizeof(ss->hostname), "-");
	/* a collector that is down now is tried again at each alert */
	ss->fd = connect_to(ss);
	s->priv = ss;
	return 0;
}

/* RFC 5424 severities: emergency 0 ... debug 7. */
static int
pri_severity(int sev)
{
	switch (sev) {
	case SEV_CRITICAL:	return 2;
	case SEV_HIGH:		return 3;
	case SEV_MEDIUM:	return 4;
	case SEV_LOW:		return 5;
	default:		return 6;
	}
}

/* The header's TIMESTAMP: RFC 5424 allows six fractional digits. */
static void
timestamp(char *buf, size_t size)
{
	struct timespec	ts;
	struct tm	tm;
	char		day[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, size, "%.19s.%06dZ", day, (int)(ts.tv_nsec / 1000 %
	    1000000));
}

static int
syslog_write(struct sink *s, const char *json, size_t len)
{
	struct syslog_sink	*ss = s->priv;
	char			 head[512], when[64], *msg;
	int			 hlen, flen = 0;
	size_t			 total;
	ssize_t			 n;

	timestamp(when, sizeof(when));
	hlen = snprintf(head, sizeof(head), "<%d>1 %s %.255s keysentry %ld "
	    "%.32s - ", ss->facility * 8 + pri_severity(s->cur_severity), when,
	    ss->hostname, (long)getpid(), s->cur_rule != NULL &&
	    s->cur_rule[0] != '\0' ? s->cur_rule : "-");
	if (hlen < 0 || (size_t)hlen >= sizeof(head))
		return -1;
	total = (size_t)hlen + len;
	if (total + 16 > SYSLOG_MAX) {
		if (!ss->warned)
			log_warnx("syslog output %s: an alert of %zu bytes is "
			    "more than a message may be", s->conf->path, total);
		ss->warned = 1;
		return -1;
	}
	msg = ks_xmalloc(total + 16);
	if (ss->tr == T_TCP)		/* octet counting */
		flen = snprintf(msg, 16, "%zu ", total);
	memcpy(msg + flen, head, (size_t)hlen);
	memcpy(msg + flen + hlen, json, len);
	total += (size_t)flen;
	if (ss->fd == -1) {
		ss->connecting = 0;
		ss->fd = connect_to(ss);
	}
	if (ss->fd != -1 && ss->connecting) {
		int c = connected(ss);
		if (c == 0) {		/* not yet: the backlog keeps it */
			free(msg);
			return -1;
		}
		if (c == -1) {
			close(ss->fd);
			ss->fd = -1;
		}
	}
	n = ss->fd == -1 ? -1 : send(ss->fd, msg, total, MSG_DONTWAIT |
	    MSG_NOSIGNAL);
	free(msg);
	if (n == (ssize_t)total) {
		if (ss->warned)
			log_info("syslog output %s: sending again",
			    s->conf->path);
		ss->warned = 0;
		return 0;
	}
	if (!ss->warned)
		log_warnx("syslog output %s: %s (alerts are counted as failed "
		    "until it takes them again)", s->conf->path, n == -1 ?
		    strerror(errno) : "a message sent in part");
	ss->warned = 1;
	/* a stream cut in the middle of a frame, or refused: start over */
	if (ss->fd != -1 && (ss->tr == T_TCP || n == -1)) {
		close(ss->fd);
		ss->fd = -1;
	}
	return -1;
}

static void
syslog_close(struct sink *s)
{
	struct syslog_sink *ss = s->priv;

	if (ss->fd != -1)
		close(ss->fd);
	free(ss->host);
	free(ss->port);
	free(ss->path);
	free(ss);
}

const struct sink_backend sink_syslog_backend = {
	"syslog", syslog_open, syslog_write, NULL, NULL, NULL, syslog_close
};
