/*
 * Allocation with one out-of-memory policy: a server that cannot allocate a
 * few hundred bytes cannot answer anyone correctly, so these functions log
 * and abort() instead of returning NULL. Callers never check their result;
 * what they return is the caller's to free().
 */
#ifndef APO_XALLOC_H
#define APO_XALLOC_H

#include <stddef.h>

/* malloc() that aborts on failure; never returns NULL, even for size 0. */
void *xmalloc(size_t size);

/* calloc() that aborts on failure or on n * size overflow. */
void *xcalloc(size_t n, size_t size);

/* realloc() that aborts on failure. */
void *xrealloc(void *ptr, size_t size);

/* strdup() that aborts on failure; NULL in gives NULL out. */
char *xstrdup(const char *s);

/* Copies the first len bytes of s into a new NUL-terminated string. */
char *xstrndup(const char *s, size_t len);

#endif
