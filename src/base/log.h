/*
 * Structured logging: one JSON object per line on stderr. Request-scoped
 * lines carry the request id. Not for access logs' hot formatting tricks:
 * a line is built in a local buffer and written with one write(2), so lines
 * from different threads never interleave.
 */
#ifndef APO_LOG_H
#define APO_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Lines below this level are dropped (default LOG_INFO). */
void log_set_level(enum log_level level);

/*
 * Logs msg at level, tagged with request id rid (may be NULL). fmt, if not
 * NULL, formats extra JSON members appended after "msg", e.g.
 * log_line(LOG_WARN, rid, "db error", "\"code\":%d", rc).
 */
void log_line(enum log_level level, const char *rid, const char *msg, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * Logs msg with up to two string fields whose values are quoted and escaped
 * (for text that comes from elsewhere: database errors, paths, SQL). A NULL
 * key ends the list; a NULL value is logged as null.
 */
void log_text(enum log_level level, const char *msg, const char *k1, const char *v1,
	      const char *k2, const char *v2);

/*
 * Request context: the ids a line is about. A thread working for a request
 * binds that request's id and context (log_bind); every log_line() on the
 * thread then carries the request id (when none is passed) and the context
 * fields that are set, so a line about an order names it without each
 * caller repeating it. The context is owned by whoever binds it (a request,
 * an outbox delivery); binding NULL ends it.
 */
#define LOG_CTX_MAX_VALUE 128
enum log_ctx_key {
	LOG_CTX_MERCHANT_ID,
	LOG_CTX_ORDER_ID,
	LOG_CTX_MERCHANT_ORDER_ID,
	LOG_CTX_REFUND_ID,
	LOG_CTX_EVENT_ID,
	LOG_CTX_NKEYS
};

struct log_ctx {
	char values[LOG_CTX_NKEYS][LOG_CTX_MAX_VALUE + 1]; /* "" when unset */
};

/* Binds rid and ctx (either may be NULL) to the calling thread. */
void log_bind(const char *rid, struct log_ctx *ctx);

/* The request id bound to the calling thread, or NULL. */
const char *log_bound_request_id(void);

/*
 * Sets a field of the thread's bound context (nothing when none is bound,
 * or value is NULL or empty). Values longer than LOG_CTX_MAX_VALUE are cut.
 */
void log_ctx_put(enum log_ctx_key key, const char *value);

#define log_info(msg, ...) log_line(LOG_INFO, NULL, msg, __VA_ARGS__)
#define log_warn(msg, ...) log_line(LOG_WARN, NULL, msg, __VA_ARGS__)
#define log_error(msg, ...) log_line(LOG_ERROR, NULL, msg, __VA_ARGS__)

/* Appends s to b as a JSON string literal (quotes and escapes included). */
struct buf;
void json_quote(struct buf *b, const char *s);

#endif
