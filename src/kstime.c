/*
 * Timestamp parsing and formatting.  See kstime.h.  The calendar arithmetic
 * is the usual era-based conversion between civil dates and day numbers
 * (400-year eras of 146097 days), which needs no tables and no timegm().
 */
#include "autoconfig.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "kstime.h"
#include "util.h"

#define MAX_EPOCH_SEC	INT64_C(9223372035)	/* 2262-04-11, fits in ns */

int64_t
kstime_days_from_civil(int64_t y, unsigned int m, unsigned int d)
{
	int64_t		era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (int64_t)(m + (m > 2 ? -3 : 9)) + 2) / 5 + (int64_t)d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, unsigned int *m, unsigned int *d)
{
	int64_t		era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (unsigned int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int
days_in_month(int64_t y, unsigned int m)
{
	static const int dim[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : dim[m - 1];
}

/* Reads exactly n digits at s[*i]; returns -1 if any is not a digit. */
static int
digits(const char *s, size_t len, size_t *i, unsigned int n, unsigned int *v)
{
	unsigned int k;

	if (*i + n > len)
		return -1;
	*v = 0;
	for (k = 0; k < n; k++) {
		char c = s[*i + k];
		if (c < '0' || c > '9')
			return -1;
		*v = *v * 10 + (unsigned int)(c - '0');
	}
	*i += n;
	return 0;
}

static int
expect(const char *s, size_t len, size_t *i, char c)
{
	if (*i >= len || s[*i] != c)
		return -1;
	(*i)++;
	return 0;
}

/* Fraction digits after a '.', scaled to nanoseconds; extra digits dropped. */
static int
fraction(const char *s, size_t len, size_t *i, int64_t *frac)
{
	int64_t		scale = 100000000;
	size_t		start = *i;

	*frac = 0;
	while (*i < len && s[*i] >= '0' && s[*i] <= '9') {
		*frac += (s[*i] - '0') * scale;
		scale /= 10;
		(*i)++;
	}
	return *i > start ? 0 : -1;
}

static int
assemble(int64_t y, unsigned int mo, unsigned int d, unsigned int h,
    unsigned int mi, unsigned int sec, int64_t frac, int64_t offset_sec,
    int64_t *ns)
{
	int64_t t;

	if (y < 1970 || y > 2262 || mo < 1 || mo > 12 || d < 1 ||
	    (int)d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 60)
		return -1;
	t = kstime_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 +
	    sec - offset_sec;
	if (t < 0 || t > MAX_EPOCH_SEC)
		return -1;
	*ns = t * KS_NSEC_PER_SEC + frac;
	return 0;
}

static int
zone(const char *s, size_t len, size_t *i, int64_t *offset)
{
	unsigned int	zh, zm;
	int		sign;

	*offset = 0;
	if (*i == len)
		return 0;
	if (s[*i] == 'Z' || s[*i] == 'z') {
		(*i)++;
		return 0;
	}
	if (s[*i] != '+' && s[*i] != '-')
		return -1;
	sign = s[*i] == '-' ? -1 : 1;
	(*i)++;
	if (digits(s, len, i, 2, &zh) == -1)
		return -1;
	if (*i < len && s[*i] == ':')
		(*i)++;
	if (digits(s, len, i, 2, &zm) == -1 || zh > 23 || zm > 59)
		return -1;
	*offset = sign * (int64_t)(zh * 3600 + zm * 60);
	return 0;
}

int
kstime_parse_rfc3339(const char *s, size_t len, int64_t *ns)
{
	unsigned int	y, mo, d, h, mi, sec;
	int64_t		frac = 0, offset;
	size_t		i = 0;

	if (digits(s, len, &i, 4, &y) || expect(s, len, &i, '-') ||
	    digits(s, len, &i, 2, &mo) || expect(s, len, &i, '-') ||
	    digits(s, len, &i, 2, &d))
		return -1;
	if (i >= len || (s[i] != 'T' && s[i] != 't' && s[i] != ' '))
		return -1;
	i++;
	if (digits(s, len, &i, 2, &h) || expect(s, len, &i, ':') ||
	    digits(s, len, &i, 2, &mi) || expect(s, len, &i, ':') ||
	    digits(s, len, &i, 2, &sec))
		return -1;
	if (i < len && (s[i] == '.' || s[i] == ',')) {
		i++;
		if (fraction(s, len, &i, &frac) == -1)
			return -1;
	}
	if (zone(s, len, &i, &offset) == -1 || i != len)
		return -1;
	return assemble(y, mo, d, h, mi, sec, frac, offset, ns);
}

int
kstime_parse_clf(const char *s, size_t len, int64_t *ns)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	unsigned int	 y, mo = 0, d, h, mi, sec, k;
	int64_t		 frac = 0, offset;
	size_t		 i = 0;

	if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
		s++;
		len -= 2;
	}
	if (digits(s, len, &i, 2, &d) || expect(s, len, &i, '/') ||
	    i + 3 > len)
		return -1;
	for (k = 0; k < 12; k++) {
		if (strncmp(s + i, months + 3 * k, 3) == 0) {
			mo = k + 1;
			break;
		}
	}
	if (mo == 0)
		return -1;
	i += 3;
	if (expect(s, len, &i, '/') || digits(s, len, &i, 4, &y) ||
	    expect(s, len, &i, ':') || digits(s, len, &i, 2, &h) ||
	    expect(s, len, &i, ':') || digits(s, len, &i, 2, &mi) ||
	    expect(s, len, &i, ':') || digits(s, len, &i, 2, &sec))
		return -1;
	if (i < len && s[i] == '.') {		/* nginx $msec-style extension */
		i++;
		if (fraction(s, len, &i, &frac) == -1)
			return -1;
	}
	if (expect(s, len, &i, ' ') || zone(s, len, &i, &offset) || i != len)
		return -1;
	return assemble(y, mo, d, h, mi, sec, frac, offset, ns);
}

int
kstime_parse_epoch(const char *s, size_t len, int64_t *ns)
{
	uint64_t	ip = 0;
	int64_t		frac = 0, unit, sec, sub;
	size_t		i = 0, ndig;

	while (i < len && s[i] >= '0' && s[i] <= '9') {
		if (i >= 19)
			return -1;
		ip = ip * 10 + (uint64_t)(s[i] - '0');
		i++;
	}
	ndig = i;
	if (ndig == 0)
		return -1;
	if (i < len && s[i] == '.') {
		i++;
		if (fraction(s, len, &i, &frac) == -1)
			return -1;
	}
	if (i != len)
		return -1;
	if (ndig <= 11)
		unit = KS_NSEC_PER_SEC;
	else if (ndig <= 14)
		unit = 1000000;
	else if (ndig <= 17)
		unit = 1000;
	else
		unit = 1;
	sec = (int64_t)(ip / (uint64_t)(KS_NSEC_PER_SEC / unit));
	sub = (int64_t)(ip % (uint64_t)(KS_NSEC_PER_SEC / unit)) * unit;
	if (sec > MAX_EPOCH_SEC)
		return -1;
	*ns = sec * KS_NSEC_PER_SEC + sub + frac * unit / KS_NSEC_PER_SEC;
	return 0;
}

int
kstime_parse_any(const char *s, size_t len, int64_t *ns)
{
	if (len >= 10 && s[4] == '-')
		return kstime_parse_rfc3339(s, len, ns);
	if (len > 0 && s[0] >= '0' && s[0] <= '9' &&
	    kstime_parse_epoch(s, len, ns) == 0)
		return 0;
	return kstime_parse_clf(s, len, ns);
}

void
kstime_format(int64_t ns, char *buf, size_t size)
{
	int64_t		sec = ns / KS_NSEC_PER_SEC, sub = ns % KS_NSEC_PER_SEC;
	int64_t		days, y;
	unsigned int	m, d, rem;

	if (sub < 0) {
		sub += KS_NSEC_PER_SEC;
		sec--;
	}
	days = sec / 86400;
	rem = (unsigned int)(sec % 86400);
	if (sec < 0 && rem != 0) {
		days--;
		rem = (unsigned int)(sec - days * 86400);
	}
	civil_from_days(days, &y, &m, &d);
	if (sub % 1000000 == 0)
		snprintf(buf, size, "%04" PRId64 "-%02u-%02uT%02u:%02u:%02u.%03"
		    PRId64 "Z", y, m, d, rem / 3600, rem / 60 % 60, rem % 60,
		    sub / 1000000);
	else if (sub % 1000 == 0)
		snprintf(buf, size, "%04" PRId64 "-%02u-%02uT%02u:%02u:%02u.%06"
		    PRId64 "Z", y, m, d, rem / 3600, rem / 60 % 60, rem % 60,
		    sub / 1000);
	else
		snprintf(buf, size, "%04" PRId64 "-%02u-%02uT%02u:%02u:%02u.%09"
		    PRId64 "Z", y, m, d, rem / 3600, rem / 60 % 60, rem % 60,
		    sub);
}

int64_t
kstime_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * KS_NSEC_PER_SEC + ts.tv_nsec;
}

