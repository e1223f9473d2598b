/*
 * Runs a decoder fixture table (tests/fixtures/decode/NAME.txt).  Format:
 *
 *   # comment
 *   format NAME             selects the decoder for the blocks below
 *   < RECORD                the record, taken literally
 *   <\ RECORD               the record, with \xHH, \t, \r, \n, \\ escapes
 *   = FIELD VALUE           an expectation (VALUE may hold spaces)
 *
 * A blank line ends a block.  FIELD is one of: result (event, ignore,
 * error), column (of an error), time (RFC 3339 UTC as kstime_format
 * prints it), src, port, method, path, status, ua, truncated (0 or 1).
 * A field that is not listed is not checked, except that "src", "port"
 * and "status" listed as "-" must be absent.
 */
#ifndef KS_DECODE_TABLE_H
#define KS_DECODE_TABLE_H

#include "check_common.h"
#include "decode.h"
#include "kstime.h"

struct dt_block {
	char	format[80];
	char	rec[70000];
	size_t	reclen;
	int	has_rec;
	int	line;		/* of the record in the fixture */
};

static size_t
dt_unescape(const char *s, char *out, size_t cap)
{
	size_t o = 0;

	while (*s != '\0' && o + 1 < cap) {
		if (s[0] == '\\' && s[1] == 'x' && s[2] && s[3]) {
			char hex[3] = { s[2], s[3], 0 };
			out[o++] = (char)strtol(hex, NULL, 16);
			s += 4;
		} else if (s[0] == '\\' && s[1] != '\0') {
			out[o++] = s[1] == 't' ? '\t' : s[1] == 'r' ? '\r' :
			    s[1] == 'n' ? '\n' : s[1];
			s += 2;
		} else
			out[o++] = *s++;
	}
	return o;
}

static void
dt_check(const char *file, struct dt_block *b, struct decoder *d,
    char (*exp)[2][1024], int nexp)
{
	struct event		 ev;
	struct decode_error	 err;
	enum decode_result	 r;
	char			 got[2048];
	int			 i;

	r = decoder_decode(d, b->rec, b->reclen, &ev, &err);
	for (i = 0; i < nexp; i++) {
		const char *k = exp[i][0], *want = exp[i][1];

		got[0] = '\0';
		if (strcmp(k, "result") == 0)
			snprintf(got, sizeof(got), "%s", r == DECODE_EVENT ?
			    "event" : r == DECODE_IGNORE ? "ignore" : "error");
		else if (strcmp(k, "column") == 0)
			snprintf(got, sizeof(got), "%zu", err.column);
		else if (r != DECODE_EVENT)
			ck_abort_msg("%s:%d: %s expected, but the record gave "
			    "no event (%s)", file, b->line, k, err.msg);
		else if (strcmp(k, "time") == 0)
			kstime_format(ev.ts, got, sizeof(got));
		else if (strcmp(k, "src") == 0) {
			if (ev.flags & EV_HAS_SRC)
				addr_format(&ev.src, got, sizeof(got));
			else
				strcpy(got, "-");
		} else if (strcmp(k, "port") == 0) {
			if (ev.flags & EV_HAS_PORT)
				snprintf(got, sizeof(got), "%u", ev.src_port);
			else
				strcpy(got, "-");
		} else if (strcmp(k, "status") == 0) {
			if (ev.flags & EV_HAS_STATUS)
				snprintf(got, sizeof(got), "%d", ev.status);
			else
				strcpy(got, "-");
		} else if (strcmp(k, "method") == 0)
			snprintf(got, sizeof(got), "%s", ev.method);
		else if (strcmp(k, "path") == 0)
			snprintf(got, sizeof(got), "%s", ev.path);
		else if (strcmp(k, "ua") == 0)
			snprintf(got, sizeof(got), "%s", ev.user_agent);
		else if (strcmp(k, "truncated") == 0)
			snprintf(got, sizeof(got), "%d",
			    (ev.flags & EV_TRUNCATED) != 0);
		else
			ck_abort_msg("%s:%d: unknown field %s", file, b->line,
			    k);
		ck_assert_msg(strcmp(got, want) == 0, "%s:%d (%s): %s is "
		    "\"%s\", want \"%s\"%s%s", file, b->line, b->format, k,
		    got, want, r == DECODE_EVENT ? "" : "; decoder said: ",
		    r == DECODE_EVENT ? "" : err.msg);
	}
}

/* Runs every block of a table; returns how many records were checked. */
static int
dt_run(const char *rel)
{
	static struct dt_block	 b;
	static char		 exp[32][2][1024];
	/* values longer than 1000 bytes are not expected */
	static char		 line[70000];
	const char		*path = ks_fixture(rel);
	FILE			*f = fopen(path, "r");
	struct decoder		*d = NULL;
	struct decoder_opts	 o;
	char			 err[256];
	int			 nexp = 0, lineno = 0, count = 0, eof = 0;

	ck_assert_msg(f != NULL, "cannot open %s", path);
	memset(&b, 0, sizeof(b));
	strcpy(b.format, "auto");
	while (!eof) {
		char *nl;

		if (fgets(line, sizeof(line), f) == NULL) {
			eof = 1;
			line[0] = '\0';
		}
		lineno++;
		if ((nl = strchr(line, '\n')) != NULL)
			*nl = '\0';
		if (line[0] == '#')
			continue;
		if (line[0] == '\0') {
			if (b.has_rec) {
				memset(&o, 0, sizeof(o));
				o.format = b.format;
				d = decoder_new(&o, err, sizeof(err));
				ck_assert_msg(d != NULL, "%s", err);
				dt_check(rel, &b, d, exp, nexp);
				decoder_free(d);
				count++;
			}
			b.has_rec = 0;
			nexp = 0;
			continue;
		}
		if (strncmp(line, "format ", 7) == 0) {
			snprintf(b.format, sizeof(b.format), "%.70s", line + 7);
		} else if (strncmp(line, "<\\ ", 3) == 0) {
			b.reclen = dt_unescape(line + 3, b.rec, sizeof(b.rec));
			b.has_rec = 1;
			b.line = lineno;
		} else if (strncmp(line, "< ", 2) == 0) {
			b.reclen = strlen(line + 2);
			memcpy(b.rec, line + 2, b.reclen);
			b.has_rec = 1;
			b.line = lineno;
		} else if (strncmp(line, "= ", 2) == 0 && nexp < 32) {
			char *sp = strchr(line + 2, ' ');
			ck_assert_msg(sp != NULL, "%s:%d: \"= FIELD VALUE\"",
			    rel, lineno);
			*sp = '\0';
			snprintf(exp[nexp][0], sizeof(exp[0][0]), "%.100s",
			    line + 2);
			snprintf(exp[nexp][1], sizeof(exp[0][1]), "%.1000s",
			    sp + 1);
			nexp++;
		} else
			ck_abort_msg("%s:%d: cannot read this line", rel,
			    lineno);
	}
	fclose(f);
	return count;
}

#endif
