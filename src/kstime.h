/*
 * Timestamps as found in access logs, converted to UTC nanoseconds since
 * the Unix epoch (int64_t, good until the year 2262).  The parsers take a
 * length, accept exactly one representation each, and reject anything out
 * of range instead of guessing.  No function depends on TZ or the locale.
 */
#ifndef KS_KSTIME_H
#define KS_KSTIME_H

#include <stddef.h>
#include <stdint.h>

#define KSTIME_STRLEN	40

/*
 * RFC 3339: 2026-10-10T13:55:36.123456789+02:00; "t" or a space may stand
 * for "T", "z" for "Z"; ±HHMM is accepted; no zone at all means UTC.
 */
int	kstime_parse_rfc3339(const char *s, size_t len, int64_t *ns);
/* Common log format, without brackets: 10/Oct/2026:13:55:36 +0000 */
int	kstime_parse_clf(const char *s, size_t len, int64_t *ns);
/*
 * Epoch with an optional fraction: 1693840791.7564995.  An integer part of
 * 12-14 digits is read as milliseconds, 15-17 as microseconds and 18-19 as
 * nanoseconds (the lengths those units have for dates after 2001).
 */
int	kstime_parse_epoch(const char *s, size_t len, int64_t *ns);
/* Tries RFC 3339, then epoch, then CLF (with or without brackets). */
int	kstime_parse_any(const char *s, size_t len, int64_t *ns);

/* A day (2026-11-20, its midnight UTC) or an RFC 3339 time; 0 or -1. */
int	kstime_parse_day(const char *s, int64_t *ns);
/*
 * The first time written anywhere in a line: RFC 3339 (2026-11-20T08:01:
 * 00.5Z) or CLF in brackets ([20/Nov/2026:08:01:00 +0000]).  For lines
 * that are not records of a known format.  0, or -1 if there is none.
 */
int	kstime_find(const char *line, size_t len, int64_t *ns);

/* RFC 3339 UTC, with 3, 6 or 9 fractional digits as needed. */
void	kstime_format(int64_t ns, char *buf, size_t size);

/* Days since 1970-01-01 of a proleptic Gregorian date. */
/* The wall clock (CLOCK_REALTIME) and a monotonic one, in ns. */
int64_t	kstime_now(void);
int64_t	kstime_monotonic(void);
int64_t	kstime_days_from_civil(int64_t y, unsigned int m, unsigned int d);

#endif
