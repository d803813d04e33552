/*
 * Console: deliveries (failed ones first, their last error, a retry
 * button), stock (levels, a SKU's adjust form, its queue of orders
 * waiting for stock and its ledger) and merchants
 * (their settings; the admin API never gives secrets, so neither can
 * this page). Reads and actions are the admin API's handlers.
 */
#include <string.h>

#include "api/console.h"
#include "api/routes.h"
#include "http/html.h"
#include "http/req.h"
#include "base/buf.h"
#include "base/strnum.h"
#include "base/banned.h"

#define REASON_CAP 201
#define COUNT_CAP 16
/* The largest stock change one form may make. */
#define CONSOLE_MAX_STOCK_DELTA 1000000000

static const char *jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static int64_t jint(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static const char *qv(struct req *r, const char *name)
{
	const char *v = req_query(r, name);
	return v ? v : "";
}

/* A page query of the page's own cursor (and more: key/value pairs). */
static json_t *page_query(struct req *r)
{
	json_t *q = json_object();
	if (*qv(r, "cursor"))
		json_object_set_new(q, "cursor", json_string(qv(r, "cursor")));
	return q;
}

static void next_link(struct buf *b, const char *base, const char *extra, const json_t *answer)
{
	const char *next = jstr(answer, "next_cursor");
	if (!next)
		return;
	buf_adds(b, "<div class=\"pager\"><a class=\"button ghost\" href=\"");
	html_escape(b, base);
	buf_adds(b, "?");
	if (extra) {
		html_escape(b, extra);
		buf_adds(b, "&amp;");
	}
	buf_adds(b, "cursor=");
	html_escape(b, next);
	buf_adds(b, "\">Next page →</a></div>");
}

static void alert(struct buf *b, const char *text)
{
	buf_adds(b, "<p class=\"alert\" role=\"alert\">");
	html_escape(b, text);
	buf_adds(b, "</p>");
}

/* Deliveries ---------------------------------------------------------- */

static const char *const delivery_states[] = {"failed", "pending", "done"};

static void deliveries_render(struct req *r, const struct console *cx, unsigned status,
			      const char *error)
{
	const char *state = qv(r, "state");
	int known = 0;
	for (size_t i = 0; i < 3; i++)
		known |= strcmp(state, delivery_states[i]) == 0;
	if (!known)
		state = "failed";
	json_t *q = page_query(r), *answer = NULL;
	json_object_set_new(q, "state", json_string(state));
	unsigned st = console_call(r, HTTP_GET, "/admin/v1/deliveries", q, NULL, &answer);
	struct buf b;
	size_t i;
	json_t *d;
	buf_init(&b);
	console_page_open(&b, cx, "Deliveries", "/admin/deliveries");
	buf_adds(&b, "<h1>Deliveries</h1><p class=\"actions\">");
	for (i = 0; i < 3; i++)
		buf_addf(&b, "<a class=\"button%s\" href=\"/admin/deliveries?state=%s\">%c%s</a>",
			 strcmp(state, delivery_states[i]) ? " ghost" : "", delivery_states[i],
			 delivery_states[i][0] - 32, delivery_states[i] + 1);
	buf_adds(&b, "</p>\n<section class=\"card\">");
	if (error)
		alert(&b, error);
	const json_t *list = json_object_get(answer, "deliveries");
	if (st != 200)
		alert(&b, console_error_text(answer));
	else if (!json_array_size(list))
		buf_addf(&b, "<p class=\"muted\">No %s deliveries.</p>", state);
	else
		buf_adds(&b,
			 "<div class=\"scroll\"><table "
			 "class=\"cards\"><thead><tr><th>#</th><th>Kind</th>"
			 "<th>Merchant</th><th>Order</th><th class=\"n\">Attempts</th>"
			 "<th>First queued</th><th>Last error</th><th></th></tr></thead><tbody>");
	json_array_foreach(list, i, d)
	{
		buf_addf(&b,
			 "<tr id=\"delivery-%lld\"><td data-label=\"#\">%lld</td><td "
			 "data-label=\"Kind\">",
			 (long long)jint(d, "id"), (long long)jint(d, "id"));
		html_escape(&b, jstr(d, "kind"));
		if (jstr(d, "event_type")) {
			buf_adds(&b, "<br><span class=\"muted small\">");
			html_escape(&b, jstr(d, "event_type"));
			buf_adds(&b, "</span>");
		}
		buf_adds(&b, "</td><td data-label=\"Merchant\">");
		html_escape(&b, jstr(d, "merchant_id"));
		buf_adds(&b, "</td><td data-label=\"Order\" class=\"mono\">");
		const char *key = jstr(d, "order_key");
		if (key && console_id_ok(key)) {
			buf_adds(&b, "<a href=\"/admin/orders/");
			html_escape(&b, key);
			buf_adds(&b, "\">");
			html_escape(&b, key);
			buf_adds(&b, "</a>");
		} else {
			html_escape(&b, key);
		}
		buf_addf(&b,
			 "</td><td data-label=\"Attempts\" class=\"n\">%lld</td><td "
			 "data-label=\"First queued\" class=\"small\">",
			 (long long)jint(d, "attempts"));
		console_time(&b, jint(d, "first_at"));
		buf_adds(&b, "</td><td data-label=\"Last error\" class=\"small\">");
		html_escape(&b, jstr(d, "last_error") ? jstr(d, "last_error") : "—");
		buf_adds(&b, "</td><td data-label=\"\">");
		if (jstr(d, "state") && strcmp(jstr(d, "state"), "failed") == 0) {
			char did[24];
			fmt_into(did, sizeof(did), "%lld", (long long)jint(d, "id"));
			console_form_open(&b, "/admin/deliveries/", did, "/retry", cx->csrf);
			buf_adds(&b, "<button type=\"submit\">Retry</button></form>");
		}
		buf_adds(&b, "</td></tr>");
	}
	if (st == 200 && json_array_size(list))
		buf_adds(&b, "</tbody></table></div>");
	char extra[32];
	fmt_into(extra, sizeof(extra), "state=%s", state);
	next_link(&b, "/admin/deliveries", extra, answer);
	buf_adds(&b, "</section>\n<p class=\"muted small\">A delivery is retried with backoff for "
		     "24 hours, then parked as failed; Retry gives it a fresh window.</p>\n");
	console_page_close(&b);
	json_decref(answer);
	console_reply_page(r, status, &b);
}

static void deliveries_page(struct req *r)
{
	struct console cx;
	if (console_session_or_redirect(r, &cx))
		return;
	deliveries_render(r, &cx, 200, NULL);
}

static void delivery_retry(struct req *r)
{
	struct console cx;
	char path[96];
	int64_t id;
	json_t *answer = NULL;
	if (console_form_or_reply(r, &cx))
		return;
	if (strnum_i64z(req_param(r, "id"), 1, INT64_MAX, &id)) {
		console_reply_error(r, &cx, 404, "No such delivery", "There is no such delivery.");
		return;
	}
	fmt_into(path, sizeof(path), "/admin/v1/deliveries/%lld/retry", (long long)id);
	unsigned st = console_call(r, HTTP_POST, path, NULL, NULL, &answer);
	if (st == 200)
		console_redirect(r, "/admin/deliveries?state=failed", "retried");
	else
		deliveries_render(r, &cx, st, console_error_text(answer));
	json_decref(answer);
}

/* Stock --------------------------------------------------------------- */

static void stock_page(struct req *r)
{
	struct console cx;
	json_t *answer = NULL, *s;
	size_t i;
	if (console_session_or_redirect(r, &cx))
		return;
	json_t *q = page_query(r);
	json_object_set_new(q, "limit", json_string("100"));
	unsigned st = console_call(r, HTTP_GET, "/admin/v1/skus", q, NULL, &answer);
	struct buf b;
	buf_init(&b);
	console_page_open(&b, &cx, "Stock", "/admin/stock");
	buf_adds(&b, "<h1>Stock</h1>\n<section class=\"card\">");
	const json_t *list = json_object_get(answer, "skus");
	if (st != 200)
		alert(&b, console_error_text(answer));
	else if (!json_array_size(list))
		buf_adds(&b, "<p class=\"muted\">No SKUs yet.</p>");
	else
		buf_adds(&b, "<div class=\"scroll\"><table "
			     "class=\"cards\"><thead><tr><th>SKU</th><th>Name</th>"
			     "<th class=\"n\">On hand</th><th class=\"n\">Reserved</th>"
			     "<th class=\"n\">Available</th><th class=\"n\">Price</th></tr></thead>"
			     "<tbody>");
	json_array_foreach(list, i, s)
	{
		int64_t avail = jint(s, "available");
		buf_adds(&b, "<tr><td data-label=\"SKU\" class=\"mono\"><a href=\"/admin/stock/");
		html_escape(&b, jstr(s, "sku_id"));
		buf_adds(&b, "\">");
		html_escape(&b, jstr(s, "sku_id"));
		buf_adds(&b, "</a></td><td data-label=\"Name\">");
		html_escape(&b, jstr(s, "name"));
		if (!json_is_true(json_object_get(s, "active")))
			buf_adds(&b, " <span class=\"pill\">inactive</span>");
		buf_addf(&b,
			 "</td><td data-label=\"On hand\" class=\"n\">%lld</td><td "
			 "data-label=\"Reserved\" class=\"n\">%lld</td><td "
			 "data-label=\"Available\" class=\"n\">",
			 (long long)jint(s, "on_hand"), (long long)jint(s, "reserved"));
		if (avail <= 0)
			buf_addf(&b, "<span class=\"pill bad\">%lld</span>", (long long)avail);
		else
			buf_addf(&b, "%lld", (long long)avail);
		buf_adds(&b, "</td><td data-label=\"Price\" class=\"n\">");
		console_money(&b, console_paise(s, "price"));
		buf_adds(&b, "</td></tr>");
	}
	if (st == 200 && json_array_size(list))
		buf_adds(&b, "</tbody></table></div>");
	next_link(&b, "/admin/stock", NULL, answer);
	buf_adds(&b, "</section>\n");
	console_page_close(&b);
	json_decref(answer);
	console_reply_page(r, 200, &b);
}

/* Up to this many orders of a SKU's waiting queue are shown on its page. */
#define CONSOLE_WAITING_SHOWN "20"

/* The SKU's queue of orders waiting for stock, in allocation order. */
static void waiting_section(struct req *r, struct buf *b, const char *id)
{
	char path[128];
	json_t *q = NULL, *w;
	size_t i;
	fmt_into(path, sizeof(path), "/admin/v1/skus/%s/waiting", id);
	json_t *args = json_pack("{s:s}", "limit", CONSOLE_WAITING_SHOWN);
	if (console_call(r, HTTP_GET, path, args, NULL, &q) != 200) {
		json_decref(q);
		return;
	}
	const json_t *rows = json_object_get(q, "waiting");
	buf_adds(b, "<section class=\"card\"><h2>Waiting for stock</h2>");
	if (!json_array_size(rows))
		buf_adds(b, "<p class=\"muted\">No order is waiting for this SKU.</p>");
	else
		buf_adds(b, "<div class=\"scroll\"><table class=\"cards\"><thead><tr><th class=\"n\">"
			    "#</th><th>Order</th><th>Waiting since (UTC)</th><th class=\"n\">Wants"
			    "</th><th>Fits now</th></tr></thead><tbody>");
	json_array_foreach(rows, i, w)
	{
		const char *oid = jstr(w, "order_id");
		buf_addf(b, "<tr><td data-label=\"#\" class=\"n\">%lld</td><td data-label=\"Order\" "
			    "class=\"mono\">", (long long)jint(w, "position"));
		if (oid && console_id_ok(oid)) {
			buf_adds(b, "<a href=\"/admin/orders/");
			html_escape(b, oid);
			buf_adds(b, "\">");
			html_escape(b, oid);
			buf_adds(b, "</a>");
		}
		if (json_is_true(json_object_get(w, "held")))
			buf_adds(b, " <span class=\"muted small\">(moved here by hand)</span>");
		buf_adds(b, "</td><td data-label=\"Waiting since\" class=\"small\">");
		console_time(b, jint(w, "waiting_since"));
		buf_addf(b, "</td><td data-label=\"Wants\" class=\"n\">%lld</td><td "
			    "data-label=\"Fits now\">%s</td></tr>", (long long)jint(w, "wants"),
			 json_is_true(json_object_get(w, "fits_now")) ? "yes" : "no");
	}
	if (json_array_size(rows))
		buf_adds(b, "</tbody></table></div>");
	buf_adds(b, "<p class=\"muted small\">Served first come, first served when stock "
		    "arrives, each order only when all of it fits; an order that does not fit yet "
		    "keeps its place. Move an order by hand from its page.</p></section>\n");
	json_decref(q);
}

static void sku_render(struct req *r, const struct console *cx, unsigned status, const char *error)
{
	char path[128];
	json_t *ledger = NULL, *l;
	size_t i;
	const char *id;
	json_t *sku = console_get_or_reply(r, cx, "sku_id", "/admin/v1/skus", "SKU", NULL, &id);
	if (!sku)
		return;
	fmt_into(path, sizeof(path), "/admin/v1/skus/%s/ledger", id);
	json_t *lq = page_query(r);
	json_object_set_new(lq, "limit", json_string("25"));
	console_call(r, HTTP_GET, path, lq, NULL, &ledger);

	struct buf b;
	buf_init(&b);
	console_page_open(&b, cx, id, "/admin/stock");
	buf_adds(&b, "<p class=\"small\"><a href=\"/admin/stock\">← Stock</a></p><h1>");
	html_escape(&b, jstr(sku, "name"));
	buf_adds(&b, " <span class=\"muted mono\">");
	html_escape(&b, id);
	buf_adds(&b, "</span></h1>\n");
	if (error)
		alert(&b, error);
	buf_addf(&b,
		 "<div class=\"kpis\"><div class=\"kpi\"><b>%lld</b><span>on hand</span></div>"
		 "<div class=\"kpi\"><b>%lld</b><span>reserved</span></div><div class=\"kpi\">"
		 "<b>%lld</b><span>available</span></div><div class=\"kpi\"><b>",
		 (long long)jint(sku, "on_hand"), (long long)jint(sku, "reserved"),
		 (long long)jint(sku, "available"));
	console_money(&b, console_paise(sku, "price"));
	buf_adds(&b, "</b><span>price (MRP ");
	console_money(&b, console_paise(sku, "mrp"));
	buf_adds(&b, ")</span></div></div>\n<section class=\"card\"><h2>Adjust stock</h2>"
		     "<div class=\"actions\">");
	console_form_open(&b, "/admin/stock/", id, NULL, cx->csrf);
	buf_adds(&b, "<label>Change<select name=\"mode\"><option value=\"delta\">Add or remove "
		     "(±)</option><option value=\"set\">Set on hand to</option></select></label>"
		     "<label>Units<input type=\"number\" name=\"count\" required step=\"1\">"
		     "</label><label>Reason<input type=\"text\" name=\"reason\" required "
		     "maxlength=\"200\" placeholder=\"e.g. damaged in transit\"></label>"
		     "<button type=\"submit\">Apply</button></form></div><p class=\"muted small\">"
		     "On hand never goes below the units reserved by open orders.</p></section>\n");
	waiting_section(r, &b, id);

	const json_t *rows = json_object_get(ledger, "ledger");
	buf_adds(&b, "<section class=\"card\"><h2>Ledger</h2>");
	if (!json_array_size(rows))
		buf_adds(&b, "<p class=\"muted\">No movements yet.</p>");
	else
		buf_adds(
		    &b,
		    "<div class=\"scroll\"><table class=\"cards\"><thead><tr><th>When (UTC)</th>"
		    "<th class=\"n\">On hand Δ</th><th class=\"n\">Reserved Δ</th>"
		    "<th>Reason</th><th>Order</th><th>By</th></tr></thead><tbody>");
	json_array_foreach(rows, i, l)
	{
		buf_adds(&b, "<tr><td data-label=\"When\" class=\"small\">");
		console_time(&b, jint(l, "at"));
		buf_addf(
		    &b,
		    "</td><td data-label=\"On hand Δ\" class=\"n\">%+lld</td><td "
		    "data-label=\"Reserved Δ\" class=\"n\">%+lld</td><td data-label=\"Reason\">",
		    (long long)jint(l, "delta"), (long long)jint(l, "reserved_delta"));
		html_escape(&b, jstr(l, "reason"));
		buf_adds(&b, "</td><td data-label=\"Order\" class=\"mono\">");
		const char *oid = jstr(l, "order_id");
		if (oid && console_id_ok(oid)) {
			buf_adds(&b, "<a href=\"/admin/orders/");
			html_escape(&b, oid);
			buf_adds(&b, "\">");
			html_escape(&b, oid);
			buf_adds(&b, "</a>");
		}
		buf_adds(&b, "</td><td data-label=\"By\">");
		html_escape(&b, jstr(l, "actor"));
		buf_adds(&b, "</td></tr>");
	}
	if (json_array_size(rows))
		buf_adds(&b, "</tbody></table></div>");
	fmt_into(path, sizeof(path), "/admin/stock/%s", id);
	next_link(&b, path, NULL, ledger);
	buf_adds(&b, "</section>\n");
	console_page_close(&b);
	json_decref(sku);
	json_decref(ledger);
	console_reply_page(r, status, &b);
}

static void sku_page(struct req *r)
{
	struct console cx;
	if (console_session_or_redirect(r, &cx))
		return;
	sku_render(r, &cx, 200, NULL);
}

static void sku_adjust(struct req *r)
{
	struct console cx;
	char mode[8], count[COUNT_CAP], reason[REASON_CAP], path[128], loc[128];
	int64_t n;
	json_t *answer = NULL;
	if (console_form_or_reply(r, &cx))
		return;
	const char *id = req_param(r, "sku_id");
	if (!console_id_ok(id)) {
		console_reply_error(r, &cx, 404, "No such SKU", "There is no SKU with that id.");
		return;
	}
	if (console_field(r, "mode", mode, sizeof(mode)) ||
	    (strcmp(mode, "delta") && strcmp(mode, "set")) ||
	    console_field(r, "count", count, sizeof(count)) ||
	    strnum_i64z(count, -CONSOLE_MAX_STOCK_DELTA, CONSOLE_MAX_STOCK_DELTA, &n)) {
		sku_render(r, &cx, 400, "Units must be a whole number.");
		return;
	}
	if (console_field(r, "reason", reason, sizeof(reason)) || !*reason) {
		sku_render(r, &cx, 400, "Say why the stock changes (reason).");
		return;
	}
	fmt_into(path, sizeof(path), "/admin/v1/skus/%s/stock", id);
	unsigned st =
	    console_call(r, HTTP_POST, path, NULL,
			 json_pack("{s:I,s:s}", mode, (json_int_t)n, "reason", reason), &answer);
	if (st == 200) {
		fmt_into(loc, sizeof(loc), "/admin/stock/%s", id);
		console_redirect(r, loc, "adjusted");
	} else {
		char msg[300];
		fmt_into(msg, sizeof(msg), "%s", console_error_text(answer));
		sku_render(r, &cx, st, msg);
	}
	json_decref(answer);
}

/* Merchants ----------------------------------------------------------- */

static void yes_no(struct buf *b, const json_t *v)
{
	buf_adds(b, json_is_true(v) ? "<span class=\"pill ok\">set</span>"
				    : "<span class=\"pill\">not set</span>");
}

static void kv_text(struct buf *b, const char *label, const char *value)
{
	buf_adds(b, "<dt>");
	html_escape(b, label);
	buf_adds(b, "</dt><dd>");
	html_escape(b, value && *value ? value : "—");
	buf_adds(b, "</dd>");
}

static void merchant_card(struct buf *b, const json_t *m)
{
	size_t i;
	json_t *c;
	const json_t *pay = json_object_get(m, "payment_api"),
		     *hook = json_object_get(m, "webhook");
	buf_adds(b, "<section class=\"card\"><h2>");
	html_escape(b, jstr(m, "display_name") ? jstr(m, "display_name") : jstr(m, "name"));
	buf_adds(b, " <span class=\"muted mono small\">");
	html_escape(b, jstr(m, "id"));
	buf_adds(b, "</span></h2><dl class=\"kv\">");
	kv_text(b, "Name", jstr(m, "name"));
	kv_text(b, "Payment API", jstr(pay, "base_url"));
	kv_text(b, "Payment auth header", jstr(pay, "auth_header"));
	buf_adds(b, "<dt>Payment auth value</dt><dd>");
	yes_no(b, json_object_get(pay, "has_auth_value"));
	buf_adds(b, "</dd>");
	kv_text(b, "Aggregator", jstr(pay, "aggregator"));
	kv_text(b, "Webhook URL", jstr(hook, "url"));
	kv_text(b, "Logistics webhooks",
		json_is_true(json_object_get(hook, "batch")) ? "arrays of up to 100 events"
							     : "one event per request");
	buf_adds(b, "<dt>Webhook signing secret</dt><dd>");
	yes_no(b, json_object_get(hook, "has_signing_secret"));
	buf_adds(b, "</dd><dt>Logistics secret</dt><dd>");
	yes_no(b, json_object_get(m, "has_logistics_secret"));
	buf_adds(b, "</dd><dt>JWT public key</dt><dd>");
	buf_adds(b, jstr(m, "jwt_public_key") ? "<span class=\"pill ok\">registered</span>"
					      : "<span class=\"pill\">none</span>");
	buf_addf(b, "</dd><dt>Payment window</dt><dd>%lld min</dd>",
		 (long long)(jint(m, "payment_window_s") / 60));
	buf_adds(b, "<dt>Charges</dt><dd>");
	if (!json_array_size(json_object_get(m, "charges")))
		buf_adds(b, "—");
	json_array_foreach(json_object_get(m, "charges"), i, c)
	{
		if (i)
			buf_adds(b, "<br>");
		html_escape(b, jstr(c, "display_text") ? jstr(c, "display_text") : jstr(c, "type"));
		buf_adds(b, " ");
		console_money(b, console_paise(c, "amount"));
		if (json_is_number(json_object_get(c, "below"))) {
			buf_adds(b, " below ");
			console_money(b, console_paise(c, "below"));
		}
	}
	buf_adds(b, "</dd></dl></section>\n");
}

static void merchants_page(struct req *r)
{
	struct console cx;
	json_t *answer = NULL, *m;
	size_t i;
	if (console_session_or_redirect(r, &cx))
		return;
	unsigned st =
	    console_call(r, HTTP_GET, "/admin/v1/merchants", page_query(r), NULL, &answer);
	struct buf b;
	buf_init(&b);
	console_page_open(&b, &cx, "Merchants", "/admin/merchants");
	buf_adds(&b, "<h1>Merchants</h1>\n");
	const json_t *list = json_object_get(answer, "merchants");
	if (st != 200)
		alert(&b, console_error_text(answer));
	else if (!json_array_size(list))
		buf_adds(&b, "<p class=\"muted\">No merchants yet.</p>");
	buf_adds(&b, "<div class=\"grid two\">");
	json_array_foreach(list, i, m) merchant_card(&b, m);
	buf_adds(&b, "</div>");
	next_link(&b, "/admin/merchants", NULL, answer);
	buf_adds(&b, "<p class=\"muted small\">Secrets are write-only: the console shows whether "
		     "one is set, never its value.</p>\n");
	console_page_close(&b);
	json_decref(answer);
	console_reply_page(r, 200, &b);
}

void console_ops_routes(struct router *rt)
{
	router_add(rt, HTTP_GET, "/admin/deliveries", deliveries_page, "console.deliveries");
	router_add_flags(rt, HTTP_POST, "/admin/deliveries/{id}/retry", delivery_retry,
			 "console.deliveries.retry", ROUTE_OFFLOAD);
	router_add(rt, HTTP_GET, "/admin/stock", stock_page, "console.stock");
	router_add(rt, HTTP_GET, "/admin/stock/{sku_id}", sku_page, "console.stock.sku");
	router_add_flags(rt, HTTP_POST, "/admin/stock/{sku_id}", sku_adjust, "console.stock.adjust",
			 ROUTE_OFFLOAD);
	router_add(rt, HTTP_GET, "/admin/merchants", merchants_page, "console.merchants");
}
