/*
 * Console: orders — the search page (the admin API's filters, a CSV link)
 * and an order's page (lines, money, timeline, prescriptions, webhook
 * deliveries) with its actions: move to an allowed next status, review
 * prescriptions, cancel. Every read and action is the admin API's handler
 * (console_call); the only rule used here is core/order_state's list of
 * allowed moves, to offer nothing the API would refuse.
 */
#include <string.h>
#include <time.h>

#include "api/console.h"
#include "api/routes.h"
#include "core/order_state.h"
#include "http/html.h"
#include "http/req.h"
#include "base/buf.h"
#include "base/strnum.h"
#include "base/banned.h"

/* Every status of SPEC §5, in lifecycle order, for selects. */
static const int statuses[] = {180, 15, 100, 110, 120, 20,  130, 25,
			       30,  40, 45,  95,  99,  140, 141, 142};
#define NSTATUSES (sizeof(statuses) / sizeof(statuses[0]))

#define FIELD_CAP 160
#define NOTE_CAP 512

static const char *pill_class(int status)
{
	if (status == ST_DELIVERED || status == ST_RETURN_REFUNDED)
		return "pill ok";
	if (status == ST_CANCELLED || status == ST_CANCEL_INITIATED ||
	    status == ST_ALLOCATION_FAILED)
		return "pill bad";
	if (status == ST_AWAITING_CONFIRMATION || status == ST_RX_REQUIRED ||
	    status == ST_RX_REVIEW)
		return "pill warn";
	return "pill";
}

/* Closes the open cell and opens a money cell showing o's amount key. */
static void money_cell(struct buf *b, const char *label, const json_t *o, const char *key)
{
	buf_addf(b, "</td><td data-label=\"%s\" class=\"n\">", label);
	console_money(b, console_paise(o, key));
}

static void status_pill(struct buf *b, int status)
{
	buf_addf(b, "<span class=\"%s\">", pill_class(status));
	html_escape(b, order_status_title(status));
	buf_addf(b, " · %d</span>", status);
}

static const char *jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static int64_t jint(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

/* "YYYY-MM-DD" to the epoch second of that day's start (UTC); -1 if not a date. */
static int64_t date_start(const char *s)
{
	struct tm tm;
	int64_t y, m, d;
	if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-' ||
	    strnum_i64(s, 4, 1970, 9999, &y) || strnum_i64(s + 5, 2, 1, 12, &m) ||
	    strnum_i64(s + 8, 2, 1, 31, &d))
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (int)y - 1900;
	tm.tm_mon = (int)m - 1;
	tm.tm_mday = (int)d;
	return (int64_t)timegm(&tm);
}

static void option(struct buf *b, const char *value, const char *label, const char *selected)
{
	buf_adds(b, "<option value=\"");
	html_escape(b, value);
	buf_addch(b, '"');
	if (selected && strcmp(selected, value) == 0)
		buf_adds(b, " selected");
	buf_addch(b, '>');
	html_escape(b, label);
	buf_adds(b, "</option>");
}

