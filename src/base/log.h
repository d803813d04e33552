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

#define log_info(msg, ...) log_line(LOG_INFO, NULL, msg, __VA_ARGS__)
#define log_warn(msg, ...) log_line(LOG_WARN, NULL, msg, __VA_ARGS__)
#define log_error(msg, ...) log_line(LOG_ERROR, NULL, msg, __VA_ARGS__)

/* Appends s to b as a JSON string literal (quotes and escapes included). */
struct buf;
void json_quote(struct buf *b, const char *s);

#endif
