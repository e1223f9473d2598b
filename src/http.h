/*
 * HTTP/1.x messages out of one direction of a TCP stream: request or
 * status line, headers, and the body skipped (Content-Length, chunked, or
 * until the connection ends).  Bytes are fed as they come, split
 * anywhere; several messages may follow each other (pipelining).  One
 * callback per message head.  Limits on line length and header count.
 *
 * Keys: the value of each configured key header, and the token of
 * "Authorization: Bearer", are hashed to their fingerprint (keys.h) as
 * soon as their line is complete, and the parser's copy is wiped.  A
 * message carries only the fingerprint.  (The caller's own buffers are
 * the caller's to wipe.)
 */
#ifndef KS_HTTP_H
#define KS_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "keys.h"

#define HTTP_MAX_KEY_HEADERS	8

struct http_opts {
	/* header names whose value is a key (case-insensitive) */
	const char	*key_headers[HTTP_MAX_KEY_HEADERS];
	size_t		 nkey_headers;
	size_t		 max_line;	/* bytes, 0: 8192 */
	unsigned int	 max_headers;	/* 0: 100 */
};

struct http_msg {
	int		 request;	/* else a response */
	char		 method[EV_METHOD_MAX];
	char		 path[EV_PATH_MAX];
	int		 path_cut;	/* longer than path holds */
	int		 version;	/* 10, 11; 9 for a bare request line */
	int		 status;	/* responses */
	/* the first key presented, and how many key values in all */
	char		 fingerprint[KEYS_FP_LEN + 1];
	unsigned int	 nkeys;
	int		 bearer;	/* it came from Authorization: Bearer */
	unsigned int	 nheaders;
	char		 user_agent[EV_UA_MAX];	/* "" if absent; cut to fit */
	uint64_t	 offset;	/* of the message's first byte */
};

typedef void	http_msg_fn(void *arg, const struct http_msg *);

struct http_parser;

/* request: the client's direction (requests), else responses. */
struct http_parser	*http_parser_new(int request, const struct http_opts *,
			    http_msg_fn *, void *arg);
void			 http_parser_free(struct http_parser *);
/* As new, for another stream (its buffers kept, what they held wiped). */
void			 http_parser_reset(struct http_parser *);
/*
 * Feeds len bytes.  Returns 0, or -1 when the stream is not HTTP (the
 * reason and the stream offset from http_parser_error()); after that,
 * bytes are skipped until http_parser_gap() or a line that starts a
 * message of this direction.
 */
int			 http_parser_feed(struct http_parser *,
			    const uint8_t *data, size_t len);
/* len bytes of the stream were lost: pick up at the next message. */
void			 http_parser_gap(struct http_parser *, uint64_t len);
/*
 * Responses: the request this response answers was a HEAD (no body
 * follows, whatever the headers say).  Called before its bytes.
 */
void			 http_parser_expect_head(struct http_parser *, int head);
/* The connection ended: a body "until close" is complete. */
void			 http_parser_eof(struct http_parser *);
/* The last error (NULL: none yet), and its stream offset. */
const char		*http_parser_error(const struct http_parser *,
			    uint64_t *offset);
/* Messages seen, and errors. */
uint64_t		 http_parser_messages(const struct http_parser *);
uint64_t		 http_parser_errors(const struct http_parser *);

#endif