static void text_input(struct buf *b, const char *label, const char *name, const char *type,
		       const char *value, const char *cls)
{
	buf_addf(b, "<label%s%s%s>", cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
	html_escape(b, label);
	buf_addf(b, "<input type=\"%s\" name=\"%s\" value=\"", type, name);
	html_escape(b, value ? value : "");
	buf_adds(b, "\"></label>");
}

/* The page's own query value, or "" */
static const char *qv(struct req *r, const char *name)
{
	const char *v = req_query(r, name);
	return v ? v : "";
}

static void filters_form(struct req *r, struct buf *b)
{
	char code[8];
	buf_adds(b, "<form class=\"filters card\" method=\"get\" action=\"/admin/orders\">");
	text_input(b, "Order id, merchant reference, phone or email", "q", "search", qv(r, "q"),
		   "wide");
	text_input(b, "Merchant", "merchant_id", "text", qv(r, "merchant_id"), NULL);
	buf_adds(b, "<label>Status<select name=\"status_id\">");
	option(b, "", "Any", qv(r, "status_id"));
	for (size_t i = 0; i < NSTATUSES; i++) {
		char label[64];
		fmt_into(code, sizeof(code), "%d", statuses[i]);
		fmt_into(label, sizeof(label), "%d %s", statuses[i],
			 order_status_title(statuses[i]));
		option(b, code, label, qv(r, "status_id"));
	}
	buf_adds(b, "</select></label><label>Flagged<select name=\"flagged\">");
	option(b, "", "Any", qv(r, "flagged"));
	option(b, "true", "Flagged", qv(r, "flagged"));
	option(b, "false", "Not flagged", qv(r, "flagged"));
	buf_adds(b, "</select></label>");
	text_input(b, "Created from", "from", "date", qv(r, "from"), NULL);
	text_input(b, "Created to", "to", "date", qv(r, "to"), NULL);
	buf_adds(b,
		 "<div class=\"actions\"><button type=\"submit\">Search</button></div></form>\n");
}

/* The API query of the page's filters; *err says why a date is bad. */
static json_t *api_filters(struct req *r, int with_cursor, const char **err)
{
	static const char *const names[] = {"q", "merchant_id", "status_id", "flagged"};
	json_t *q = json_object();
	char num[24];
	*err = NULL;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (*qv(r, names[i]))
			json_object_set_new(q, names[i], json_string(qv(r, names[i])));
	if (*qv(r, "from")) {
		int64_t t = date_start(qv(r, "from"));
		if (t < 0)
			*err = "Created from must be a date.";
		fmt_into(num, sizeof(num), "%lld", (long long)t);
		json_object_set_new(q, "created_from", json_string(num));
	}
	if (*qv(r, "to")) {
		int64_t t = date_start(qv(r, "to"));
		if (t < 0)
			*err = "Created to must be a date.";
		fmt_into(num, sizeof(num), "%lld", (long long)t + 86399);
		json_object_set_new(q, "created_to", json_string(num));
	}
	if (with_cursor && *qv(r, "cursor"))
		json_object_set_new(q, "cursor", json_string(qv(r, "cursor")));
	return q;
}

/* The page's own filters (to link the next page and the CSV). */
static json_t *page_params(struct req *r)
{
	static const char *const names[] = {"q",       "merchant_id", "status_id",
					    "flagged", "from",	      "to"};
	json_t *q = json_object();
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (*qv(r, names[i]))
			json_object_set_new(q, names[i], json_string(qv(r, names[i])));
	return q;
}

/* The current query as a URL query string (q in the same encoding). */
static void add_query(struct buf *b, const json_t *q, const char *lead)
{
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)q, key, v)
	{
		buf_adds(b, lead);
		lead = "&amp;";
		buf_adds(b, key);
		buf_addch(b, '=');
		for (const char *p = json_string_value(v); p && *p; p++) {
			unsigned char c = (unsigned char)*p;
			if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.')
				buf_addch(b, (char)c);
			else
				buf_addf(b, "%%%02X", c);
		}
	}
}

static void orders_table(struct buf *b, const json_t *orders)
{
	size_t i;
	json_t *o;
	if (!json_array_size(orders)) {
		buf_adds(b, "<p class=\"muted\">No orders match.</p>");
		return;
	}
	buf_adds(b, "<div class=\"scroll\"><table "
		    "class=\"cards\"><thead><tr><th>Order</th><th>Merchant</th>"
		    "<th>Reference</th><th>Status</th><th>Customer</th><th class=\"n\">Payable</th>"
		    "<th>Created (UTC)</th></tr></thead><tbody>");
	json_array_foreach(orders, i, o)
	{
		buf_adds(b, "<tr><td data-label=\"Order\"><a class=\"mono\" href=\"/admin/orders/");
		html_escape(b, jstr(o, "order_id"));
		buf_adds(b, "\">");
		html_escape(b, jstr(o, "order_id"));
		buf_adds(b, "</a>");
		if (jstr(o, "flagged"))
			buf_adds(b, " <span class=\"pill flag\">flagged</span>");
		buf_adds(b, "</td><td data-label=\"Merchant\">");
		html_escape(b, jstr(o, "merchant_id"));
		buf_adds(b, "</td><td data-label=\"Reference\" class=\"mono\">");
		html_escape(b, jstr(o, "merchant_order_id"));
		buf_adds(b, "</td><td data-label=\"Status\">");
		status_pill(b, (int)jint(o, "status_id"));
		buf_adds(b, "</td><td data-label=\"Customer\" class=\"small\">");
		html_escape(b, jstr(o, "phone"));
		if (jstr(o, "phone") && jstr(o, "email"))
			buf_adds(b, "<br>");
		html_escape(b, jstr(o, "email"));
		money_cell(b, "Payable", o, "payable");
		buf_adds(b, "</td><td data-label=\"Created\" class=\"small\">");
		console_time(b, jint(o, "created"));
		buf_adds(b, "</td></tr>");
	}
	buf_adds(b, "</tbody></table></div>");
}

