/*
 * The operator console at /admin/: server-rendered HTML pages that work
 * without JavaScript. This header is what the page files
 * (console_dashboard.c, console_orders.c, console_ops.c) share with
 * console.c, which owns sign-in, sessions, CSRF, the page frame and the
 * bridge to the admin API.
 *
 * The console decides nothing itself: every read and every action is the
 * admin API's own handler run on the operator's behalf (console_call), so
 * the rules — which moves are allowed, what a stock change may do — live
 * in one place, and the console only turns answers into HTML.
 */
#ifndef APO_CONSOLE_H
#define APO_CONSOLE_H

#include <jansson.h>
#include <stdint.h>

#include "base/buf.h"
#include "http/router.h"

struct req;

/* Hex of 32 random bytes. */
#define CONSOLE_TOKEN_HEX 64

/* A signed-in operator's session, as a page needs it. */
struct console {
	char csrf[CONSOLE_TOKEN_HEX + 1];
	char flash[64]; /* the message a redirect left (a fixed text), or "" */
};

/*
 * Finds the request's session. Without one (or with an expired one)
 * answers a redirect to the sign-in page and returns -1; when the admin
 * token is unset answers 403.
 */
int console_session_or_redirect(struct req *r, struct console *cx);

/*
 * For a POST: console_session_or_redirect(), then the form's csrf field
 * must equal the session's (403 page otherwise).
 */
int console_form_or_reply(struct req *r, struct console *cx);

/* A form field of the request's body into out (cap); -1 absent or bad. */
int console_field(struct req *r, const char *name, char *out, size_t cap);

/*
 * Runs the admin API handler for (method, path) on r as the signed-in
 * operator, with query (an object of strings, stolen; NULL for none) as
 * its query string and body (stolen; NULL for none) as its JSON body.
 * Returns the HTTP status the API answered and sets
 * *answer to its parsed JSON (caller frees; NULL if none). r is left
 * unanswered.
 */
unsigned console_call(struct req *r, enum http_method method, const char *path, json_t *query,
		      json_t *body, json_t **answer);

/*
 * Like console_call(), but the admin handler's answer (status, headers,
 * body or stream) stays as r's answer: for the CSV export.
 */
void console_forward(struct req *r, enum http_method method, const char *path, json_t *query);

/* The API's error message from an answer (borrowed from answer), or a static fallback. */
const char *console_error_text(const json_t *answer);

/* Page frame: opens html, head, the header with navigation (`active` is
 * the nav item's path) and <main>; close ends them. */
void console_page_open(struct buf *b, const struct console *cx, const char *title,
		       const char *active);
void console_page_close(struct buf *b);

/* Answers the page in b (released) with the console's headers. */
void console_reply_page(struct req *r, unsigned status, struct buf *b);

/* A whole page saying what went wrong. */
void console_reply_error(struct req *r, const struct console *cx, unsigned status,
			 const char *title, const char *message);

/*
 * The admin resource a page shows, at base/<id> with id the route's
 * parameter param: the admin API's answer, a new reference the caller
 * releases, with *id set. NULL after answering the error page: 404 "No
 * such <what>" for an id that cannot be one, else the API's status, titled
 * "No such <what>" for a 404 and failed_title (or the same) otherwise.
 */
json_t *console_get_or_reply(struct req *r, const struct console *cx, const char *param,
			     const char *base, const char *what, const char *failed_title,
			     const char **id);

/*
 * Opens a POST form whose action is before + id (escaped; NULL: none) +
 * after (NULL: none), with the hidden CSRF field every form carries.
 */
void console_form_open(struct buf *b, const char *before, const char *id, const char *after,
		       const char *csrf);

/* 303 to location, leaving flash (a fixed text) for the next page. */
void console_redirect(struct req *r, const char *location, const char *flash);

/* Time as "2026-12-01 06:05 UTC" and money "₹1,234.50" into b. */
void console_time(struct buf *b, int64_t t);
void console_money(struct buf *b, int64_t paise);

/* A JSON money member as paise (0 when absent). */
int64_t console_paise(const json_t *obj, const char *key);

/* True when s is a plausible id for a path segment ([A-Za-z0-9_.-], 1-64). */
int console_id_ok(const char *s);

void console_dashboard_page(struct req *r);
void console_order_routes(struct router *rt);
void console_ops_routes(struct router *rt);

#endif