int64_t
kstime_monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * KS_NSEC_PER_SEC + ts.tv_nsec;
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int
kstime_find(const char *line, size_t len, int64_t *ns)
{
	size_t	i, j;

	for (i = 0; i + 19 <= len; i++) {
		const char *p = line + i;
		/* 2026-11-20T08:01:00 */
		if (is_digit(p[0]) && is_digit(p[1]) && is_digit(p[2]) &&
		    is_digit(p[3]) && p[4] == '-' && is_digit(p[5]) &&
		    is_digit(p[6]) && p[7] == '-' && is_digit(p[8]) &&
		    is_digit(p[9]) && (p[10] == 'T' || p[10] == 't' ||
		    p[10] == ' ') && p[13] == ':' && p[16] == ':') {
			for (j = 19; i + j < len && (is_digit(p[j]) ||
			    p[j] == '.' || p[j] == ':' || p[j] == '+' ||
			    p[j] == '-' || p[j] == 'Z' || p[j] == 'z'); j++)
				;
			if (kstime_parse_rfc3339(p, j, ns) == 0)
				return 0;
		}
		/* [20/Nov/2026:08:01:00 +0000] */
		if (p[0] == '[' && i + 28 <= len && p[27] == ']' &&
		    kstime_parse_clf(p + 1, 26, ns) == 0)
			return 0;
	}
	return -1;
}

int
kstime_parse_day(const char *s, int64_t *ns)
{
	char full[64];

	if (strlen(s) == 10 && s[4] == '-' && s[7] == '-') {
		snprintf(full, sizeof(full), "%sT00:00:00Z", s);
		s = full;
	}
	return kstime_parse_rfc3339(s, strlen(s), ns);
}