static void orders_page(struct req *r)
{
	struct console cx;
	json_t *answer = NULL;
	const char *err;
	unsigned status = 200;
	if (console_session_or_redirect(r, &cx))
		return;
	json_t *q = api_filters(r, 1, &err);
	json_t *mine = page_params(r);
	if (!err)
		status =
		    console_call(r, HTTP_GET, "/admin/v1/orders", json_incref(q), NULL, &answer);
	struct buf b;
	buf_init(&b);
	console_page_open(&b, &cx, "Orders", "/admin/orders");
	buf_adds(&b, "<h1>Orders</h1>\n");
	filters_form(r, &b);
	buf_adds(&b, "<section class=\"card\">");
	if (err || status != 200) {
		buf_adds(&b, "<p class=\"alert\" role=\"alert\">");
		html_escape(&b, err ? err : console_error_text(answer));
		buf_adds(&b, "</p>");
	} else {
		orders_table(&b, json_object_get(answer, "orders"));
	}
	buf_adds(&b, "<div class=\"pager\"><a class=\"button ghost\" href=\"/admin/orders.csv");
	add_query(&b, mine, "?");
	buf_adds(&b, "\" download>Download CSV</a>");
	const char *next = jstr(answer, "next_cursor");
	if (next) {
		json_object_set_new(mine, "cursor", json_string(next));
		buf_adds(&b, "<a class=\"button\" href=\"/admin/orders");
		add_query(&b, mine, "?");
		buf_adds(&b, "\">Older orders →</a>");
	}
	buf_adds(&b, "</div></section>\n");
	console_page_close(&b);
	json_decref(answer);
	json_decref(q);
	json_decref(mine);
	console_reply_page(r, err ? 400 : status == 200 ? 200 : status, &b);
}

static void orders_csv(struct req *r)
{
	struct console cx;
	const char *err;
	if (console_session_or_redirect(r, &cx))
		return;
	json_t *q = api_filters(r, 0, &err);
	if (err) {
		json_decref(q);
		console_reply_error(r, &cx, 400, "Bad filter", err);
		return;
	}
	console_forward(r, HTTP_GET, "/admin/v1/orders.csv", q);
}

/* Money the order holds: collected, refunded (done and pending), due. */
static void money_card(struct buf *b, const json_t *o)
{
	int64_t collected = 0, refunded = 0, pending = 0;
	size_t i;
	json_t *x;
	json_array_foreach(json_object_get(o, "payments"), i, x)
	{
		if (jstr(x, "status") && strcmp(jstr(x, "status"), "SUCCESS") == 0)
			collected += console_paise(x, "amount");
	}
	json_array_foreach(json_object_get(o, "refunds"), i, x)
	{
		if (jstr(x, "state") && strcmp(jstr(x, "state"), "done") == 0)
			refunded += console_paise(x, "amount");
		else
			pending += console_paise(x, "amount");
	}
	int status = (int)jint(o, "status_id");
	int64_t payable = console_paise(o, "payable");
	const char *method = jstr(o, "payment_method");
	int cod = method && strcmp(method, "COD") == 0;
	/* Cash on delivery is collected by the courier when it delivers; no
	 * payment row records it, so a delivered COD order counts as paid. */
	int cash_in = cod && (status == ST_DELIVERED || status == ST_RETURN_REQUESTED ||
			      status == ST_RETURN_PICKED || status == ST_RETURN_REFUNDED);
	if (cash_in)
		collected += payable;
	int64_t held = collected - refunded - pending;
	int64_t due = status == ST_CANCELLED || status == ST_CANCEL_INITIATED ? 0 : payable - held;
	const json_t *t = json_object_get(o, "totals");
	buf_adds(b, "<section class=\"card\"><h2>Money</h2><dl class=\"kv\">");
	buf_adds(b, "<dt>MRP</dt><dd>");
	console_money(b, console_paise(t, "mrp"));
	buf_adds(b, "</dd><dt>Discount</dt><dd>");
	console_money(b, -console_paise(t, "discount"));
	buf_adds(b, "</dd><dt>Charges</dt><dd>");
	console_money(b, console_paise(t, "charges"));
	buf_adds(b, "</dd><dt>Payable</dt><dd class=\"total\">");
	console_money(b, payable);
	buf_adds(b, "</dd><dt>Collected</dt><dd>");
	console_money(b, collected);
	if (cash_in)
		buf_adds(b, " <span class=\"muted small\">cash</span>");
	buf_adds(b, "</dd><dt>Refunded</dt><dd>");
	console_money(b, refunded);
	buf_adds(b, "</dd>");
	if (pending) {
		buf_adds(b, "<dt>Refund pending</dt><dd>");
		console_money(b, pending);
		buf_adds(b, "</dd>");
	}
	buf_adds(b, "<dt>Due</dt><dd class=\"total\">");
	console_money(b, due > 0 ? due : 0);
	if (due > 0 && cod)
		buf_adds(b, " <span class=\"muted small\">cash on delivery</span>");
	buf_adds(b, "</dd></dl></section>\n");
}

