/*
 * Orders in storage (see repo_orders.h for the locking story).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/repo_orders.h"
#include "store/repo_catalog.h"
#include "store/store.h"
#include "base/clock.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "base/banned.h"

#define ORDER_COLS                                                                             \
	"oid, order_id, hex_id, merchant_id, merchant_order_id, dialect, request_hash, "       \
	"response, payment_method, payment_id, status_id, subtitle, ever_confirmed, "          \
	"coupon_code, mrp_total, offered_total, discount_total, vas_total, shipping, payable, " \
	"flagged, user_json, address_json, extra_json, pincode, eta_from, eta_to, "            \
	"tracking_code, delivery_partner, carrier_tracking_code, pay_deadline, created, "      \
	"updated, status_changed, version"

static struct store_sql q_by_order_id = {
	.sql = "SELECT " ORDER_COLS " FROM orders WHERE order_id = ? AND (CAST(? AS TEXT) IS NULL OR merchant_id = ?)"};
static struct store_sql q_by_hex = {
	.sql = "SELECT " ORDER_COLS " FROM orders WHERE hex_id = ? AND (CAST(? AS TEXT) IS NULL OR merchant_id = ?)"};
/* Always scoped to one merchant, so the partial unique index answers it. */
static struct store_sql q_by_ref = {
	.sql = "SELECT " ORDER_COLS " FROM orders WHERE merchant_id = ? AND merchant_order_id = ? "
	       "AND dialect = 'pharmacy'"};
/* tracking_code is UNIQUE: its index answers this. */
static struct store_sql q_by_tracking = {
	.sql = "SELECT " ORDER_COLS " FROM orders WHERE tracking_code = ? AND "
	       "(CAST(? AS TEXT) IS NULL OR merchant_id = ?)"};
static struct store_sql q_by_oid = {.sql = "SELECT " ORDER_COLS " FROM orders WHERE oid = ?"};
static struct store_sql q_lines = {
	.sql = "SELECT pid, sku_id, name, qty, cancelled_qty, reserved_qty, mrp, offered, "
	       "discounted, rx_required, pack_size_label, sku_type, extra_json "
	       "FROM order_lines WHERE oid = ? ORDER BY pos"};
static struct store_sql q_charges = {
	.sql = "SELECT type, display_text, amount FROM order_charges WHERE oid = ? ORDER BY pos"};

static char *dup_col(struct store_rows *r, int col)
{
	const char *s = store_text(r, col);
	return s ? xstrdup(s) : NULL;
}

static void copy_fixed(char *dst, size_t cap, const char *src)
{
	fmt_into(dst, cap, "%s", src ? src : "");
}

/* Reads one ORDER_COLS row into o. */
static void read_order(struct store_rows *r, void *out)
{
	struct order *o = out;
	o->oid = store_int(r, 0);
	copy_fixed(o->order_id, sizeof(o->order_id), store_text(r, 1));
	copy_fixed(o->hex_id, sizeof(o->hex_id), store_text(r, 2));
	o->merchant_id = dup_col(r, 3);
	o->merchant_order_id = dup_col(r, 4);
	o->dialect = dup_col(r, 5);
	o->request_hash = dup_col(r, 6);
	o->response = dup_col(r, 7);
	o->payment_method = dup_col(r, 8);
	o->payment_id = store_int(r, 9);
	o->status_id = (int)store_int(r, 10);
	o->subtitle = dup_col(r, 11);
	o->ever_confirmed = (int)store_int(r, 12);
	o->coupon_code = dup_col(r, 13);
	o->mrp_total = store_int(r, 14);
	o->offered_total = store_int(r, 15);
	o->discount_total = store_int(r, 16);
	o->vas_total = store_int(r, 17);
	o->shipping = store_int(r, 18);
	o->payable = store_int(r, 19);
	o->flagged = dup_col(r, 20);
	o->user_json = dup_col(r, 21);
	o->address_json = dup_col(r, 22);
	o->extra_json = dup_col(r, 23);
	o->pincode = dup_col(r, 24);
	o->eta_from = store_int(r, 25);
	o->eta_to = store_int(r, 26);
	o->tracking_code = dup_col(r, 27);
	o->delivery_partner = dup_col(r, 28);
	o->carrier_tracking_code = dup_col(r, 29);
	o->pay_deadline = store_int(r, 30);
	o->created = store_int(r, 31);
	o->updated = store_int(r, 32);
	o->status_changed = store_int(r, 33);
	o->version = store_int(r, 34);
	o->version_known = 1;
}

static void read_lines(struct store_rows *rows, void *out)
{
	struct order *o = out;
	while (o->nlines < ORDER_MAX_LINES && store_next(rows)) {
		struct order_line *l = &o->lines[o->nlines++];
		l->pid = store_int(rows, 0);
		l->sku_id = dup_col(rows, 1);
		l->name = dup_col(rows, 2);
		l->qty = store_int(rows, 3);
		l->cancelled_qty = store_int(rows, 4);
		l->reserved_qty = store_int(rows, 5);
		l->mrp = store_int(rows, 6);
		l->offered = store_int(rows, 7);
		l->discounted = store_int(rows, 8);
		l->rx_required = (int)store_int(rows, 9);
		l->pack_size_label = dup_col(rows, 10);
		l->sku_type = dup_col(rows, 11);
		l->extra_json = dup_col(rows, 12);
	}
}

