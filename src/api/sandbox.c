/*
 * The merchant sandbox (see sandbox.h): a payment API that approves every
 * order at its payable amount, and a webhook inbox. It plays the merchant,
 * so it reads the merchant's settings (the signing secret) and the order
 * (its payable amount) straight from storage, as a merchant would from its
 * own books; it changes nothing in the order book.
 */
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/routes.h"
#include "api/sandbox.h"
#include "core/merchant.h"
#include "core/order.h"
#include "http/html.h"
#include "http/jsonx.h"
#include "http/req.h"
#include "outbound/sign.h"
#include "store/repo_merchants.h"
#include "store/repo_orders.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/strnum.h"
#include "base/xalloc.h"
#include "base/banned.h"

#define HTML_TYPE "text/html; charset=utf-8"
/* The longest signature header value read. */
#define SANDBOX_MAX_SIGNATURE 256
/* Room for why a signature is not valid. */
#define SANDBOX_WHY_CAP 96

struct sandbox_event {
	int64_t received_ms;
	char merchant_id[MERCHANT_MAX_ID + 1];
	char request_id[REQ_MAX_ID_LEN + 1];
	int signature_valid;
	char why[SANDBOX_WHY_CAP]; /* "" when valid */
	char *body;		   /* the JSON text as received; NULL when too large */
	size_t body_len;
};

/* The inbox: a ring, newest at (head + count - 1) % SANDBOX_MAX_EVENTS. */
static struct {
	pthread_mutex_t lock;
	struct sandbox_event events[SANDBOX_MAX_EVENTS];
	size_t head, count;
} inbox = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void inbox_add(struct sandbox_event *ev)
{
	pthread_mutex_lock(&inbox.lock);
	if (inbox.count == SANDBOX_MAX_EVENTS) {
		free(inbox.events[inbox.head].body);
		inbox.head = (inbox.head + 1) % SANDBOX_MAX_EVENTS;
		inbox.count--;
	}
	inbox.events[(inbox.head + inbox.count) % SANDBOX_MAX_EVENTS] = *ev;
	inbox.count++;
	pthread_mutex_unlock(&inbox.lock);
}

/* The inbox as a JSON array, newest first (a copy taken under the lock). */
static json_t *inbox_json(void)
{
	json_t *arr = json_array();
	pthread_mutex_lock(&inbox.lock);
	for (size_t k = inbox.count; k-- > 0;) {
		const struct sandbox_event *ev =
		    &inbox.events[(inbox.head + k) % SANDBOX_MAX_EVENTS];
		json_t *payload = ev->body ? json_loadb(ev->body, ev->body_len, 0, NULL) : NULL;
		json_t *id = json_is_object(payload) ? json_object_get(payload, "event_id") : NULL;
		json_t *type =
		    json_is_object(payload) ? json_object_get(payload, "event_type") : NULL;
		json_array_append_new(arr, json_pack("{s:I,s:s,s:s,s:b,s:s?,s:O?,s:O?,s:o?}",
						     "received_ms", (json_int_t)ev->received_ms,
						     "merchant_id", ev->merchant_id, "request_id",
						     ev->request_id, "signature_valid",
						     ev->signature_valid, "signature_error",
						     ev->why[0] ? ev->why : NULL, "event_id", id,
						     "event_type", type, "payload", payload));
	}
	pthread_mutex_unlock(&inbox.lock);
	return arr;
}

/* Parses "t=<digits>,v1=<hex>"; -1 when the header has another shape. */
static int parse_signature(const char *h, int64_t *t, char v1[SIGN_HEX_CAP])
{
	const char *comma = strchr(h, ',');
	char ts[24];
	if (strncmp(h, "t=", 2) != 0 || !comma || (size_t)(comma - h - 2) >= sizeof(ts))
		return -1;
	memcpy(ts, h + 2, (size_t)(comma - h - 2));
	ts[comma - h - 2] = '\0';
	if (strnum_i64z(ts, 0, INT64_MAX / 2, t) || strncmp(comma + 1, "v1=", 3) != 0 ||
	    strlen(comma + 4) != SIGN_HEX_LEN)
		return -1;
	memcpy(v1, comma + 4, SIGN_HEX_CAP);
	return 0;
}

/*
 * What a merchant's receiver does with X-Apotheca-Signature (outbound/sign.h):
 * recompute the MAC over "t.body" with the signing secret, compare in
 * constant time, refuse stale timestamps. 1 when valid, else 0 with why.
 */