static void lines_card(struct buf *b, const json_t *o)
{
	size_t i;
	json_t *l;
	buf_adds(b,
		 "<section class=\"card\"><h2>Lines</h2><div class=\"scroll\"><table "
		 "class=\"cards\"><thead><tr>"
		 "<th>SKU</th><th>Name</th><th class=\"n\">Qty</th><th class=\"n\">Cancelled</th>"
		 "<th class=\"n\">MRP</th><th class=\"n\">Price</th><th class=\"n\">After "
		 "coupon</th></tr></thead><tbody>");
	json_array_foreach(json_object_get(o, "lines"), i, l)
	{
		buf_adds(b, "<tr><td data-label=\"SKU\" class=\"mono\">");
		html_escape(b, jstr(l, "sku_id"));
		buf_adds(b, "</td><td data-label=\"Name\">");
		html_escape(b, jstr(l, "name"));
		if (json_is_true(json_object_get(l, "prescription_required")))
			buf_adds(b, " <span class=\"pill warn\">Rx</span>");
		buf_addf(b,
			 "</td><td data-label=\"Qty\" class=\"n\">%lld</td><td "
			 "data-label=\"Cancelled\" class=\"n\">%lld",
			 (long long)jint(l, "qty"), (long long)jint(l, "cancelled_qty"));
		money_cell(b, "MRP", l, "mrp");
		money_cell(b, "Price", l, "offered_price");
		money_cell(b, "After coupon", l, "discounted_price");
		buf_adds(b, "</td></tr>");
	}
	buf_adds(b, "</tbody></table></div></section>\n");
}

static void timeline_card(struct buf *b, const json_t *o)
{
	size_t i;
	json_t *e;
	buf_adds(b, "<section class=\"card\"><h2>Status timeline</h2><ol class=\"timeline\">");
	buf_adds(b, "<li><b>Created</b><br><span class=\"muted small\">");
	console_time(b, jint(o, "created"));
	buf_adds(b, "</span></li>");
	json_array_foreach(json_object_get(o, "status_history"), i, e)
	{
		int to = (int)jint(e, "to");
		buf_adds(b, "<li><b>");
		html_escape(b, order_status_title(to));
		buf_addf(b, "</b> <span class=\"muted\">(%d", to);
		if (json_is_integer(json_object_get(e, "from")))
			buf_addf(b, " from %lld", (long long)jint(e, "from"));
		buf_adds(b, ")</span><br><span class=\"muted small\">");
		console_time(b, jint(e, "at"));
		buf_adds(b, " · ");
		html_escape(b, jstr(e, "actor"));
		if (jstr(e, "note")) {
			buf_adds(b, " · ");
			html_escape(b, jstr(e, "note"));
		}
		buf_adds(b, "</span></li>");
	}
	buf_adds(b, "</ol></section>\n");
}