static void read_charges(struct store_rows *rows, void *out)
{
	struct order *o = out;
	while (o->ncharges < ORDER_MAX_CHARGES && store_next(rows)) {
		struct order_charge *ch = &o->charges[o->ncharges++];
		ch->type = dup_col(rows, 0);
		ch->display_text = dup_col(rows, 1);
		ch->amount = store_int(rows, 2);
	}
}

/* The order's lines and charges, read together (one round trip on PostgreSQL). */
static enum apo_result load_children(struct store_conn *c, struct order *o)
{
	struct store_val arg = SV_INT(o->oid);
	const struct store_read reads[] = {{&q_lines, &arg, 1, read_lines, o},
					   {&q_charges, &arg, 1, read_charges, o}};
	return store_read_many(c, reads, 2);
}

static enum apo_result load_one(struct store_conn *c, struct store_sql *q,
				const struct store_val *args, size_t n, struct order *o)
{
	enum apo_result rc = store_query_row(c, q, args, n, read_order, o);
	return rc == APO_OK ? load_children(c, o) : rc;
}

enum apo_result order_load(struct store_conn *c, enum order_key by, const char *merchant_id,
			   const char *key, struct order *o)
{
	struct store_sql *q;
	if (!key)
		return APO_ERR_NOT_FOUND;
	switch (by) {
	case ORDER_BY_ORDER_ID:
		q = &q_by_order_id;
		break;
	case ORDER_BY_HEX_ID:
		q = &q_by_hex;
		break;
	case ORDER_BY_ANY_ID:
		if (ids_is_order_id(key))
			q = &q_by_order_id;
		else if (ids_is_hex_id(key))
			q = &q_by_hex;
		else
			return APO_ERR_NOT_FOUND;
		break;
	case ORDER_BY_TRACKING:
		q = &q_by_tracking;
		break;
	default:
		if (!merchant_id)
			return APO_ERR_NOT_FOUND;
		struct store_val ref[] = {SV_TEXT(merchant_id), SV_TEXT(key)};
		return load_one(c, &q_by_ref, ref, 2, o);
	}
	struct store_val args[] = {SV_TEXT(key), SV_TEXT(merchant_id), SV_TEXT(merchant_id)};
	return load_one(c, q, args, 3, o);
}

enum apo_result order_reload(struct store_conn *c, struct order *o)
{
	struct store_val arg = SV_INT(o->oid);
	order_release(o);
	return load_one(c, &q_by_oid, &arg, 1, o);
}

/* Locks and reads the row in one statement (then its lines and charges). */
static struct store_sql q_lock = {
	.sql = "SELECT " ORDER_COLS " FROM orders WHERE oid = ?",
	.pg_sql = "SELECT " ORDER_COLS " FROM orders WHERE oid = $1 FOR UPDATE"};

static struct store_sql q_lock_version = {
	.sql = "SELECT version FROM orders WHERE oid = ?",
	.pg_sql = "SELECT version FROM orders WHERE oid = $1 FOR UPDATE"};

enum apo_result order_lock(struct store_conn *c, struct order *o)
{
	struct store_val arg = SV_INT(o->oid);
	if (o->version_known) {
		/* Read before and untouched since: if the row's version has not
		 * moved, nothing the order holds has, and locking is all. */
		int64_t version;
		enum apo_result rc = store_query_int(c, &q_lock_version, &arg, 1, &version);
		if (rc != APO_OK || version == o->version)
			return rc;
	}
	order_release(o);
	return load_one(c, &q_lock, &arg, 1, o);
}

#define INSERT_COLS                                                                            \
	"order_id, hex_id, merchant_id, merchant_order_id, dialect, "                          \
	"request_hash, response, payment_method, payment_id, status_id, subtitle, "            \
	"ever_confirmed, coupon_code, mrp_total, offered_total, discount_total, vas_total, "   \
	"shipping, payable, flagged, user_json, address_json, extra_json, pincode, eta_from, " \
	"eta_to, tracking_code, delivery_partner, carrier_tracking_code, pay_deadline, "       \
	"created, updated, status_changed"
#define INSERT_VALUES                                                                          \
	"?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "  \
	"?, ?, ?, ?, ?"
static struct store_sql q_insert = {
	.sql = "INSERT INTO orders (" INSERT_COLS ") VALUES (" INSERT_VALUES ") RETURNING oid"};
/* The same with the row id taken before (order_take_oid()). */
static struct store_sql q_insert_oid = {
	.sql = "INSERT INTO orders (" INSERT_COLS ", oid) VALUES (" INSERT_VALUES ", ?)"};
/*
 * The ids the next order rows get (as many as the parameter says):
 * PostgreSQL's sequence of orders.oid; SQLite's AUTOINCREMENT counter,
 * read under the writer lock that the INSERTs then hold (each INSERT moves
 * the counter past its id).
 */
static struct store_sql q_take_oids = {
	.sql = "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < ?) "
	       "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'orders'), 0) + i "
	       "FROM k",
	.pg_sql = "SELECT nextval(pg_get_serial_sequence('orders', 'oid')) "
		  "FROM generate_series(1, ?)"};

enum apo_result order_take_oids(struct store_conn *c, size_t n, int64_t *oids)
{
	size_t got;
	if (n == 0 || n > ORDER_MAX_TAKE)
		return APO_ERR_INVALID;
	struct store_val args[] = {SV_INT((int64_t)n)};
	enum apo_result rc = store_query_int_column(c, &q_take_oids, args, 1, oids, n, &got);
	if (rc != APO_OK)
		return rc;
	return got == n ? APO_OK : APO_ERR_INTERNAL;
}

