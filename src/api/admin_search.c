/*
 * Admin: finding orders — GET /admin/v1/orders (a page of JSON) and GET
 * /admin/v1/orders.csv (every match as RFC 4180 CSV, streamed a page at a
 * time so a million orders never sit in memory). Both take the same
 * filters: q (order_id, merchant_order_id, phone or email; exact or
 * prefix), merchant_id, status_id, flagged, created_from, created_to.
 */
#include <stdlib.h>
#include <string.h>

#include "api/admin.h"
#include "api/admin_page.h"
#include "api/routes.h"
#include "app.h"
#include "core/money.h"
#include "core/order_state.h"
#include "http/jsonx.h"
#include "store/repo_admin.h"
#include "store/store.h"
#include "base/buf.h"
#include "base/strnum.h"
#include "base/xalloc.h"
#include "core/ids.h"
#include "base/banned.h"

/* Rows the CSV export reads per query. */
#define CSV_PAGE 500
/* The latest accepted epoch second: 9999-12-31T23:59:59Z. */
#define SEARCH_MAX_EPOCH INT64_C(253402300799)
#define SEARCH_MAX_MERCHANT 64

static const char *const filter_names[] = {
    "q", "merchant_id", "status_id", "flagged", "created_from", "created_to", NULL};

/* Reads the filters (not the page) into f; strings point into the query. */
static int filter_or_reply(struct req *r, struct admin_order_filter *f)
{
	int64_t v = -1;
	admin_order_filter_init(f);
	const char *q = req_query(r, "q"), *m = req_query(r, "merchant_id");
	const char *fl = req_query(r, "flagged");
	if (q && *q) {
		if (!admin_search_q_ok(q)) {
			req_fail(r, 400, "invalid", "q must be 1-128 printable ASCII characters");
			return -1;
		}
		f->q = q;
	}
	if (m && *m) {
		if (!ids_is_ident(m, SEARCH_MAX_MERCHANT)) {
			req_fail(r, 400, "invalid", "merchant_id is not a merchant id");
			return -1;
		}
		f->merchant_id = m;
	}
	if (admin_query_int_or_reply(r, "status_id", 0, 999, &v))
		return -1;
	f->status = (int)v;
	if (fl && *fl) {
		if (!strcmp(fl, "true") || !strcmp(fl, "1"))
			f->flagged = 1;
		else if (!strcmp(fl, "false") || !strcmp(fl, "0"))
			f->flagged = 0;
		else {
			req_fail(r, 400, "invalid", "flagged must be true or false");
			return -1;
		}
	}
	if (admin_query_int_or_reply(r, "created_from", 0, SEARCH_MAX_EPOCH, &f->created_from) ||
	    admin_query_int_or_reply(r, "created_to", 0, SEARCH_MAX_EPOCH, &f->created_to))
		return -1;
	return 0;
}

/* A member of the order's user JSON: phone (either dialect) or email. */
static const char *contact(json_t *user, const char *a, const char *b)
{
	const char *s = json_string_value(json_object_get(user, a));
	return s ? s : json_string_value(json_object_get(user, b));
}

static json_t *row_json(const struct admin_order_row *o)
{
	json_t *user = o->user_json ? json_loads(o->user_json, 0, NULL) : NULL;
	json_t *j = json_object();
	json_object_set_new(j, "order_id", jx_str_or_null(o->order_id));
	json_object_set_new(j, "id", jx_str_or_null(o->hex_id));
	json_object_set_new(j, "merchant_id", jx_str_or_null(o->merchant_id));
	json_object_set_new(j, "merchant_order_id", jx_str_or_null(o->merchant_order_id));
	json_object_set_new(j, "dialect", jx_str_or_null(o->dialect));
	json_object_set_new(j, "status_id", json_integer(o->status_id));
	json_object_set_new(j, "title", json_string(order_status_title(o->status_id)));
	json_object_set_new(j, "subtitle", jx_str_or_null(o->subtitle));
	json_object_set_new(j, "payment_method", jx_str_or_null(o->payment_method));
	json_object_set_new(j, "payable", jx_money_value(o->payable));
	json_object_set_new(j, "created", json_integer(o->created));
	json_object_set_new(j, "updated", json_integer(o->updated));
	json_object_set_new(j, "status_changed", json_integer(o->status_changed));
	json_object_set_new(j, "tracking_code", jx_str_or_null(o->tracking_code));
	json_object_set_new(j, "flagged", jx_str_or_null(o->flagged));
	json_object_set_new(j, "phone", jx_str_or_null(contact(user, "mobile", "phoneNumber")));
	json_object_set_new(j, "email", jx_str_or_null(contact(user, "email", "email")));
	json_decref(user);
	return j;
}

struct list_ctx {
	json_t *orders;
	int64_t last_created, last_oid;
	size_t n, limit;
};

/* A page's cursor carries the last row's (created, oid): "created.oid". */
static int cursor_or_reply(struct req *r, const struct admin_page *p, struct admin_order_filter *f)
{
	const char *dot = strchr(p->after, '.');
	if (!p->after[0])
		return 0;
	if (!dot ||
	    strnum_i64(p->after, (size_t)(dot - p->after), 0, INT64_MAX, &f->before_created) ||
	    strnum_i64z(dot + 1, 1, INT64_MAX, &f->before_oid)) {
		req_fail(r, 400, "invalid", "cursor must be a next_cursor this list gave");
		return -1;
	}
	return 0;
}

static void list_one(const struct admin_order_row *o, void *arg)
{
	struct list_ctx *lc = arg;
	if (lc->n++ >= lc->limit)
		return; /* the one past the page: there is a next page */
	json_array_append_new(lc->orders, row_json(o));
	lc->last_created = o->created;
	lc->last_oid = o->oid;
}

