/*
 * HTML form bodies (application/x-www-form-urlencoded) as the console's
 * forms send them: name=value pairs joined by '&', '+' for a space and
 * %XX escapes. A lookup decodes one value into a caller's bounded buffer;
 * nothing is allocated.
 */
#ifndef APO_FORM_H
#define APO_FORM_H

#include <stddef.h>

/*
 * Finds field name in the body (len bytes, not NUL-terminated) and decodes
 * its first value into out (cap bytes, NUL-terminated). Returns 0 when
 * found, -1 when absent, -2 when the value is longer than cap - 1 bytes,
 * holds a NUL, a control character or a malformed %-escape.
 */
int form_get(const char *body, size_t len, const char *name, char *out, size_t cap);

#endif
