/*
 * HTML text for the few pages apotheca renders itself (the public tracking
 * page): escaping of every value that goes into a page. Not a template
 * engine; the page builds its markup with buf_adds() and puts every value
 * through these functions.
 */
#ifndef APO_HTML_H
#define APO_HTML_H

#include "base/buf.h"

/*
 * Appends s to b with & < > " ' written as entities, so the text is safe
 * both between tags and inside a quoted attribute value. NULL appends
 * nothing.
 */
void html_escape(struct buf *b, const char *s);

/* html_escape() of printf-style formatted text. */
void html_escapef(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
