/*
 * Decoders turn one record (a log line without its newline) into a struct
 * event.  They do no I/O and keep no state between records beyond their
 * compiled options, so they can be fed from files, stdin, a fuzzer or a
 * test table alike.  A decoder is chosen by name from a NULL-terminated
 * backend table: adding a format is one file and one entry.
 */
#ifndef KS_DECODE_H
#define KS_DECODE_H

#include <stddef.h>

#include "event.h"

/* What a record yielded. */
enum decode_result {
	DECODE_ERROR = -1,	/* malformed: err says where and why */
	DECODE_EVENT = 0,	/* *ev is filled */
	DECODE_IGNORE = 1,	/* well-formed, but not an access record */
};

struct decode_error {
	size_t		column;		/* 1-based byte column, 0 if unknown */
	char		msg[120];	/* never contains key material */
};

/* Fields a JSON field map can set (the keys of a source's "fields:"). */
enum dfield {
	DF_TIME = 0,
	DF_SOURCE,		/* "ip", "ip:port" or "[ip6]:port" */
	DF_SOURCE_PORT,
	DF_METHOD,
	DF_PATH,		/* request target; the query is dropped */
	DF_STATUS,
	DF_USER_AGENT,
	DF_COUNT_
};

#define DECODE_MAX_PATHS	16	/* candidate JSON paths per field */

struct decoder_opts {
	const char	*format;	/* auto, json, flat, caddy, kratos, clf */
	/* NULL-terminated JSON paths per field; NULL keeps the preset's */
	const char	*fields[DF_COUNT_][DECODE_MAX_PATHS + 1];
};

struct decoder;

/* Returns NULL with a message in err if the format is unknown. */
struct decoder	*decoder_new(const struct decoder_opts *, char *err,
		    size_t errlen);
void		 decoder_free(struct decoder *);
enum decode_result decoder_decode(struct decoder *, const char *line,
		    size_t len, struct event *ev, struct decode_error *err);
const char	*decoder_name(const struct decoder *);

/* Names for the "fields:" keys, and the formats, for config and docs. */
const char	*decode_field_name(enum dfield);
int		 decode_field_lookup(const char *name);
int		 decode_format_valid(const char *format);
/* The list of format names, comma-separated, for error messages. */
const char	*decode_format_names(void);

/* --- for decoder backends --- */

struct decoder_backend {
	const char	*name;
	int		(*init)(struct decoder *, const struct decoder_opts *,
			    char *err, size_t errlen);
	enum decode_result (*decode)(struct decoder *, const char *line,
			    size_t len, struct event *ev,
			    struct decode_error *err);
	void		(*fini)(struct decoder *);
};

struct decoder {
	const struct decoder_backend	*be;
	const char			*format;	/* as configured */
	void				*priv;
	struct decoder			*json;	/* auto: the JSON half */
	struct decoder			*clf;	/* auto: the CLF half */
};

void	decode_errorf(struct decode_error *, size_t column, const char *fmt,
	    ...) __attribute__((format(printf, 3, 4)));

/* Shared by decoders: fill event fields from text. */
int	decode_set_time(struct event *, const char *s, size_t len, int number);
int	decode_set_status(struct event *, const char *s, size_t len);
void	decode_set_source(struct event *, const char *s, size_t len);

extern const struct decoder_backend decode_json_backend;
extern const struct decoder_backend decode_clf_backend;

#endif
