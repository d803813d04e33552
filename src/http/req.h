/*
 * The request context: everything one HTTP request owns, from the parsed
 * body to the response being built, released by one destructor when the
 * connection is done with it. Handlers read the request and answer through
 * these functions; they never see libmicrohttpd.
 *
 * Ownership: the context owns the body bytes, the parsed JSON body, the
 * route parameters, the response body and headers, and anything handed to
 * req_defer_free()/req_defer_decref(). Replying twice is a programming
 * error: the second reply is ignored and logged.
 */
#ifndef APO_REQ_H
#define APO_REQ_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/result.h"
#include "http/router.h"

/* Limits of SPEC §1. */
#define REQ_MAX_BODY (1024 * 1024)
#define REQ_MAX_JSON_DEPTH 32
#define REQ_MAX_ID_LEN 128
#define REQ_MAX_HEADERS_OUT 8
#define REQ_MAX_DEFER 16
/* The longest error message kept for the access log line. */
#define REQ_MAX_REASON 200

struct store_conn;
struct MHD_Connection;
struct app;

/*
 * An API dialect: how its errors look, and what each result means in HTTP.
 * error() writes the dialect's error body for status with a machine code
 * (may be NULL where the dialect has none) and a human message. status[]
 * is the one place a result becomes an HTTP status in the dialect (read it
 * with dialect_status()); NULL: every result is 500.
 */
struct dialect {
	const char *name;
	const char *prefix; /* path prefix that selects it for unrouted paths */
	void (*error)(struct req *r, unsigned status, const char *code, const char *message);
	const unsigned *status; /* APO_RESULT_COUNT entries, by enum apo_result */
};

/*
 * The statuses every dialect gives the same results: a dialect's table
 * starts with these, then gives CONFLICT, STATE, BUSY and AUTH its own.
 */
#define DIALECT_STATUS_COMMON                                                                  \
	[APO_OK] = 200, [APO_ERR_INVALID] = 400, [APO_ERR_INSUFFICIENT] = 400,                  \
	[APO_ERR_NOT_FOUND] = 404, [APO_ERR_FORBIDDEN] = 403, [APO_ERR_TOO_LARGE] = 413,        \
	[APO_ERR_UPSTREAM] = 502, [APO_ERR_UNAVAILABLE] = 503, [APO_ERR_STORAGE] = 503,         \
	[APO_ERR_INTERNAL] = 500

/* d's HTTP status for rc (500 where d has none). */
unsigned dialect_status(const struct dialect *d, enum apo_result rc);

struct req_header {
	char *name;
	char *value;
};

struct req {
	/* Request, filled by the server before the handler runs. */
	struct app *app;
	struct MHD_Connection *conn;
	enum http_method method;
	const char *method_name;
	char *path;
	const struct dialect *dialect;
	struct route_match match;
	char request_id[REQ_MAX_ID_LEN + 1];
	struct buf body;
	int body_too_large;
	size_t drained; /* bytes of an oversized body read and discarded */
	struct store_conn *db; /* this worker thread's connection */
	int64_t start_ns;

	/* Idempotency-Key state, opaque here (the dialects keep it), and a
	 * hook run just before the answer is queued. */
	void *idem;
	void (*idem_free)(void *);
	void (*finish)(struct req *r);

	/* Authentication result, set by the dialect's auth helper. */
	const void *principal;
	void (*principal_free)(void *);

	/* Offloading (http/offload.h): set by the handler's thread only. */
	int went_async;
	int done_async; /* atomically set by the offload thread when it replied */

	/* The ids this request is about, for its log lines (base/log.h). */
	struct log_ctx log;

	/* Response. */
	int queued; /* handed to libmicrohttpd */
	int replied;
	unsigned status;
	const char *content_type;
	struct buf out;
	/* An error answer's message (any dialect's shape), for the access log. */
	char reason[REQ_MAX_REASON + 1];
	struct req_header headers[REQ_MAX_HEADERS_OUT];
	size_t nheaders;

	/* Everything else this request owns. */
	void *defer_free[REQ_MAX_DEFER];
	size_t ndefer_free;
	json_t *defer_json[REQ_MAX_DEFER];
	size_t ndefer_json;
	json_t *json; /* parsed body, owned */

