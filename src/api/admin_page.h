/*
 * One pagination style for every admin list: `limit` and an opaque
 * `cursor` in, `next_cursor` out (null on the last page). A cursor is the
 * hex of the last key a page showed; clients pass it back untouched.
 * Also the check every admin list makes: an unknown query parameter is a
 * 400 naming it.
 */
#ifndef APO_ADMIN_PAGE_H
#define APO_ADMIN_PAGE_H

#include <jansson.h>
#include <stdint.h>

struct req;

#define ADMIN_PAGE_DEFAULT 50
#define ADMIN_PAGE_MAX 500
/* The longest key a cursor carries (decoded). */
#define ADMIN_CURSOR_MAX 128

struct admin_page {
	int64_t limit;
	char after[ADMIN_CURSOR_MAX + 1]; /* "" on the first page */
};

/*
 * Checks the query: every argument must be `limit`, `cursor` or in known
 * (NULL-terminated, may be NULL); reads limit (1..max, default
 * ADMIN_PAGE_DEFAULT or max if smaller) and the cursor. On failure answers
 * 400 naming the parameter and returns -1.
 */
int admin_page_or_reply(struct req *r, const char *const *known, int64_t max, struct admin_page *p);

/* Answers 400 naming the first query argument not in known; -1 then. */
int admin_known_or_reply(struct req *r, const char *const *known);

/* Reads an optional integer query argument in [min, max]; -1 answered 400. */
int admin_query_int_or_reply(struct req *r, const char *name, int64_t min, int64_t max,
			     int64_t *out);

/* The page's after-key as an integer id (0 on the first page); -1 answered. */
int admin_page_id_or_reply(struct req *r, const struct admin_page *p, int64_t *id);

/* next_cursor for a page that ended at last_key: a string, or null when
 * more is false. A new reference (as is admin_next_cursor_id's). */
json_t *admin_next_cursor(const char *last_key, int more);

/* admin_next_cursor() of an integer id. */
json_t *admin_next_cursor_id(int64_t last_id, int more);

/*
 * A whole list route: checks the admin token and the query, then answers
 * {plural: [...], next_cursor} with a page of the keys of `what` (enum
 * admin_keys), each turned into JSON by one() (NULL skips a key that went
 * away meanwhile).
 */
void admin_list_keys_reply(struct req *r, int what, const char *plural,
			   json_t *(*one)(struct req *r, const char *key));

#endif