enum apo_result order_take_oid(struct store_conn *c, int64_t *oid)
{
	return order_take_oids(c, 1, oid);
}
#define INSERT_NCOLS 34 /* INSERT_COLS and oid */
#define LINES_HEAD                                                                             \
	"INSERT INTO order_lines (oid, pos, pid, sku_id, name, qty, cancelled_qty, "           \
	"reserved_qty, mrp, offered, discounted, rx_required, pack_size_label, sku_type, "     \
	"extra_json)"
#define LINE_COLS 15
#define CHARGES_HEAD "INSERT INTO order_charges (oid, pos, type, display_text, amount)"
#define CHARGE_COLS 5
#define HISTORY_HEAD "INSERT INTO order_history (oid, from_status, to_status, actor, note, at)"
#define HISTORY_COLS 6
static struct store_sql q_history = {.sql = HISTORY_HEAD " VALUES (?, ?, ?, ?, ?, ?)"};

/* The values of a history row: HISTORY_COLS. */
static void history_vals(struct store_val *v, int64_t oid, int from, int to, const char *actor,
			 const char *note, int64_t at)
{
	v[0] = SV_INT(oid);
	v[1] = from ? SV_INT(from) : SV_NULL;
	v[2] = SV_INT(to);
	v[3] = SV_TEXT(actor);
	v[4] = SV_TEXT(note);
	v[5] = SV_INT(at);
}

static enum apo_result history_add(struct store_conn *c, int64_t oid, int from, int to,
				   const char *actor, const char *note, int64_t at)
{
	struct store_val args[HISTORY_COLS];
	history_vals(args, oid, from, to, actor, note, at);
	return store_exec_later(c, &q_history, args, HISTORY_COLS);
}

static struct store_val int_or_null(int64_t v)
{
	return v ? SV_INT(v) : SV_NULL;
}

/* The values of o's row for q_insert_oid: INSERT_NCOLS (q_insert takes all but the last). */
static void order_vals(struct store_val *v, const struct order *o, int64_t now)
{
	struct store_val args[] = {
		SV_TEXT(o->order_id),	     SV_TEXT(o->hex_id),
		SV_TEXT(o->merchant_id),     SV_TEXT(o->merchant_order_id),
		SV_TEXT(o->dialect),	     SV_TEXT(o->request_hash),
		SV_TEXT(o->response),	     SV_TEXT(o->payment_method),
		int_or_null(o->payment_id),  SV_INT(o->status_id),
		SV_TEXT(o->subtitle),	     SV_INT(o->ever_confirmed),
		SV_TEXT(o->coupon_code),     SV_INT(o->mrp_total),
		SV_INT(o->offered_total),    SV_INT(o->discount_total),
		SV_INT(o->vas_total),	     SV_INT(o->shipping),
		SV_INT(o->payable),	     SV_TEXT(o->flagged),
		SV_TEXT(o->user_json),	     SV_TEXT(o->address_json),
		SV_TEXT(o->extra_json),	     SV_TEXT(o->pincode),
		int_or_null(o->eta_from),    int_or_null(o->eta_to),
		SV_TEXT(o->tracking_code),   SV_TEXT(o->delivery_partner),
		SV_TEXT(o->carrier_tracking_code), int_or_null(o->pay_deadline),
		SV_INT(now),		     SV_INT(now),
		SV_INT(now),		     SV_INT(o->oid)};
	_Static_assert(sizeof(args) / sizeof(args[0]) == INSERT_NCOLS, "one value per column");
	memcpy(v, args, sizeof(args));
}

/* The values of o's line i: LINE_COLS. */
static void line_vals(struct store_val *v, const struct order *o, size_t i)
{
	const struct order_line *l = &o->lines[i];
	struct store_val la[] = {SV_INT(o->oid),	 SV_INT(i),
				 int_or_null(l->pid),	 SV_TEXT(l->sku_id),
				 SV_TEXT(l->name ? l->name : ""), SV_INT(l->qty),
				 SV_INT(l->cancelled_qty), SV_INT(l->reserved_qty),
				 SV_INT(l->mrp),	 SV_INT(l->offered),
				 SV_INT(l->discounted),	 SV_INT(l->rx_required),
				 SV_TEXT(l->pack_size_label ? l->pack_size_label : ""),
				 SV_TEXT(l->sku_type ? l->sku_type : ""),
				 SV_TEXT(l->extra_json)};
	_Static_assert(sizeof(la) / sizeof(la[0]) == LINE_COLS, "one value per column");
	memcpy(v, la, sizeof(la));
}

/* The values of o's charge i: CHARGE_COLS. */
static void charge_vals(struct store_val *v, const struct order *o, size_t i)
{
	const struct order_charge *ch = &o->charges[i];
	v[0] = SV_INT(o->oid);
	v[1] = SV_INT(i);
	v[2] = SV_TEXT(ch->type);
	v[3] = SV_TEXT(ch->display_text);
	v[4] = SV_INT(ch->amount);
}

static struct store_insert q_insert_orders =
    STORE_INSERT("INSERT INTO orders (" INSERT_COLS ", oid)", INSERT_NCOLS);
static struct store_insert q_insert_lines = STORE_INSERT(LINES_HEAD, LINE_COLS);
static struct store_insert q_insert_charges = STORE_INSERT(CHARGES_HEAD, CHARGE_COLS);
static struct store_insert q_insert_history = STORE_INSERT(HISTORY_HEAD, HISTORY_COLS);