	/* When set, the query string req_query() reads instead of the
	 * connection's: an object of strings (a console call, console.h). */
	json_t *query_override;

	/* A streamed answer (req_reply_stream), taken over by the server. */
	int (*stream_fill)(void *arg, struct buf *b);
	void (*stream_done)(void *arg);
	void *stream_arg;
};

/* Sets up an empty context; the server fills in the request fields. */
void req_init(struct req *r);

/* The one destructor: frees everything the context owns, then r itself. */
void req_free(struct req *r);

/* A request header by case-insensitive name, or NULL. */
const char *req_header(struct req *r, const char *name);

/* A query-string argument (decoded), or NULL. */
const char *req_query(struct req *r, const char *name);

/* Longest text req_client_addr() writes (an IPv6 address). */
#define REQ_ADDR_CAP 46

/*
 * Writes the client's IP address as text into out (cap bytes, at least
 * REQ_ADDR_CAP). -1 (and "unknown") when the connection has none.
 */
int req_client_addr(struct req *r, char *out, size_t cap);

/*
 * The first query-string argument whose name is not in known (a
 * NULL-terminated list), or NULL when every one is known.
 */
const char *req_query_unknown(struct req *r, const char *const *known);

/* A cookie sent with the request, by name, or NULL. */
const char *req_cookie(struct req *r, const char *name);

/* A path parameter of the matched route, or NULL. */
const char *req_param(struct req *r, const char *name);

/* Frees p when the request ends. */
void req_defer_free(struct req *r, void *p);

/* Takes over the reference to j, dropped when the request ends; returns j (r owns it). */
json_t *req_defer_decref(struct req *r, json_t *j);

/* Adds a response header (copied). */
void req_add_header(struct req *r, const char *name, const char *value);

/*
 * Adds the headers every HTML page of the server sends: never stored
 * (Cache-Control: no-store), no content sniffing, and the page's own
 * Referrer-Policy and Content-Security-Policy (copied).
 */
void req_page_headers(struct req *r, const char *referrer_policy, const char *csp);

/* Answers with raw bytes (copied). */
void req_reply(struct req *r, unsigned status, const char *content_type, const char *body,
	       size_t len);

/*
 * Answers with a body produced while it is sent (chunked), for answers too
 * big to hold: fill(arg, b) appends the next part to the empty b and
 * returns 1 while more follows, 0 after the last part, -1 to cut the
 * answer short (the connection closes). fill runs later on the
 * connection's thread, after the request context may be gone, so arg must
 * own everything it needs; done(arg) frees it, whether or not fill ran.
 */
void req_reply_stream(struct req *r, unsigned status, const char *content_type,
		      int (*fill)(void *arg, struct buf *b), void (*done)(void *arg), void *arg);

/*
 * Answers with JSON; steals the reference to body. An answer of 400 or
 * more keeps its message (error.message, error, or message) in r->reason.
 */
void req_reply_json(struct req *r, unsigned status, json_t *body);

/* Answers with JSON the caller writes into the returned buffer (a success
 * answer's: no reason is taken from it); NULL when r was answered already
 * (logged and ignored, as req_reply). */
struct buf *req_reply_json_begin(struct req *r, unsigned status);

/* Answers with the request's dialect error shape. */
void req_fail(struct req *r, unsigned status, const char *code, const char *message);

/*
 * Parses the request body as a JSON object for a handler. On success stores
 * it in r->json (owned by r) and returns 0; a body already set in r->json
 * (a request the console makes of an admin handler) is used as it is. On failure answers in the
 * dialect's shape and returns -1: 415 for a non-JSON Content-Type, 400 for
 * an empty body (unless allow_empty, which yields an empty object), invalid
 * JSON, nesting deeper than REQ_MAX_JSON_DEPTH or a non-object.
 */
int req_json_object_or_reply(struct req *r, int allow_empty, json_t **out);

/* Serializes JSON the way every response does (compact, exact money); the caller frees it. */
char *req_json_dump(const json_t *j, size_t *len);

#endif
