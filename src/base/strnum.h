/*
 * Length-checked number parsing (in the spirit of OpenBSD's strtonum): the
 * only way text from the network becomes an integer. No atoi, no silent
 * truncation, no trailing garbage.
 */
#ifndef APO_STRNUM_H
#define APO_STRNUM_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parses the len bytes at s as a base-10 integer (optional leading '-')
 * within [min, max]. Returns 0 and sets *out, or -1 when the text is empty,
 * has any other character, or is out of range.
 */
int strnum_i64(const char *s, size_t len, int64_t min, int64_t max, int64_t *out);

/* strnum_i64 on a NUL-terminated string. */
int strnum_i64z(const char *s, int64_t min, int64_t max, int64_t *out);

/* True when the len bytes at s are all ASCII digits (and len > 0). */
int str_is_digits(const char *s, size_t len);

/* Constant-time comparison of two byte strings; lengths may differ. */
int str_ct_equal(const char *a, size_t alen, const char *b, size_t blen);

#endif