/* The lines (lines 1) or the charges (lines 0) of os[0..n), as few statements as they fit. */
static enum apo_result insert_children(struct store_conn *c, struct order *const *os, size_t n,
				       int lines)
{
	struct store_insert *q = lines ? &q_insert_lines : &q_insert_charges;
	size_t rows = 0;
	for (size_t k = 0; k < n; k++)
		rows += lines ? os[k]->nlines : os[k]->ncharges;
	if (!rows)
		return APO_OK;
	struct store_val *v = xcalloc(rows * q->ncols, sizeof(*v));
	rows = 0;
	for (size_t k = 0; k < n; k++) {
		size_t m = lines ? os[k]->nlines : os[k]->ncharges;
		for (size_t i = 0; i < m; i++, rows++)
			(lines ? line_vals : charge_vals)(v + rows * q->ncols, os[k], i);
	}
	enum apo_result rc = store_insert_later(c, q, v, rows);
	free(v);
	return rc;
}

static enum apo_result insert_lines(struct store_conn *c, struct order *const *os, size_t n)
{
	return insert_children(c, os, n, 1);
}

static enum apo_result insert_charges(struct store_conn *c, struct order *const *os, size_t n)
{
	return insert_children(c, os, n, 0);
}

enum apo_result order_insert(struct store_conn *c, struct order *o, const char *actor)
{
	struct store_rows *rows;
	int64_t now = now_epoch();
	enum apo_result rc;

	o->created = o->updated = o->status_changed = now;
	struct store_val args[INSERT_NCOLS];
	order_vals(args, o, now);
	if (o->oid) {
		if ((rc = store_exec(c, &q_insert_oid, args, INSERT_NCOLS, NULL)) != APO_OK)
			return rc;
	} else {
		if ((rc = store_exec(c, &q_insert, args, INSERT_NCOLS - 1, &rows)) != APO_OK)
			return rc;
		if (store_next(rows))
			o->oid = store_int(rows, 0);
		store_rows_free(rows);
		if (!o->oid)
			return APO_ERR_INTERNAL;
	}
	if ((rc = insert_lines(c, &o, 1)) != APO_OK)
		return rc;
	if ((rc = insert_charges(c, &o, 1)) != APO_OK)
		return rc;
	return history_add(c, o->oid, 0, o->status_id, actor, NULL, now);
}

enum apo_result order_insert_many_later(struct store_conn *c, struct order *const *os, size_t n,
					const char *actor)
{
	int64_t now = now_epoch();
	for (size_t k = 0; k < n; k++)
		if (!os[k]->oid)
			return APO_ERR_INTERNAL;
	/* Room for the orders' values, then for their history rows' (fewer). */
	struct store_val *v = xcalloc(n ? n * INSERT_NCOLS : 1, sizeof(*v));
	for (size_t k = 0; k < n; k++) {
		os[k]->created = os[k]->updated = os[k]->status_changed = now;
		order_vals(v + k * INSERT_NCOLS, os[k], now);
	}
	enum apo_result rc = store_insert_later(c, &q_insert_orders, v, n);
	if (rc == APO_OK)
		rc = insert_lines(c, os, n);
	if (rc == APO_OK)
		rc = insert_charges(c, os, n);
	for (size_t k = 0; k < n; k++)
		history_vals(v + k * HISTORY_COLS, os[k]->oid, 0, os[k]->status_id, actor, NULL,
			     now);
	if (rc == APO_OK)
		rc = store_insert_later(c, &q_insert_history, v, n);
	free(v);
	return rc;
}

static struct store_sql q_replace = {
	.sql = "UPDATE orders SET merchant_order_id = ?, user_json = ?, address_json = ?, "
	       "extra_json = ?, pincode = ?, mrp_total = ?, offered_total = ?, payable = ?, "
	       "updated = ? WHERE oid = ? AND status_id = ?"};
static struct store_sql q_lines_reserved = {
	.sql = "SELECT COUNT(*) FROM order_lines WHERE oid = ? AND reserved_qty > 0"};
static struct store_sql q_delete_lines = {.sql = "DELETE FROM order_lines WHERE oid = ?"};

enum apo_result order_replace(struct store_conn *c, struct order *o)
{
	int64_t now = now_epoch(), held = 0;
	struct store_val args[] = {SV_TEXT(o->merchant_order_id), SV_TEXT(o->user_json),
				   SV_TEXT(o->address_json),	  SV_TEXT(o->extra_json),
				   SV_TEXT(o->pincode),		  SV_INT(o->mrp_total),
				   SV_INT(o->offered_total),	  SV_INT(o->payable),
				   SV_INT(now),			  SV_INT(o->oid),
				   SV_INT(o->status_id)};
	struct store_val oid = SV_INT(o->oid);
	enum apo_result rc;

	for (size_t i = 0; i < o->nlines; i++)
		if (o->lines[i].reserved_qty || o->lines[i].cancelled_qty)
			return APO_ERR_STATE;
	if ((rc = store_exec(c, &q_replace, args, sizeof(args) / sizeof(args[0]), NULL)) != APO_OK)
		return rc;
	if (store_changes(c) != 1)
		return APO_ERR_BUSY;
	/* Deleting lines that hold stock would lose the reservation for good. */
	if ((rc = store_query_int(c, &q_lines_reserved, &oid, 1, &held)) != APO_OK)
		return rc;
	if (held)
		return APO_ERR_STATE;
	if ((rc = store_exec(c, &q_delete_lines, &oid, 1, NULL)) != APO_OK)
		return rc;
	if ((rc = insert_lines(c, &o, 1)) != APO_OK)
		return rc;
	o->updated = now;
	return APO_OK;
}



