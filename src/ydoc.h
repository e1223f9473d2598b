/*
 * YAML documents as a small tree whose every node remembers its line and
 * column, so that config and rule errors can name FILE:LINE:COLUMN.  Built
 * on libyaml's event parser with hard caps on input size, node count,
 * depth and scalar length.  Aliases are refused (they would let a small
 * file expand without bound); so are duplicate keys.
 */
#ifndef KS_YDOC_H
#define KS_YDOC_H

#include <stddef.h>
#include <stdint.h>

#define YDOC_MAX_BYTES	(4u << 20)
#define YDOC_MAX_NODES	200000
#define YDOC_MAX_DEPTH	64

enum ydoc_type { YDOC_SCALAR, YDOC_SEQ, YDOC_MAP };

struct ydoc_node {
	enum ydoc_type		  type;
	unsigned int		  line, col;	/* 1-based */
	char			 *str;		/* scalar text, NUL-terminated */
	size_t			  len;
	int			  plain;	/* scalar was unquoted */
	struct ydoc_node	**items;	/* seq: n items; map: key,value */
	size_t			  n;		/* items, or pairs for a map */
};

struct ydoc {
	char			 *file;		/* name used in messages */
	struct ydoc_node	**docs;
	size_t			  ndocs;
};

/* Returns NULL and "FILE:LINE:COLUMN: message" in err on failure. */
struct ydoc	*ydoc_load_file(const char *path, char *err, size_t errlen);
struct ydoc	*ydoc_load_buffer(const char *name, const char *buf, size_t len,
		    char *err, size_t errlen);
void		 ydoc_free(struct ydoc *);

/* The value under key in a map, or NULL. */
struct ydoc_node *ydoc_get(const struct ydoc_node *map, const char *key);
/* A plain scalar "~", "null", "Null", "NULL" or empty. */
int		 ydoc_is_null(const struct ydoc_node *);

/* Writes "FILE:LINE:COLUMN: message" into err. */
void		 ydoc_errorf(char *err, size_t errlen, const char *file,
		    const struct ydoc_node *at, const char *fmt, ...)
		    __attribute__((format(printf, 5, 6)));

/*
 * A list of diagnostics, each "FILE:LINE:COLUMN: message", so that a
 * loader can report every error in a file instead of stopping at the
 * first.  At most YDIAG_MAX are kept; the count goes on.
 */
#define YDIAG_MAX	100

struct ydiag {
	const char	 *file;
	char		**msgs;
	size_t		  n;		/* kept */
	size_t		  total;	/* counted */
};

void	ydiag_init(struct ydiag *, const char *file);
void	ydiag_add(struct ydiag *, const struct ydoc_node *at,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Adds a message that already names its place. */
void	ydiag_add_text(struct ydiag *, const char *msg);
void	ydiag_free(struct ydiag *);
/* Moves src's messages to the end of dst. */
void	ydiag_move(struct ydiag *dst, struct ydiag *src);

/*
 * Typed accessors.  Each records a diagnostic naming "what" and returns
 * NULL/-1 when the node has the wrong shape.
 */
int	ydoc_want(struct ydiag *, const struct ydoc_node *, enum ydoc_type,
	    const char *what);
/* Flags every key of map not in the NULL-terminated allowed list. */
int	ydoc_check_keys(struct ydiag *, const struct ydoc_node *map,
	    const char *const *allowed, const char *what);
const char *ydoc_str(struct ydiag *, const struct ydoc_node *,
	    const char *what);
int	ydoc_uint(struct ydiag *, const struct ydoc_node *, const char *what,
	    unsigned long long min, unsigned long long max,
	    unsigned long long *out);
int	ydoc_duration(struct ydiag *, const struct ydoc_node *,
	    const char *what, int64_t *out);
int	ydoc_bool(struct ydiag *, const struct ydoc_node *, const char *what,
	    int *out);

#endif