static void rx_card(struct buf *b, const struct console *cx, const json_t *o)
{
	size_t i;
	json_t *p;
	const json_t *list = json_object_get(o, "prescriptions");
	buf_adds(b, "<section class=\"card\"><h2>Prescriptions</h2>");
	if (!json_array_size(list))
		buf_adds(b, "<p class=\"muted\">None.</p>");
	else
		buf_adds(b, "<ul>");
	json_array_foreach(list, i, p)
	{
		buf_adds(b, "<li><a rel=\"noopener noreferrer\" target=\"_blank\" href=\"");
		const char *url = jstr(p, "url");
		/* Only https links are made clickable; anything else is shown as text. */
		if (url && strncmp(url, "https://", 8) == 0)
			html_escape(b, url);
		buf_adds(b, "\">");
		html_escape(b, url);
		buf_adds(b, "</a> <span class=\"pill\">");
		html_escape(b, jstr(p, "status"));
		buf_adds(b, "</span></li>");
	}
	if (json_array_size(list))
		buf_adds(b, "</ul>");
	if (jint(o, "status_id") == ST_RX_REVIEW) {
		buf_adds(b, "<div class=\"actions\">");
		console_form_open(b, "/admin/orders/", jstr(o, "order_id"), "/verify", cx->csrf);
		buf_adds(
		    b, "<button type=\"submit\" name=\"approved\" value=\"true\">Approve</button>"
		       "<button class=\"ghost\" type=\"submit\" name=\"approved\" value=\"false\">"
		       "Reject</button></form></div>");
	}
	buf_adds(b, "</section>\n");
}

static void deliveries_card(struct req *r, struct buf *b, const json_t *o)
{
	json_t *answer = NULL, *q = json_object();
	size_t i;
	json_t *d;
	json_object_set_new(q, "order_id", json_string(jstr(o, "order_id")));
	json_object_set_new(q, "limit", json_string("20"));
	unsigned st = console_call(r, HTTP_GET, "/admin/v1/deliveries", q, NULL, &answer);
	const json_t *list = json_object_get(answer, "deliveries");
	buf_adds(b, "<section class=\"card\"><h2>Webhooks and refunds</h2>");
	if (st != 200)
		buf_adds(b, "<p class=\"alert\">Could not load the deliveries.</p>");
	else if (!json_array_size(list))
		buf_adds(b, "<p class=\"muted\">Nothing sent for this order yet.</p>");
	else
		buf_adds(b,
			 "<div class=\"scroll\"><table "
			 "class=\"cards\"><thead><tr><th>#</th><th>Kind</th>"
			 "<th>Event</th><th>State</th><th class=\"n\">Attempts</th><th>Queued</th>"
			 "</tr></thead><tbody>");
	json_array_foreach(list, i, d)
	{
		const char *state = jstr(d, "state");
		buf_addf(b, "<tr><td data-label=\"#\">%lld</td><td data-label=\"Kind\">",
			 (long long)jint(d, "id"));
		html_escape(b, jstr(d, "kind"));
		buf_adds(b, "</td><td data-label=\"Event\">");
		html_escape(b, jstr(d, "event_type"));
		buf_addf(b, "</td><td data-label=\"State\"><span class=\"pill %s\">",
			 state && !strcmp(state, "done")     ? "ok"
			 : state && !strcmp(state, "failed") ? "bad"
							     : "warn");
		html_escape(b, state);
		buf_addf(b,
			 "</span></td><td data-label=\"Attempts\" class=\"n\">%lld</td><td "
			 "data-label=\"Queued\" class=\"small\">",
			 (long long)jint(d, "attempts"));
		console_time(b, jint(d, "first_at"));
		buf_adds(b, "</td></tr>");
	}
	if (json_array_size(list))
		buf_adds(b, "</tbody></table></div>");
	buf_adds(b, "</section>\n");
	json_decref(answer);
}