static struct store_sql q_line_reserved = {
	.sql = "UPDATE order_lines SET reserved_qty = ? WHERE oid = ? AND pos = ?"};

static enum apo_result set_line_reserved(struct store_conn *c, struct order *o, size_t i,
					 int64_t reserved)
{
	struct store_val args[] = {SV_INT(reserved), SV_INT(o->oid), SV_INT(i)};
	enum apo_result rc = store_exec(c, &q_line_reserved, args, 3, NULL);
	if (rc == APO_OK)
		o->lines[i].reserved_qty = reserved;
	return rc;
}

enum apo_result order_reserve_lines(struct store_conn *c, struct order *o, size_t *short_line)
{
	size_t by_pid[ORDER_MAX_LINES];
	order_lines_by_pid(o, by_pid);
	for (size_t k = 0; k < o->nlines; k++) {
		size_t i = by_pid[k];
		struct order_line *l = &o->lines[i];
		int64_t want = order_line_open_qty(l) - l->reserved_qty;
		if (want <= 0 || !l->pid)
			continue;
		enum apo_result rc = stock_reserve(c, l->pid, want, o->order_id);
		if (rc == APO_OK)
			rc = set_line_reserved(c, o, i, l->reserved_qty + want);
		if (rc != APO_OK) {
			if (short_line)
				*short_line = i;
			return rc;
		}
	}
	return APO_OK;
}

enum apo_result order_release_lines(struct store_conn *c, struct order *o, int ship)
{
	size_t by_pid[ORDER_MAX_LINES];
	order_lines_by_pid(o, by_pid);
	for (size_t k = 0; k < o->nlines; k++) {
		size_t i = by_pid[k];
		struct order_line *l = &o->lines[i];
		if (l->reserved_qty <= 0 || !l->pid)
			continue;
		enum apo_result rc = stock_release(c, l->pid, l->reserved_qty, o->order_id, ship);
		if (rc == APO_OK)
			rc = set_line_reserved(c, o, i, 0);
		if (rc != APO_OK)
			return rc;
	}
	return APO_OK;
}

#define MOVE_SET "UPDATE orders SET status_id = ?, subtitle = ?, ever_confirmed = ?, updated = ?, "  \
		 "status_changed = ?"
static struct store_sql q_move = {.sql = MOVE_SET " WHERE oid = ? AND status_id = ?"};
/* The same move giving the order its tracking code in the same row write. */
static struct store_sql q_move_tracking = {
	.sql = MOVE_SET ", tracking_code = ? WHERE oid = ? AND status_id = ? AND tracking_code IS NULL"};

int order_move_lost(struct store_conn *c, enum apo_result rc)
{
	return rc == APO_ERR_INSUFFICIENT && store_guard_tag(c) == ORDER_MOVE_GUARD;
}

enum apo_result order_move(struct store_conn *c, struct order *o, int to, int confirmed,
			   const char *tracking_code, const char *subtitle, const char *actor,
			   const char *note)
{
	int from = o->status_id;
	int64_t now = now_epoch();
	enum apo_result rc;

	if (o->tracking_code)
		tracking_code = NULL;
	struct store_val args[] = {SV_INT(to),	 SV_TEXT(subtitle),	SV_INT(confirmed),
				   SV_INT(now),	 SV_INT(now),		SV_TEXT(tracking_code),
				   SV_INT(o->oid), SV_INT(from)};
	if (tracking_code) {
		rc = store_exec_guarded(c, &q_move_tracking, args, 8, ORDER_MOVE_GUARD);
	} else {
		args[5] = args[6];
		args[6] = args[7];
		rc = store_exec_guarded(c, &q_move, args, 7, ORDER_MOVE_GUARD);
	}
	if (order_move_lost(c, rc))
		return APO_ERR_BUSY;
	if (rc != APO_OK)
		return rc;
	if (tracking_code)
		o->tracking_code = xstrdup(tracking_code);
	if ((rc = history_add(c, o->oid, from, to, actor, note, now)) != APO_OK)
		return rc;
	o->status_id = to;
	o->ever_confirmed = confirmed;
	o->updated = o->status_changed = now;
	free(o->subtitle);
	o->subtitle = subtitle ? xstrdup(subtitle) : NULL;
	return APO_OK;
}

static struct store_sql q_cancel_units = {
	.sql = "UPDATE order_lines SET cancelled_qty = cancelled_qty + ? WHERE oid = ? AND pos = ? "
	       "AND qty - cancelled_qty >= ?"};

enum apo_result order_cancel_units(struct store_conn *c, struct order *o, size_t i, int64_t qty)
{
	struct order_line *l = &o->lines[i];
	enum apo_result rc;
	if (qty <= 0 || qty > order_line_open_qty(l))
		return APO_ERR_INVALID;
	struct store_val args[] = {SV_INT(qty), SV_INT(o->oid), SV_INT(i), SV_INT(qty)};
	if ((rc = store_exec(c, &q_cancel_units, args, 4, NULL)) != APO_OK)
		return rc;
	if (store_changes(c) != 1)
		return APO_ERR_BUSY;
	l->cancelled_qty += qty;
	return APO_OK;
}

