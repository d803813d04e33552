/*
 * Typed access to JSON request bodies, the JSON forms of domain values
 * (money, optional strings), and the writing of JSON text (jx_dump, jw).
 * Getters return 0 on success, 1 when the member is absent or null, and -1
 * when it is present with the wrong type or an invalid value, so a handler
 * can tell "missing" from "malformed".
 */
#ifndef APO_JSONX_H
#define APO_JSONX_H

#include <jansson.h>
#include <stdint.h>

#include "base/buf.h"

/* Depth of the deepest array/object nesting in text (strings respected). */
int json_text_depth(const char *text, size_t len);

/* Money from a number or a numeric string (see money.h). */
int jx_money(const json_t *obj, const char *key, int64_t *out);

/* A JSON integer (not a real, not a string) in [min, max]. */
int jx_int(const json_t *obj, const char *key, int64_t min, int64_t max, int64_t *out);

/* A string of at most maxlen bytes; *out points into obj. */
int jx_str(const json_t *obj, const char *key, size_t maxlen, const char **out);

/* A boolean. */
int jx_bool(const json_t *obj, const char *key, int *out);

/* A JSON value for an amount in paise: an integer or a two-decimal real. A new reference. */
json_t *jx_money_value(int64_t paise);

/* json_string(s), or json_null() when s is NULL. A new reference. */
json_t *jx_str_or_null(const char *s);

/*
 * Appends j (an object or an array) to b as jansson's json_dumps(j,
 * JSON_COMPACT | JSON_REAL_PRECISION(precision)) would write it, byte for
 * byte (members in insertion order; precision 0 is jansson's 17), at a
 * fraction of its cost: no loop-check table, no buffer doubling, no copy.
 * Returns -1, with b cut back, where json_dumps would return NULL (not an
 * object or array; nesting past JX_DUMP_MAX_DEPTH, which is what a cycle
 * becomes).
 */
#define JX_DUMP_MAX_DEPTH 2048
int jx_dump(struct buf *b, const json_t *j, int precision);

/* jx_dump into a new string (free() it), or NULL; *len its length when len. */
char *jx_dumps(const json_t *j, int precision, size_t *len);

/*
 * An answer written straight into a buffer, for the hot answers that would
 * otherwise build a json_t tree only to write it out: the calls write the
 * bytes jx_dump(…, 15) writes for the tree the same calls would build with
 * json_object/json_array, jx_money_value and jx_str_or_null. Open and close
 * pair up, and inside an object a key comes before each value; strings are
 * written as they are, so they must be UTF-8 (text that came in as JSON).
 */
struct jw {
	struct buf *b;
	int comma; /* a value was just written: the next member needs a ',' */
};

void jw_init(struct jw *w, struct buf *b);
void jw_open(struct jw *w, char bracket);  /* '{' or '[' */
void jw_close(struct jw *w, char bracket); /* '}' or ']' */
void jw_key(struct jw *w, const char *key);
void jw_str(struct jw *w, const char *s); /* null when s is NULL */
void jw_int(struct jw *w, int64_t v);
void jw_money(struct jw *w, int64_t paise); /* as jx_money_value prints, below 10^12 rupees */
void jw_bool(struct jw *w, int v);
void jw_null(struct jw *w);

#endif