static void actions_card(struct buf *b, const struct console *cx, const json_t *o)
{
	int from = (int)jint(o, "status_id"), any = 0;
	const char *id = jstr(o, "order_id");
	buf_adds(b, "<section class=\"card\"><h2>Actions</h2>");
	for (size_t i = 0; i < NSTATUSES; i++)
		any |= order_move_allowed(from, statuses[i]);
	if (!any) {
		buf_adds(b, "<p class=\"muted\">No further moves: this status is final.</p>");
		buf_adds(b, "</section>\n");
		return;
	}
	buf_adds(b, "<div class=\"actions\">");
	console_form_open(b, "/admin/orders/", id, "/status", cx->csrf);
	buf_adds(b, "<label>Move to<select name=\"status_id\" required>");
	for (size_t i = 0; i < NSTATUSES; i++) {
		if (!order_move_allowed(from, statuses[i]))
			continue;
		buf_addf(b, "<option value=\"%d\">%d ", statuses[i], statuses[i]);
		html_escape(b, order_status_title(statuses[i]));
		buf_adds(b, "</option>");
	}
	buf_adds(b, "</select></label><label>Note<input type=\"text\" name=\"note\" "
		    "maxlength=\"200\"></label>");
	if (order_move_allowed(from, ST_SHIPPED))
		buf_adds(b,
			 "<label>Carrier<input type=\"text\" name=\"delivery_partner_name\" "
			 "maxlength=\"100\"></label><label>Carrier tracking code<input "
			 "type=\"text\" name=\"carrier_tracking_code\" maxlength=\"100\"></label>");
	buf_adds(b, "<button type=\"submit\">Move</button></form>");
	if (order_move_allowed(from, ST_CANCELLED)) {
		console_form_open(b, "/admin/orders/", id, "/cancel", cx->csrf);
		buf_adds(b,
			 "<button class=\"danger\" type=\"submit\">Cancel order</button></form>");
	}
	buf_adds(b, "</div><p class=\"muted small\">Only the moves SPEC §5 allows from ");
	html_escape(b, order_status_title(from));
	buf_adds(b, " are offered.</p></section>\n");
}

static void summary_card(struct buf *b, const json_t *o)
{
	const json_t *user = json_object_get(o, "user");
	buf_adds(b, "<section class=\"card\"><h2>Order</h2><dl class=\"kv\"><dt>Status</dt><dd>");
	status_pill(b, (int)jint(o, "status_id"));
	buf_adds(b, "</dd><dt>Merchant</dt><dd>");
	html_escape(b, jstr(o, "merchant_id"));
	buf_adds(b, "</dd><dt>Reference</dt><dd class=\"mono\">");
	html_escape(b, jstr(o, "merchant_order_id"));
	buf_adds(b, "</dd><dt>Payment</dt><dd>");
	html_escape(b, jstr(o, "payment_method") ? jstr(o, "payment_method") : "—");
	buf_adds(b, "</dd><dt>Customer</dt><dd>");
	html_escape(b, jstr(user, "mobile") ? jstr(user, "mobile") : jstr(user, "phoneNumber"));
	buf_adds(b, "<br>");
	html_escape(b, jstr(user, "email"));
	buf_adds(b, "</dd><dt>Tracking</dt><dd class=\"mono\">");
	html_escape(b, jstr(o, "tracking_code") ? jstr(o, "tracking_code") : "—");
	buf_adds(b, "</dd><dt>Updated</dt><dd>");
	console_time(b, jint(o, "updated"));
	buf_adds(b, "</dd>");
	if (jstr(o, "flagged")) {
		buf_adds(b, "<dt>Flagged</dt><dd><span class=\"pill flag\">");
		html_escape(b, jstr(o, "flagged"));
		buf_adds(b, "</span></dd>");
	}
	buf_adds(b, "</dl></section>\n");
}

/* The order page; error (with its status) above it after a refused action. */
static void order_page_render(struct req *r, const struct console *cx, unsigned fail_status,
			      const char *error)
{
	const char *id;
	json_t *o = console_get_or_reply(r, cx, "order_id", "/admin/v1/orders", "order",
					 "Could not load the order", &id);
	if (!o)
		return;
	struct buf b;
	buf_init(&b);
	console_page_open(&b, cx, jstr(o, "order_id"), "/admin/orders");
	buf_adds(
	    &b, "<p class=\"small\"><a href=\"/admin/orders\">← Orders</a></p><h1 class=\"mono\">");
	html_escape(&b, jstr(o, "order_id"));
	buf_adds(&b, "</h1>\n");
	if (error) {
		buf_adds(&b, "<p class=\"alert\" role=\"alert\">");
		html_escape(&b, error);
		buf_adds(&b, "</p>\n");
	}
	buf_adds(&b, "<div class=\"grid three\"><div>");
	actions_card(&b, cx, o);
	lines_card(&b, o);
	deliveries_card(r, &b, o);
	buf_adds(&b, "</div><div>");
	summary_card(&b, o);
	money_card(&b, o);
	rx_card(&b, cx, o);
	timeline_card(&b, o);
	buf_adds(&b, "</div></div>\n");
	console_page_close(&b);
	json_decref(o);
	console_reply_page(r, error ? fail_status : 200, &b);
}