enum apo_result order_line_set_reserved(struct store_conn *c, struct order *o, size_t i,
					int64_t reserved)
{
	return set_line_reserved(c, o, i, reserved);
}

static struct store_sql q_set_payable = {
	.sql = "UPDATE orders SET payable = ?, updated = ? WHERE oid = ?"};

enum apo_result order_set_payable(struct store_conn *c, struct order *o, int64_t payable)
{
	struct store_val args[] = {SV_INT(payable), SV_INT(now_epoch()), SV_INT(o->oid)};
	enum apo_result rc = store_exec(c, &q_set_payable, args, 3, NULL);
	if (rc == APO_OK)
		o->payable = payable;
	return rc;
}

static struct store_sql q_flag = {.sql = "UPDATE orders SET flagged = ?, updated = ? WHERE oid = ?"};
static struct store_sql q_shipment = {
	.sql = "UPDATE orders SET delivery_partner = ?, carrier_tracking_code = ?, updated = ? "
	       "WHERE oid = ?"};

enum apo_result order_set_flag(struct store_conn *c, int64_t oid, const char *flag)
{
	struct store_val args[] = {SV_TEXT(flag), SV_INT(now_epoch()), SV_INT(oid)};
	return store_exec(c, &q_flag, args, 3, NULL);
}

enum apo_result order_set_shipment(struct store_conn *c, struct order *o, const char *partner,
				   const char *carrier_code)
{
	const char *p = partner ? partner : o->delivery_partner;
	const char *k = carrier_code ? carrier_code : o->carrier_tracking_code;
	struct store_val args[] = {SV_TEXT(p), SV_TEXT(k), SV_INT(now_epoch()), SV_INT(o->oid)};
	enum apo_result rc = store_exec(c, &q_shipment, args, 4, NULL);
	if (rc == APO_OK) {
		char *np = p ? xstrdup(p) : NULL, *nk = k ? xstrdup(k) : NULL;
		free(o->delivery_partner);
		free(o->carrier_tracking_code);
		o->delivery_partner = np;
		o->carrier_tracking_code = nk;
	}
	return rc;
}

static struct store_sql q_payment = {
	.sql = "INSERT INTO payments (oid, transaction_id, amount, status, at) VALUES (?, ?, ?, ?, ?)"};
static struct store_sql q_refund = {
	.sql = "INSERT INTO refunds (refund_id, oid, transaction_id, amount, type, reason, state, "
	       "created) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?)"};
static struct store_sql q_rx_add = {
	.sql = "INSERT INTO prescriptions (oid, url, status, created_ms) VALUES (?, ?, 'Pending', ?)"};
static struct store_sql q_rx_status = {
	.sql = "UPDATE prescriptions SET status = ? WHERE oid = ? AND status = 'Pending'"};

enum apo_result order_payment_add(struct store_conn *c, int64_t oid, const char *transaction_id,
				  int64_t amount, const char *status)
{
	struct store_val args[] = {SV_INT(oid), SV_TEXT(transaction_id), SV_INT(amount),
				   SV_TEXT(status), SV_INT(now_epoch())};
	return store_exec_later(c, &q_payment, args, 5);
}

enum apo_result order_refund_add(struct store_conn *c, int64_t oid, const char *refund_id,
				 const char *transaction_id, int64_t amount, const char *type,
				 const char *reason)
{
	struct store_val args[] = {SV_TEXT(refund_id), SV_INT(oid),	   SV_TEXT(transaction_id),
				   SV_INT(amount),     SV_TEXT(type), SV_TEXT(reason),
				   SV_INT(now_epoch())};
	return store_exec(c, &q_refund, args, 7, NULL);
}

enum apo_result order_rx_add(struct store_conn *c, int64_t oid, const char *url)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	struct store_val args[] = {SV_INT(oid), SV_TEXT(url), SV_INT(ms)};
	return store_exec_later(c, &q_rx_add, args, 3);
}

enum apo_result order_rx_set_status(struct store_conn *c, int64_t oid, const char *status)
{
	struct store_val args[] = {SV_TEXT(status), SV_INT(oid)};
	return store_exec(c, &q_rx_status, args, 2, NULL);
}

static struct store_sql q_x_history = {
	.sql = "SELECT from_status, to_status, actor, note, at FROM order_history WHERE oid = ? "
	       "ORDER BY id"};
static struct store_sql q_x_payments = {
	.sql = "SELECT transaction_id, status, amount, at FROM payments WHERE oid = ? ORDER BY id"};
static struct store_sql q_x_refunds = {
	.sql = "SELECT refund_id, transaction_id, type, reason, state, amount, created, completed "
	       "FROM refunds WHERE oid = ? ORDER BY created, refund_id"};
static struct store_sql q_x_rx = {
	.sql = "SELECT id, url, status, created_ms FROM prescriptions WHERE oid = ? ORDER BY id"};

/* Grows *arr (of elem bytes) to hold one more; returns the new slot. */
static void *push(void *arr_ptr, size_t *n, size_t elem)
{
	void **arr = arr_ptr;
	*arr = xrealloc(*arr, (*n + 1) * elem);
	void *slot = (char *)*arr + *n * elem;
	memset(slot, 0, elem);
	(*n)++;
	return slot;
}

enum apo_result order_extras_load(struct store_conn *c, int64_t oid, struct order_extras *x)
{
	struct store_rows *rows;
	struct store_val arg = SV_INT(oid);
	enum apo_result rc;