static void orders_list(struct req *r)
{
	struct admin_page p;
	struct admin_order_filter f;
	if (admin_auth_or_reply(r) || admin_page_or_reply(r, filter_names, ADMIN_PAGE_MAX, &p) ||
	    filter_or_reply(r, &f) || cursor_or_reply(r, &p, &f))
		return;
	struct list_ctx lc = {json_array(), 0, 0, 0, (size_t)p.limit};
	enum apo_result rc = admin_order_search(r->db, &f, lc.limit + 1, list_one, &lc);
	if (rc != APO_OK) {
		json_decref(lc.orders);
		admin_fail(r, rc, NULL);
		return;
	}
	char key[48];
	fmt_into(key, sizeof(key), "%lld.%lld", (long long)lc.last_created, (long long)lc.last_oid);
	req_reply_json(r, 200,
		       json_pack("{s:o,s:o}", "orders", lc.orders, "next_cursor",
				 admin_next_cursor(key, lc.n > lc.limit)));
}

/* The CSV export's state, owned by the stream (the request may be gone). */
struct csv_stream {
	struct app *app;
	struct admin_order_filter f;
	char *q, *merchant_id;
	int header_done;
	size_t rows; /* in the current page */
	struct buf *out;
};

/*
 * One RFC 4180 field. A text a spreadsheet would run as a formula (=, @,
 * or + and - not starting a number) is prefixed with ' so that opening an
 * export never executes what a customer typed.
 */
static void csv_field(struct buf *b, const char *s, int last)
{
	if (s) {
		int formula = s[0] == '=' || s[0] == '@' || s[0] == '\t' || s[0] == '\r' ||
			      ((s[0] == '+' || s[0] == '-') && !(s[1] >= '0' && s[1] <= '9'));
		int quote = formula || strpbrk(s, ",\"\r\n") != NULL;
		if (quote)
			buf_addch(b, '"');
		if (formula)
			buf_addch(b, '\'');
		for (const char *p = s; *p; p++) {
			if (*p == '"')
				buf_addch(b, '"');
			buf_addch(b, *p);
		}
		if (quote)
			buf_addch(b, '"');
	}
	buf_adds(b, last ? "\r\n" : ",");
}

static void csv_int(struct buf *b, int64_t v)
{
	buf_addf(b, "%lld,", (long long)v);
}

static void csv_row(const struct admin_order_row *o, void *arg)
{
	struct csv_stream *cs = arg;
	struct buf *b = cs->out;
	char money[MONEY_FMT_CAP];
	json_t *user = o->user_json ? json_loads(o->user_json, 0, NULL) : NULL;
	csv_field(b, o->order_id, 0);
	csv_field(b, o->hex_id, 0);
	csv_field(b, o->merchant_id, 0);
	csv_field(b, o->merchant_order_id, 0);
	csv_field(b, o->dialect, 0);
	csv_int(b, o->status_id);
	csv_field(b, order_status_title(o->status_id), 0);
	csv_field(b, o->subtitle, 0);
	csv_field(b, o->payment_method, 0);
	money_format_fixed(o->payable, money);
	csv_field(b, money, 0);
	csv_int(b, o->created);
	csv_int(b, o->updated);
	csv_field(b, o->flagged, 0);
	csv_field(b, contact(user, "mobile", "phoneNumber"), 0);
	csv_field(b, contact(user, "email", "email"), 0);
	csv_field(b, o->tracking_code, 1);
	json_decref(user);
	cs->f.before_created = o->created;
	cs->f.before_oid = o->oid;
	cs->rows++;
}

static int csv_fill(void *arg, struct buf *b)
{
	struct csv_stream *cs = arg;
	struct store_conn *c = store_thread_conn(cs->app->store);
	if (!c)
		return -1;
	if (!cs->header_done) {
		buf_adds(b, "order_id,id,merchant_id,merchant_order_id,dialect,status_id,title,"
			    "subtitle,payment_method,payable,created,updated,flagged,phone,email,"
			    "tracking_code\r\n");
		cs->header_done = 1;
	}
	cs->out = b;
	cs->rows = 0;
	if (admin_order_search(c, &cs->f, CSV_PAGE, csv_row, cs) != APO_OK)
		return -1;
	return cs->rows == CSV_PAGE;
}

static void csv_done(void *arg)
{
	struct csv_stream *cs = arg;
	free(cs->q);
	free(cs->merchant_id);
	free(cs);
}

static void orders_csv(struct req *r)
{
	struct admin_order_filter f;
	if (admin_auth_or_reply(r) || admin_known_or_reply(r, filter_names) ||
	    filter_or_reply(r, &f))
		return;
	struct csv_stream *cs = xcalloc(1, sizeof(*cs));
	cs->app = r->app;
	cs->f = f;
	cs->q = f.q ? xstrdup(f.q) : NULL;
	cs->merchant_id = f.merchant_id ? xstrdup(f.merchant_id) : NULL;
	cs->f.q = cs->q;
	cs->f.merchant_id = cs->merchant_id;
	req_add_header(r, "Content-Disposition", "attachment; filename=\"orders.csv\"");
	req_reply_stream(r, 200, "text/csv; charset=utf-8; header=present", csv_fill, csv_done, cs);
}

void admin_search_routes(struct router *rt)
{
	router_add(rt, HTTP_GET, "/admin/v1/orders", orders_list, "admin.orders.list");
	router_add(rt, HTTP_GET, "/admin/v1/orders.csv", orders_csv, "admin.orders.csv");
}