static int signature_valid(const char *secret, const char *header, const char *body, size_t len,
			   char *why, size_t cap)
{
	char v1[SIGN_HEX_CAP], expect[SIGN_VALUE_CAP];
	int64_t t, now = now_epoch();

	if (!secret || !*secret)
		return fmt_into(why, cap, "the merchant has no webhook signing secret"), 0;
	if (!header)
		return fmt_into(why, cap, "no %s header", SIGN_HEADER), 0;
	if (strlen(header) > SANDBOX_MAX_SIGNATURE || parse_signature(header, &t, v1))
		return fmt_into(why, cap, "%s is not t=<unix>,v1=<64 hex>", SIGN_HEADER), 0;
	if (t < now - SANDBOX_SIGNATURE_TOLERANCE_S || t > now + SANDBOX_SIGNATURE_TOLERANCE_S)
		return fmt_into(why, cap, "timestamp is more than %d s away from now",
				SANDBOX_SIGNATURE_TOLERANCE_S),
		       0;
	if (sign_header_value(secret, t, body, len, expect, sizeof(expect)))
		return fmt_into(why, cap, "cannot compute the MAC"), 0;
	const char *mac = strstr(expect, "v1=") + 3;
	if (!str_ct_equal(mac, strlen(mac), v1, strlen(v1)))
		return fmt_into(why, cap, "MAC does not match the body and signing secret"), 0;
	return 1;
}