	memset(x, 0, sizeof(*x));
	if ((rc = store_exec(c, &q_x_history, &arg, 1, &rows)) != APO_OK)
		return rc;
	while (store_next(rows)) {
		struct order_event *e = push(&x->events, &x->nevents, sizeof(*e));
		e->from = store_is_null(rows, 0) ? 0 : (int)store_int(rows, 0);
		e->to = (int)store_int(rows, 1);
		e->actor = dup_col(rows, 2);
		e->note = dup_col(rows, 3);
		e->at = store_int(rows, 4);
	}
	store_rows_free(rows);
	if ((rc = store_exec(c, &q_x_payments, &arg, 1, &rows)) != APO_OK)
		return rc;
	while (store_next(rows)) {
		struct order_payment *p = push(&x->payments, &x->npayments, sizeof(*p));
		p->transaction_id = dup_col(rows, 0);
		p->status = dup_col(rows, 1);
		p->amount = store_int(rows, 2);
		p->at = store_int(rows, 3);
	}
	store_rows_free(rows);
	if ((rc = store_exec(c, &q_x_refunds, &arg, 1, &rows)) != APO_OK)
		return rc;
	while (store_next(rows)) {
		struct order_refund *f = push(&x->refunds, &x->nrefunds, sizeof(*f));
		f->refund_id = dup_col(rows, 0);
		f->transaction_id = dup_col(rows, 1);
		f->type = dup_col(rows, 2);
		f->reason = dup_col(rows, 3);
		f->state = dup_col(rows, 4);
		f->amount = store_int(rows, 5);
		f->created = store_int(rows, 6);
		f->completed = store_is_null(rows, 7) ? 0 : store_int(rows, 7);
	}
	store_rows_free(rows);
	if ((rc = store_exec(c, &q_x_rx, &arg, 1, &rows)) != APO_OK)
		return rc;
	while (store_next(rows)) {
		struct order_rx *p = push(&x->rx, &x->nrx, sizeof(*p));
		p->id = store_int(rows, 0);
		p->url = dup_col(rows, 1);
		p->status = dup_col(rows, 2);
		p->created_ms = store_int(rows, 3);
	}
	store_rows_free(rows);
	return APO_OK;
}

/* Payments and refunds summed in one statement: one round trip per settle. */
static struct store_sql q_money = {
	.sql = "SELECT p.paid, p.txn, r.initiated, r.done FROM "
	       "(SELECT COALESCE(SUM(amount), 0) AS paid, MAX(transaction_id) AS txn "
	       "FROM payments WHERE oid = ? AND status = 'SUCCESS') p, "
	       "(SELECT COALESCE(SUM(amount), 0) AS initiated, "
	       "COALESCE(SUM(CASE WHEN state = 'done' THEN amount ELSE 0 END), 0) AS done "
	       "FROM refunds WHERE oid = ?) r"};
static struct store_sql q_payment_count = {
	.sql = "SELECT COUNT(*) FROM payments WHERE oid = ? AND transaction_id = ?"};
static struct store_sql q_rx_count = {.sql = "SELECT COUNT(*) FROM prescriptions WHERE oid = ?"};

enum apo_result order_money(struct store_conn *c, int64_t oid, struct order_money *m)
{
	struct store_rows *rows;
	struct store_val args[] = {SV_INT(oid), SV_INT(oid)};
	enum apo_result rc = store_exec(c, &q_money, args, 2, &rows);
	if (rc != APO_OK)
		return rc;
	memset(m, 0, sizeof(*m));
	if (store_next(rows)) {
		m->paid = store_int(rows, 0);
		if (store_text(rows, 1))
			fmt_into(m->txn_id, sizeof(m->txn_id), "%s", store_text(rows, 1));
		m->refund_initiated = store_int(rows, 2);
		m->refunded = store_int(rows, 3);
	}
	store_rows_free(rows);
	return APO_OK;
}

enum apo_result order_payment_known(struct store_conn *c, int64_t oid, const char *transaction_id,
				    int *known)
{
	int64_t n = 0;
	struct store_val args[] = {SV_INT(oid), SV_TEXT(transaction_id)};
	enum apo_result rc = store_query_int(c, &q_payment_count, args, 2, &n);
	*known = n > 0;
	return rc;
}

enum apo_result order_rx_count(struct store_conn *c, int64_t oid, size_t *n)
{
	int64_t count = 0;
	struct store_val arg = SV_INT(oid);
	enum apo_result rc = store_query_int(c, &q_rx_count, &arg, 1, &count);
	*n = count > 0 ? (size_t)count : 0;
	return rc;
}

static struct store_sql q_list = {
	.sql = "SELECT " ORDER_COLS " FROM orders WHERE (CAST(? AS TEXT) IS NULL OR merchant_id = ?) AND "
	       "(? < 0 OR status_id = ?) AND (? = 0 OR oid < ?) ORDER BY oid DESC LIMIT ?"};

enum apo_result order_list(struct store_conn *c, const char *merchant_id, int status,
			   int64_t before_oid, size_t limit,
			   void (*fn)(const struct order *o, void *ctx), void *ctx)
{
	struct store_rows *rows;
	struct store_val args[] = {SV_TEXT(merchant_id), SV_TEXT(merchant_id), SV_INT(status),
				   SV_INT(status),	 SV_INT(before_oid),   SV_INT(before_oid),
				   SV_INT(limit)};
	enum apo_result rc = store_exec(c, &q_list, args, 7, &rows);
	if (rc != APO_OK)
		return rc;
	struct order *o = order_new();
	while (store_next(rows)) {
		read_order(rows, o);
		fn(o, ctx);
		order_release(o);
	}
	order_free(o);
	store_rows_free(rows);
	return APO_OK;
}

