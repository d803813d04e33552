/*
 * The request context (see req.h). The libmicrohttpd-facing parts live in
 * server.c; this file only reads headers through the connection handle.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "http/req.h"
#include "http/jsonx.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "base/banned.h"

unsigned dialect_status(const struct dialect *d, enum apo_result rc)
{
	if (!d->status || (unsigned)rc >= APO_RESULT_COUNT || !d->status[rc])
		return 500;
	return d->status[rc];
}

void req_init(struct req *r)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->body);
	buf_init(&r->out);
	r->start_ns = now_ns();
}

void req_free(struct req *r)
{
	if (!r)
		return;
	router_match_release(&r->match);
	buf_release(&r->body);
	buf_release(&r->out);
	for (size_t i = 0; i < r->nheaders; i++) {
		free(r->headers[i].name);
		free(r->headers[i].value);
	}
	for (size_t i = 0; i < r->ndefer_free; i++)
		free(r->defer_free[i]);
	for (size_t i = 0; i < r->ndefer_json; i++)
		json_decref(r->defer_json[i]);
	json_decref(r->json);
	json_decref(r->query_override);
	if (r->stream_done)
		r->stream_done(r->stream_arg);
	if (r->idem_free)
		r->idem_free(r->idem);
	if (r->principal_free)
		r->principal_free((void *)r->principal);
	free(r->path);
	free(r);
}

const char *req_header(struct req *r, const char *name)
{
	if (!r->conn)
		return NULL;
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

int req_client_addr(struct req *r, char *out, size_t cap)
{
	const union MHD_ConnectionInfo *ci =
	    r->conn ? MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS) : NULL;
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;
	const void *bytes = NULL;
	if (sa && sa->sa_family == AF_INET)
		bytes = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	else if (sa && sa->sa_family == AF_INET6)
		bytes = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	if (!bytes || !inet_ntop(sa->sa_family, bytes, out, (socklen_t)cap)) {
		fmt_into(out, cap, "unknown");
		return -1;
	}
	return 0;
}

const char *req_query(struct req *r, const char *name)
{
	if (r->query_override)
		return json_string_value(json_object_get(r->query_override, name));
	if (!r->conn)
		return NULL;
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *req_cookie(struct req *r, const char *name)
{
	if (!r->conn)
		return NULL;
	return MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, name);
}

struct unknown_scan {
	const char *const *known;
	const char *found;
};

static enum MHD_Result scan_arg(void *cls, enum MHD_ValueKind kind, const char *key,
				const char *value)
{
	struct unknown_scan *u = cls;
	(void)kind;
	(void)value;
	for (size_t i = 0; u->known[i]; i++)
		if (strcmp(u->known[i], key) == 0)
			return MHD_YES;
	u->found = key;
	return MHD_NO;
}

const char *req_query_unknown(struct req *r, const char *const *known)
{
	struct unknown_scan u = {known, NULL};
	if (r->query_override) {
		const char *key;
		json_t *v;
		json_object_foreach(r->query_override, key, v)
		{
			if (scan_arg(&u, MHD_GET_ARGUMENT_KIND, key, NULL) == MHD_NO)
				break;
		}
		return u.found;
	}
	if (r->conn)
		MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, scan_arg, &u);
	return u.found;
}

const char *req_param(struct req *r, const char *name)
{
	return route_match_param(&r->match, name);
}

void req_defer_free(struct req *r, void *p)
{
	if (r->ndefer_free == REQ_MAX_DEFER) {
		log_line(LOG_ERROR, r->request_id, "defer list full", NULL);
		abort();
	}
	r->defer_free[r->ndefer_free++] = p;
}

json_t *req_defer_decref(struct req *r, json_t *j)
{
	if (r->ndefer_json == REQ_MAX_DEFER) {
		log_line(LOG_ERROR, r->request_id, "defer list full", NULL);
		abort();
	}
	r->defer_json[r->ndefer_json++] = j;
	return j;
}

void req_add_header(struct req *r, const char *name, const char *value)
{
	if (r->nheaders == REQ_MAX_HEADERS_OUT) {
		log_line(LOG_ERROR, r->request_id, "too many response headers", NULL);
		return;
	}
	r->headers[r->nheaders].name = xstrdup(name);
	r->headers[r->nheaders].value = xstrdup(value);
	r->nheaders++;
}

void req_page_headers(struct req *r, const char *referrer_policy, const char *csp)
{
	req_add_header(r, "Cache-Control", "no-store");
	req_add_header(r, "X-Content-Type-Options", "nosniff");
	req_add_header(r, "Referrer-Policy", referrer_policy);
	req_add_header(r, "Content-Security-Policy", csp);
}

void req_reply(struct req *r, unsigned status, const char *content_type, const char *body,
	       size_t len)
{
	if (r->replied) {
		log_line(LOG_ERROR, r->request_id, "second reply ignored", "\"status\":%u", status);
		return;
	}
	r->replied = 1;
	r->status = status;
	r->content_type = content_type;
	buf_reset(&r->out);
	buf_add(&r->out, body, len);
}

void req_reply_stream(struct req *r, unsigned status, const char *content_type,
		      int (*fill)(void *arg, struct buf *b), void (*done)(void *arg), void *arg)
{
	if (r->replied) {
		log_line(LOG_ERROR, r->request_id, "second reply ignored", "\"status\":%u", status);
		done(arg);
		return;
	}
	r->replied = 1;
	r->status = status;
	r->content_type = content_type;
	buf_reset(&r->out);
	r->stream_fill = fill;
	r->stream_done = done;
	r->stream_arg = arg;
}

/* Every answer's JSON: compact, exact money. Only a tree no answer builds fails. */
static void json_into(struct buf *b, const json_t *j)
{
	if (jx_dump(b, j, 15)) {
		log_error("json_dumps failed", NULL);
		abort();
	}
}