/* Loads the path's merchant into m, or answers 404 and returns -1. */
static int merchant_or_404(struct req *r, struct merchant *m)
{
	enum apo_result rc = merchant_load(r->db, req_param(r, "merchant_id"), m);
	if (rc == APO_OK)
		return 0;
	if (rc == APO_ERR_NOT_FOUND)
		req_fail(r, 404, "not_found", "No such merchant");
	else
		req_fail(r, 503, "unavailable", "Database unavailable");
	return -1;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* GET .../transactions/{merchant_order_id} (SPEC §4.1). */
static void transaction_status(struct req *r)
{
	const char *ref = req_param(r, "merchant_order_id");
	struct order o;
	char txn[ORDER_MAX_REF + 8];

	if (ends_with(ref, "-pending") || ends_with(ref, "-failed")) {
		req_reply_json(r, 200,
			       json_pack("{s:s,s:s}", "merchant_order_id", ref, "status",
					 ends_with(ref, "-pending") ? "PENDING" : "FAILED"));
		return;
	}
	order_init(&o);
	enum apo_result rc = order_load(r->db, ORDER_BY_REF, req_param(r, "merchant_id"), ref, &o);
	if (rc == APO_ERR_NOT_FOUND) {
		req_fail(r, 404, "not_found", "No such order");
	} else if (rc != APO_OK) {
		req_fail(r, 503, "unavailable", "Database unavailable");
	} else {
		fmt_into(txn, sizeof(txn), "SBX-%s", o.order_id);
		req_reply_json(r, 200,
			       json_pack("{s:s,s:s,s:s,s:o,s:s}", "order_id", o.order_id,
					 "merchant_order_id", ref, "transaction_id", txn, "amount",
					 jx_money_value(o.payable), "status", "SUCCESS"));
	}
	order_release(&o);
}

/* POST .../refunds (SPEC §4.2): every refund succeeds. */
static void refund(struct req *r)
{
	json_t *body;
	const char *refund_id;
	if (req_json_object_or_reply(r, 0, &body))
		return;
	if (jx_str(body, "refund_id", 128, &refund_id) != 0) {
		req_fail(r, 400, "bad_request", "refund_id is required");
		return;
	}
	struct buf b;
	buf_init(&b);
	buf_adds(&b, "\"merchant_id\":");
	json_quote(&b, req_param(r, "merchant_id"));
	buf_adds(&b, ",\"refund_id\":");
	json_quote(&b, refund_id);
	log_line(LOG_INFO, r->request_id, "sandbox refund approved", "%s", b.data);
	buf_release(&b);
	req_reply_json(r, 200, json_pack("{s:s,s:s}", "refund_id", refund_id, "status", "SUCCESS"));
}

/* POST .../webhooks: keeps the event, valid signature or not, and says which. */
static void webhook(struct req *r)
{
	struct merchant m;
	struct sandbox_event ev = {0};
	const char *text = r->body.data ? r->body.data : "";

	merchant_init(&m);
	if (merchant_or_404(r, &m))
		goto out;
	if (json_text_depth(text, r->body.len) > REQ_MAX_JSON_DEPTH) {
		req_fail(r, 400, "bad_request", "Body nests too deeply");
		goto out;
	}
	json_t *j = json_loadb(text, r->body.len, 0, NULL);
	if (!json_is_object(j) && !json_is_array(j)) {
		json_decref(j);
		req_fail(r, 400, "bad_request", "Body is not a JSON object or array");
		goto out;
	}
	json_decref(j);
	ev.received_ms = now_ms();
	fmt_into(ev.merchant_id, sizeof(ev.merchant_id), "%s", m.id);
	fmt_into(ev.request_id, sizeof(ev.request_id), "%s", r->request_id);
	ev.signature_valid = signature_valid(m.webhook_signing_secret, req_header(r, SIGN_HEADER),
					     text, r->body.len, ev.why, sizeof(ev.why));
	if (r->body.len <= SANDBOX_MAX_EVENT_BYTES) {
		ev.body = xstrndup(text, r->body.len);
		ev.body_len = r->body.len;
	}
	if (!ev.signature_valid)
		log_line(LOG_WARN, r->request_id, "sandbox webhook signature not valid",
			 "\"merchant_id\":\"%s\",\"why\":\"%s\"", m.id, ev.why);
	int valid = ev.signature_valid;
	inbox_add(&ev);
	req_reply_json(r, 200,
		       json_pack("{s:s,s:b}", "status", "received", "signature_valid", valid));
out:
	merchant_release(&m);
}

static void webhooks_json(struct req *r)
{
	req_add_header(r, "Cache-Control", "no-store");
	req_reply_json(r, 200, json_pack("{s:o}", "events", inbox_json()));
}

static void html_time(struct buf *b, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char s[32];
	gmtime_r(&t, &tm);
	strftime(s, sizeof(s), "%Y-%m-%d %H:%M:%S", &tm);
	html_escapef(b, "%s.%03d UTC", s, (int)(ms % 1000));
}

static void html_event(struct buf *b, json_t *ev)
{
	json_t *payload = json_object_get(ev, "payload");
	char *pretty =
	    payload ? json_dumps(payload, JSON_INDENT(2) | JSON_REAL_PRECISION(15)) : NULL;
	const char *why = json_string_value(json_object_get(ev, "signature_error"));
	json_t *id = json_object_get(ev, "event_id");
	char *id_text = id ? json_dumps(id, JSON_ENCODE_ANY) : NULL;

	buf_adds(b, "<section><h2>");
	html_time(b, json_integer_value(json_object_get(ev, "received_ms")));
	buf_adds(b, " &middot; merchant ");
	html_escape(b, json_string_value(json_object_get(ev, "merchant_id")));
	if (id_text) {
		buf_adds(b, " &middot; event ");
		html_escape(b, id_text);
	}
	buf_adds(b, "</h2><p>");
	if (json_is_true(json_object_get(ev, "signature_valid")))
		buf_adds(b, "<span class=ok>signature valid</span>");
	else {
		buf_adds(b, "<span class=bad>signature NOT valid: ");
		html_escape(b, why);
		buf_adds(b, "</span>");
	}
	buf_adds(b, " &middot; X-Request-ID ");
	html_escape(b, json_string_value(json_object_get(ev, "request_id")));
	buf_adds(b, "</p><pre>");
	html_escape(b, pretty ? pretty : "(body too large to keep)");
	buf_adds(b, "</pre></section>\n");
	free(pretty);
	free(id_text);
}

static void webhooks_html(struct req *r)
{
	struct buf b;
	json_t *events = inbox_json();
	size_t i;
	json_t *ev;

	buf_init(&b);
	buf_adds(&b, "<!doctype html><html lang=en><head><meta charset=utf-8>"
		     "<meta name=viewport content='width=device-width,initial-scale=1'>"
		     "<meta http-equiv=refresh content=5>"
		     "<title>Sandbox webhooks</title><style>"
		     "body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;max-width:60rem;"
		     "padding:1rem;color:#1c2430}"
		     "section{border:1px solid #d5dbe3;border-radius:8px;padding:.5rem 1rem;"
		     "margin:0 0 1rem}h2{font-size:1rem;margin:.25rem 0}"
		     "pre{background:#f3f5f7;padding:.5rem;overflow:auto;font-size:13px}"
		     ".ok{color:#137333;font-weight:600}.bad{color:#b3261e;font-weight:600}"
		     "</style></head><body><h1>Sandbox webhook inbox</h1>");
	html_escapef(&b,
		     "<p>The latest %zu events the sandbox merchant received, newest first "
		     "(at most %d; refreshes every 5 s; JSON at ",
		     json_array_size(events), SANDBOX_MAX_EVENTS);
	buf_adds(&b, "<a href='/sandbox/webhooks.json'>/sandbox/webhooks.json</a>).</p>\n");
	if (!json_array_size(events))
		buf_adds(&b, "<p>No events yet.</p>");
	json_array_foreach(events, i, ev) html_event(&b, ev);
	buf_adds(&b, "</body></html>\n");
	req_add_header(r, "Cache-Control", "no-store");
	req_reply(r, 200, HTML_TYPE, b.data, b.len);
	buf_release(&b);
	json_decref(events);
}

void sandbox_routes(struct router *rt)
{
	router_add(rt, HTTP_GET,
		   "/sandbox/merchants/{merchant_id}/transactions/{merchant_order_id}",
		   transaction_status, "sandbox_transaction_status");
	router_add_flags(rt, HTTP_POST, "/sandbox/merchants/{merchant_id}/refunds", refund,
			 "sandbox_refund", ROUTE_NO_DB);
	router_add(rt, HTTP_POST, "/sandbox/merchants/{merchant_id}/webhooks", webhook,
		   "sandbox_webhook");
	router_add_flags(rt, HTTP_GET, "/sandbox/webhooks.json", webhooks_json,
			 "sandbox_webhooks_json", ROUTE_NO_DB);
	router_add_flags(rt, HTTP_GET, "/sandbox/webhooks", webhooks_html, "sandbox_webhooks",
			 ROUTE_NO_DB);
}