static struct store_sql q_expired = {
	.sql = "SELECT oid FROM orders WHERE status_id = 180 AND pay_deadline IS NOT NULL AND "
	       "pay_deadline < ? ORDER BY pay_deadline LIMIT ?"};

enum apo_result order_expired(struct store_conn *c, int64_t now, int64_t *oids, size_t max,
			      size_t *n)
{
	struct store_val args[] = {SV_INT(now), SV_INT(max)};
	return store_query_int_column(c, &q_expired, args, 2, oids, max, n);
}

static struct store_sql q_count = {
	.sql = "SELECT status_id, count(*) FROM orders GROUP BY status_id ORDER BY status_id"};

enum apo_result order_count_by_status(struct store_conn *c,
				      void (*fn)(int status, int64_t count, void *ctx), void *ctx)
{
	struct store_rows *rows;
	enum apo_result rc = store_exec(c, &q_count, NULL, 0, &rows);
	if (rc != APO_OK)
		return rc;
	while (store_next(rows))
		fn((int)store_int(rows, 0), store_int(rows, 1), ctx);
	store_rows_free(rows);
	return APO_OK;
}

static struct store_sql q_count_flagged = {
    .sql = "SELECT COUNT(*) FROM orders WHERE flagged IS NOT NULL"};

enum apo_result order_count_flagged(struct store_conn *c, int64_t *n)
{
	return store_query_int(c, &q_count_flagged, NULL, 0, n);
}

static struct store_sql q_set_waiting = {
	.sql = "UPDATE orders SET waiting_since = ?, alloc_hold = ? WHERE oid = ?"};

enum apo_result order_set_waiting(struct store_conn *c, int64_t oid, int64_t since_ms, int hold)
{
	struct store_val args[] = {SV_INT(since_ms), SV_INT(hold != 0), SV_INT(oid)};
	return store_exec(c, &q_set_waiting, args, 3, NULL);
}

/* Units of a line still to reserve. */
#define LINE_WANTS "(l.qty - l.cancelled_qty - l.reserved_qty)"

/* 1 when every product of order o has enough available for o alone. */
#define ORDER_FITS                                                                                 \
	"NOT EXISTS (SELECT 1 FROM order_lines l JOIN products p ON p.pid = l.pid "              \
	"WHERE l.oid = o.oid GROUP BY l.pid, p.on_hand, p.reserved "                              \
	"HAVING SUM(" LINE_WANTS ") > p.on_hand - p.reserved)"

static struct store_sql q_waiting_on = {
	.sql = "SELECT o.oid, COALESCE(o.waiting_since, 0), o.alloc_hold, "
	       "CASE WHEN " ORDER_FITS " THEN 1 ELSE 0 END FROM orders o "
	       "WHERE o.status_id = 20 AND (? = 1 OR o.alloc_hold = 0) "
	       "AND (COALESCE(o.waiting_since, 0) > ? OR (COALESCE(o.waiting_since, 0) = ? AND o.oid > ?)) "
	       "AND EXISTS (SELECT 1 FROM order_lines l WHERE l.oid = o.oid AND l.pid = ? AND "
	       LINE_WANTS " > 0) "
	       "ORDER BY COALESCE(o.waiting_since, 0), o.oid LIMIT ?"};
static struct store_sql q_waiting_ready = {
	.sql = "SELECT o.oid, COALESCE(o.waiting_since, 0), o.alloc_hold, 1 FROM orders o "
	       "WHERE o.status_id = 20 AND (? = 1 OR o.alloc_hold = 0) AND " ORDER_FITS " "
	       "ORDER BY COALESCE(o.waiting_since, 0), o.oid LIMIT ?"};

static enum apo_result read_waiters(struct store_conn *c, struct store_sql *q,
				    const struct store_val *args, size_t nargs,
				    struct order_waiter *out, size_t max, size_t *n)
{
	struct store_rows *rows;
	enum apo_result rc = store_exec(c, q, args, nargs, &rows);
	*n = 0;
	if (rc != APO_OK)
		return rc;
	while (*n < max && store_next(rows)) {
		struct order_waiter *w = &out[(*n)++];
		w->oid = store_int(rows, 0);
		w->since_ms = store_int(rows, 1);
		w->hold = (int)store_int(rows, 2);
		w->fits = (int)store_int(rows, 3);
	}
	store_rows_free(rows);
	return APO_OK;
}

enum apo_result order_waiting_on(struct store_conn *c, int64_t pid, int with_held,
				 const struct order_waiter *after, struct order_waiter *out,
				 size_t max, size_t *n)
{
	int64_t since = after ? after->since_ms : -1, oid = after ? after->oid : 0;
	struct store_val args[] = {SV_INT(with_held != 0), SV_INT(since), SV_INT(since),
				   SV_INT(oid), SV_INT(pid), SV_INT(max)};
	return read_waiters(c, &q_waiting_on, args, 6, out, max, n);
}

enum apo_result order_waiting_ready(struct store_conn *c, int with_held, struct order_waiter *out,
				    size_t max, size_t *n)
{
	struct store_val args[] = {SV_INT(with_held != 0), SV_INT(max)};
	return read_waiters(c, &q_waiting_ready, args, 2, out, max, n);
}
