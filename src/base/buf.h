/*
 * A growable byte buffer that is always NUL-terminated: the one way text is
 * built in apotheca (instead of sprintf/strcat into fixed arrays).
 *
 * Invariants: after buf_init(), b->data is never NULL and b->data[b->len]
 * is '\0'. An empty buffer owns no memory (cap 0) until something is added. Allocation failure aborts (xalloc.h), so append
 * functions do not fail. buf_release() frees the contents and leaves the
 * buffer ready for reuse.
 */
#ifndef APO_BUF_H
#define APO_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
};

/* Sets up an empty buffer. */
void buf_init(struct buf *b);

/* Frees the contents; the buffer is empty and usable again. */
void buf_release(struct buf *b);

/* Empties the buffer, keeping its allocation. */
void buf_reset(struct buf *b);

/* Makes room for at least extra more bytes (plus the terminator). */
void buf_grow(struct buf *b, size_t extra);

/* Appends len bytes of data. */
void buf_add(struct buf *b, const void *data, size_t len);

/* Appends a NUL-terminated string. */
void buf_adds(struct buf *b, const char *s);

/* Appends one byte. */
void buf_addch(struct buf *b, char c);

/* Appends printf-style formatted text. */
void buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* va_list form of buf_addf. */
void buf_vaddf(struct buf *b, const char *fmt, va_list ap);

/* Hands the contents to the caller (free() them) and re-inits the buffer. */
char *buf_detach(struct buf *b, size_t *len);

/*
 * Formats into a caller's fixed array, truncating safely; returns 0 when the
 * whole text fit, -1 when it was cut. Always NUL-terminates (cap > 0).
 */
int fmt_into(char *dst, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