static void order_page(struct req *r)
{
	struct console cx;
	if (console_session_or_redirect(r, &cx))
		return;
	order_page_render(r, &cx, 200, NULL);
}

/* Runs an order action through the admin API: back to the order page with
 * flash on success, the page with the API's refusal otherwise. */
static void order_action(struct req *r, const struct console *cx, const char *suffix, json_t *body,
			 const char *flash)
{
	char path[160], loc[128];
	json_t *answer = NULL;
	const char *id = req_param(r, "order_id");
	if (!console_id_ok(id)) {
		json_decref(body);
		console_reply_error(r, cx, 404, "No such order", "There is no order with that id.");
		return;
	}
	fmt_into(path, sizeof(path), "/admin/v1/orders/%s/%s", id, suffix);
	unsigned st = console_call(r, HTTP_POST, path, NULL, body, &answer);
	if (st == 200) {
		fmt_into(loc, sizeof(loc), "/admin/orders/%s", id);
		console_redirect(r, loc, flash);
	} else {
		char msg[300];
		fmt_into(msg, sizeof(msg), "%s", console_error_text(answer));
		order_page_render(r, cx, st, msg);
	}
	json_decref(answer);
}

static void order_move(struct req *r)
{
	struct console cx;
	char status[8], note[NOTE_CAP], partner[FIELD_CAP], carrier[FIELD_CAP];
	int64_t to;
	if (console_form_or_reply(r, &cx))
		return;
	if (console_field(r, "status_id", status, sizeof(status)) ||
	    strnum_i64z(status, 0, 999, &to)) {
		order_page_render(r, &cx, 400, "Choose a status to move to.");
		return;
	}
	json_t *body = json_pack("{s:I}", "status_id", (json_int_t)to);
	if (!console_field(r, "note", note, sizeof(note)) && *note)
		json_object_set_new(body, "note", json_string(note));
	if (!console_field(r, "delivery_partner_name", partner, sizeof(partner)) && *partner)
		json_object_set_new(body, "delivery_partner_name", json_string(partner));
	if (!console_field(r, "carrier_tracking_code", carrier, sizeof(carrier)) && *carrier)
		json_object_set_new(body, "carrier_tracking_code", json_string(carrier));
	order_action(r, &cx, "status", body, "moved");
}

static void order_cancel(struct req *r)
{
	struct console cx;
	if (console_form_or_reply(r, &cx))
		return;
	order_action(
	    r, &cx, "status",
	    json_pack("{s:i,s:s}", "status_id", ST_CANCELLED, "note", "cancelled by operator"),
	    "cancelled");
}

static void order_verify(struct req *r)
{
	struct console cx;
	char approved[8];
	if (console_form_or_reply(r, &cx))
		return;
	if (console_field(r, "approved", approved, sizeof(approved)) ||
	    (strcmp(approved, "true") && strcmp(approved, "false"))) {
		order_page_render(r, &cx, 400, "Approve or reject the prescriptions.");
		return;
	}
	order_action(r, &cx, "prescriptions/verify",
		     json_pack("{s:b}", "approved", strcmp(approved, "true") == 0), "verified");
}

void console_order_routes(struct router *rt)
{
	router_add(rt, HTTP_GET, "/admin/orders", orders_page, "console.orders");
	router_add(rt, HTTP_GET, "/admin/orders.csv", orders_csv, "console.orders.csv");
	router_add(rt, HTTP_GET, "/admin/orders/{order_id}", order_page, "console.order");
	router_add_flags(rt, HTTP_POST, "/admin/orders/{order_id}/status", order_move,
			 "console.order.status", ROUTE_OFFLOAD);
	router_add_flags(rt, HTTP_POST, "/admin/orders/{order_id}/cancel", order_cancel,
			 "console.order.cancel", ROUTE_OFFLOAD);
	router_add_flags(rt, HTTP_POST, "/admin/orders/{order_id}/verify", order_verify,
			 "console.order.verify", ROUTE_OFFLOAD);
}
