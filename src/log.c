/*
 * Diagnostics to stderr.  One line per message, never longer than a fixed
 * buffer, with control characters escaped so that a hostile log line quoted
 * in a message cannot forge further lines on the operator's terminal.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "log.h"

static const char *log_progname = "keysentry";
static enum log_level log_level = LOG_LVL_INFO;
static int log_syslog;

void
log_to_syslog(int on)
{
	if (on && !log_syslog)
		openlog(log_progname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	else if (!on && log_syslog)
		closelog();
	log_syslog = on;
}

void
log_init(const char *progname, enum log_level level)
{
	if (progname != NULL)
		log_progname = progname;
	log_level = level;
}

void
log_set_level(enum log_level level)
{
	log_level = level;
}

enum log_level
log_get_level(void)
{
	return log_level;
}

static void log_vemit(int, const char *, const char *, va_list,
    const char *) __attribute__((format(printf, 3, 0)));

static void
log_vemit(int prio, const char *prefix, const char *fmt, va_list ap,
    const char *suffix)
{
	char	 msg[2048], out[4096];
	size_t	 i, o = 0;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	for (i = 0; msg[i] != '\0' && o + 5 < sizeof(out); i++) {
		unsigned char c = (unsigned char)msg[i];
		if (c < 0x20 || c == 0x7f) {
			o += (size_t)snprintf(out + o, sizeof(out) - o,
			    "\\x%02x", c);
		} else
			out[o++] = (char)c;
	}
	out[o] = '\0';
	if (log_syslog) {
		syslog(prio, "%s%s%s%s", prefix, out, suffix ? ": " : "",
		    suffix ? suffix : "");
		return;
	}
	fprintf(stderr, "%s: %s%s%s%s\n", log_progname, prefix, out,
	    suffix ? ": " : "", suffix ? suffix : "");
	fflush(stderr);
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	if (log_level < LOG_LVL_WARN)
		return;
	va_start(ap, fmt);
	log_vemit(LOG_WARNING, "", fmt, ap, strerror(saved));
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	if (log_level < LOG_LVL_WARN)
		return;
	va_start(ap, fmt);
	log_vemit(LOG_WARNING, "", fmt, ap, NULL);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	if (log_level < LOG_LVL_INFO)
		return;
	va_start(ap, fmt);
	log_vemit(LOG_INFO, "", fmt, ap, NULL);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	if (log_level < LOG_LVL_DEBUG)
		return;
	va_start(ap, fmt);
	log_vemit(LOG_DEBUG, "debug: ", fmt, ap, NULL);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	log_vemit(LOG_CRIT, "fatal: ", fmt, ap, strerror(saved));
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vemit(LOG_CRIT, "fatal: ", fmt, ap, NULL);
	va_end(ap);
	exit(1);
}
