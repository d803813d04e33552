/*
 * JSON-lines logging to stderr (see log.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/log.h"
#include "base/banned.h"

static enum log_level min_level = LOG_INFO;
static const char *level_names[] = {"debug", "info", "warn", "error"};
static const char *const ctx_names[LOG_CTX_NKEYS] = {"merchant_id", "order_id", "merchant_order_id",
						     "refund_id", "event_id"};

static __thread const char *bound_rid;
static __thread struct log_ctx *bound_ctx;

void log_bind(const char *rid, struct log_ctx *ctx)
{
	bound_rid = rid;
	bound_ctx = ctx;
}

const char *log_bound_request_id(void)
{
	return bound_rid;
}

void log_ctx_put(enum log_ctx_key key, const char *value)
{
	if (!bound_ctx || !value || !*value || key >= LOG_CTX_NKEYS)
		return;
	fmt_into(bound_ctx->values[key], sizeof(bound_ctx->values[key]), "%s", value);
}

/* Appends the bound context's fields that the line does not already carry. */
static void add_ctx(struct buf *b, size_t extra_from)
{
	char probe[32];
	if (!bound_ctx)
		return;
	for (int k = 0; k < LOG_CTX_NKEYS; k++) {
		if (!bound_ctx->values[k][0])
			continue;
		fmt_into(probe, sizeof(probe), "\"%s\":", ctx_names[k]);
		if (strstr(b->data + extra_from, probe))
			continue;
		buf_addf(b, ",\"%s\":", ctx_names[k]);
		json_quote(b, bound_ctx->values[k]);
	}
}

void log_set_level(enum log_level level)
{
	min_level = level;
}

void json_quote(struct buf *b, const char *s)
{
	buf_addch(b, '"');
	for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
		switch (*p) {
		case '"':
			buf_adds(b, "\\\"");
			break;
		case '\\':
			buf_adds(b, "\\\\");
			break;
		case '\n':
			buf_adds(b, "\\n");
			break;
		default:
			if (*p < 0x20)
				buf_addf(b, "\\u%04x", *p);
			else
				buf_addch(b, (char)*p);
		}
	}
	buf_addch(b, '"');
}

void log_line(enum log_level level, const char *rid, const char *msg, const char *fmt, ...)
{
	if (level < min_level)
		return;
	struct timespec ts;
	struct tm tm;
	char when[32];
	struct buf b;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	buf_init(&b);
	buf_addf(&b, "{\"ts\":\"%s.%03ldZ\",\"level\":\"%s\"", when, ts.tv_nsec / 1000000,
		 level_names[level]);
	if (!rid)
		rid = bound_rid;
	if (rid) {
		buf_adds(&b, ",\"request_id\":");
		json_quote(&b, rid);
	}
	buf_adds(&b, ",\"msg\":");
	json_quote(&b, msg);
	size_t extra_from = b.len;
	if (fmt && *fmt) {
		va_list ap;
		buf_addch(&b, ',');
		va_start(ap, fmt);
		buf_vaddf(&b, fmt, ap);
		va_end(ap);
	}
	add_ctx(&b, extra_from);
	buf_adds(&b, "}\n");
	ssize_t w = write(STDERR_FILENO, b.data, b.len);
	(void)w;
	buf_release(&b);
}

static void add_field(struct buf *b, const char *k, const char *v)
{
	if (b->len)
		buf_addch(b, ',');
	json_quote(b, k);
	buf_addch(b, ':');
	if (v)
		json_quote(b, v);
	else
		buf_adds(b, "null");
}

void log_text(enum log_level level, const char *msg, const char *k1, const char *v1,
	      const char *k2, const char *v2)
{
	struct buf b;
	buf_init(&b);
	if (k1)
		add_field(&b, k1, v1);
	if (k1 && k2)
		add_field(&b, k2, v2);
	log_line(level, NULL, msg, "%s", b.data);
	buf_release(&b);
}
