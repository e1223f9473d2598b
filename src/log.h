/*
 * Diagnostics for the operator: warnings, information and fatal errors.
 * Everything goes to stderr, prefixed with the program name, or to syslog
 * (facility daemon) when the daemon is configured so.  log_warn()
 * appends strerror(errno); log_warnx() does not.  fatal()/fatalx() exit
 * with status 1 and are meant for start-up only: once the engine runs, an
 * error is logged and counted, never fatal.  No function here ever prints
 * key material; callers pass fingerprints only.
 */
#ifndef KS_LOG_H
#define KS_LOG_H

#include <stdarg.h>

enum log_level { LOG_LVL_ERROR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

void	log_init(const char *progname, enum log_level level);
/* Sends diagnostics to syslog (daemon facility) instead of stderr. */
void	log_to_syslog(int on);
void	log_set_level(enum log_level level);
enum log_level log_get_level(void);

void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif
