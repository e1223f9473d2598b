/*
 * A strict JSON scanner for one-object-per-line logs.  It walks the text
 * once, builds no tree and allocates nothing: values are captured only for
 * the dotted paths compiled into a jpath set ("request.remote_ip"), every
 * other value is validated and skipped.  A key that itself contains dots
 * ("source.ip" in ECS-style flat logs) matches the same path as nesting.
 *
 * Limits: nesting depth JSCAN_MAX_DEPTH, key length JSCAN_MAX_KEY, and the
 * caller's scratch buffer for unescaped strings.  A captured string that
 * does not fit is cut, and flagged.  Errors carry the byte offset.
 */
#ifndef KS_JSCAN_H
#define KS_JSCAN_H

#include <stddef.h>

#define JSCAN_MAX_DEPTH	32
#define JSCAN_MAX_KEY	256
#define JSCAN_MAX_SLOTS	16

enum jv_type { JV_NONE = 0, JV_STRING, JV_NUMBER, JV_TRUE, JV_FALSE, JV_NULL };

struct jvalue {
	enum jv_type	 type;
	const char	*s;		/* text: unescaped string, or number */
	size_t		 len;
	int		 prio;		/* which candidate path matched */
	int		 truncated;	/* string was cut to fit scratch */
};

struct jpath_set;

struct jpath_set *jpath_set_new(void);
/*
 * Captures the value at a dotted path into slot; when several paths feed
 * one slot, the lowest prio present in the line wins.  Returns 0 or -1.
 */
int	jpath_set_add(struct jpath_set *, const char *dotted, int slot, int prio);
void	jpath_set_free(struct jpath_set *);

struct jscan_error {
	size_t		 offset;	/* byte offset of the problem in the line */
	const char	*msg;		/* static text */
};

/*
 * Scans one JSON object occupying all of line[0..len) (surrounding white
 * space allowed).  slots[] (JSCAN_MAX_SLOTS) are reset first.  Returns 0,
 * or -1 with *err set.
 */
int	jscan_object(const struct jpath_set *, const char *line, size_t len,
	    struct jvalue *slots, char *scratch, size_t scratchsize,
	    struct jscan_error *err);

#endif