char *req_json_dump(const json_t *j, size_t *len)
{
	struct buf b;
	buf_init(&b);
	json_into(&b, j);
	return buf_detach(&b, len);
}

/* The message of an error answer in any dialect's shape, or NULL. */
static const char *error_message(const json_t *body)
{
	const json_t *e = json_object_get(body, "error");
	if (json_is_string(e))
		return json_string_value(e);
	if (json_is_object(e) && json_is_string(json_object_get(e, "message")))
		return json_string_value(json_object_get(e, "message"));
	if (json_is_string(json_object_get(body, "message")))
		return json_string_value(json_object_get(body, "message"));
	return json_string_value(json_object_get(body, "code"));
}

void req_reply_json(struct req *r, unsigned status, json_t *body)
{
	if (status >= 400) {
		const char *why = error_message(body);
		fmt_into(r->reason, sizeof(r->reason), "%s", why ? why : "");
	}
	/* Written straight into the answer; a second reply is ignored (req_reply). */
	struct buf *out = req_reply_json_begin(r, status);
	if (out)
		json_into(out, body);
	json_decref(body);
}

struct buf *req_reply_json_begin(struct req *r, unsigned status)
{
	int first = !r->replied;
	req_reply(r, status, "application/json", "", 0);
	return first ? &r->out : NULL;
}

void req_fail(struct req *r, unsigned status, const char *code, const char *message)
{
	r->dialect->error(r, status, code, message);
}

/* True when the media type is JSON ("application/json", "x/y+json"). */
static int is_json_type(const char *ct)
{
	size_t len = strcspn(ct, ";");
	while (len && (ct[len - 1] == ' ' || ct[len - 1] == '\t'))
		len--;
	if (len == 16 && strncasecmp(ct, "application/json", 16) == 0)
		return 1;
	if (len == 9 && strncasecmp(ct, "text/json", 9) == 0)
		return 1;
	return len > 5 && strncasecmp(ct + len - 5, "+json", 5) == 0;
}

int req_json_object_or_reply(struct req *r, int allow_empty, json_t **out)
{
	const char *ct = req_header(r, "Content-Type");
	json_error_t err;

	if (json_is_object(r->json)) {
		*out = r->json;
		return 0;
	}
	if (r->body.len == 0) {
		if (allow_empty) {
			r->json = json_object();
			*out = r->json;
			return 0;
		}
		req_fail(r, 400, "invalid_request", "Request body is required");
		return -1;
	}
	if (ct && *ct && !is_json_type(ct)) {
		req_fail(r, 415, "unsupported_media_type", "Content-Type must be application/json");
		return -1;
	}
	if (json_text_depth(r->body.data, r->body.len) > REQ_MAX_JSON_DEPTH) {
		req_fail(r, 400, "invalid_request", "JSON nesting is too deep");
		return -1;
	}
	r->json = json_loadb(r->body.data, r->body.len, JSON_REJECT_DUPLICATES, &err);
	if (!r->json) {
		req_fail(r, 400, "invalid_json", "Invalid request");
		return -1;
	}
	if (!json_is_object(r->json)) {
		req_fail(r, 400, "invalid_request", "Request body must be a JSON object");
		return -1;
	}
	/* The ids a body names are what the request's log lines are about. */
	log_ctx_put(LOG_CTX_ORDER_ID, json_string_value(json_object_get(r->json, "order_id")));
	log_ctx_put(LOG_CTX_MERCHANT_ORDER_ID,
		    json_string_value(json_object_get(r->json, "merchant_order_id")));
	*out = r->json;
	return 0;
}
