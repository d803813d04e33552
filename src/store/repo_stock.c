/*
 * Stock counters and the stock ledger of products in storage, and the stock
 * observers (see repo_stock.h).
 *
 * Every stock change is one conditional UPDATE whose WHERE clause carries
 * the rule (enough available, never below reserved), so two processes can
 * never both win; setting an absolute value is a compare-and-set on the old
 * on_hand, retried when another writer moved it first. Those UPDATEs
 * return the product's new counters, which the stock observer (see
 * repo_stock.h) hears in the same transaction; what it makes of them is
 * not storage's business.
 */
#include <stdlib.h>
#include <string.h>

#include "store/repo_stock.h"
#include "store/store.h"
#include "store/repo_catalog_int.h"
#include "base/clock.h"
#include "base/buf.h"
#include "base/banned.h"

/* How often a compare-and-set of on_hand is retried against other writers. */
#define STOCK_CAS_TRIES 16
static struct store_sql q_stock_by_sku = {
    .sql = "SELECT pid, on_hand, reserved FROM products WHERE merchant_id = ? AND sku_id = ?"};
static struct store_sql q_stock_by_pid = {
    .sql = "SELECT pid, on_hand, reserved FROM products WHERE pid = ?"};
/*
 * Every stock change returns the product's new counters (no extra query):
 * a logistics product's change is announced from them (stock_update()).
 */
#define STOCK_RETURNING                                                                            \
	" RETURNING merchant_id, sku_id, hex_id, on_hand, reserved, inbound, on_hold, "            \
	"last_movement, name, gtin"

static struct store_sql q_stock_cas = {
    .sql = "UPDATE products SET on_hand = ?, last_movement = ? "
	   "WHERE pid = ? AND on_hand = ? AND reserved <= ?" STOCK_RETURNING};
static struct store_sql q_stock_add = {
    .sql = "UPDATE products SET on_hand = on_hand + ?, last_movement = ? "
	   "WHERE pid = ? AND on_hand + ? >= reserved AND on_hand + ? <= ?" STOCK_RETURNING};
static struct store_sql q_stock_reserve = {
    .sql = "UPDATE products SET reserved = reserved + ?, last_movement = ? "
	   "WHERE pid = ? AND on_hand - reserved >= ?" STOCK_RETURNING};
static struct store_sql q_stock_release = {
    .sql = "UPDATE products SET reserved = reserved - ?, last_movement = ? "
	   "WHERE pid = ? AND reserved >= ?" STOCK_RETURNING};
static struct store_sql q_stock_ship = {
    .sql = "UPDATE products SET on_hand = on_hand - ?, reserved = reserved - ?, "
	   "last_movement = ? WHERE pid = ? AND reserved >= ?" STOCK_RETURNING};
#define LEDGER_HEAD                                                                            \
	"INSERT INTO stock_ledger (pid, delta_on_hand, delta_reserved, reason, order_id, at)"
#define LEDGER_COLS 6
static struct store_sql q_ledger = {.sql = LEDGER_HEAD " VALUES (?, ?, ?, ?, ?, ?)"};

/* The ids travel as one JSON array of strings, so one statement fits any cart. */
static struct store_sql q_avail_one = {
    .sql = "SELECT on_hand - reserved FROM products WHERE merchant_id = '' AND sku_id = ?"};
static struct store_sql q_avail_many = {
    .sql = "SELECT sku_id, on_hand - reserved FROM products WHERE merchant_id = '' AND "
	   "sku_id IN (SELECT value FROM json_each(?))",
    .pg_sql = "SELECT sku_id, on_hand - reserved FROM products WHERE merchant_id = '' AND "
	      "sku_id IN (SELECT json_array_elements_text(CAST($1 AS json)))"};

enum apo_result stock_available_many(struct store_conn *c, const char *const *sku_ids, size_t n,
				     int64_t *avail)
{
	struct store_rows *rows;
	struct buf ids;
	enum apo_result rc;

	if (n == 1) { /* the usual quote: a plain indexed read, no JSON */
		struct store_val args[] = {SV_TEXT(sku_ids[0])};
		rc = store_query_int(c, &q_avail_one, args, 1, &avail[0]);
		if (rc == APO_ERR_NOT_FOUND)
			avail[0] = -1;
		else if (rc == APO_OK && avail[0] < 0)
			avail[0] = 0;
		return rc == APO_ERR_NOT_FOUND ? APO_OK : rc;
	}
	buf_init(&ids);
	buf_addch(&ids, '[');
	for (size_t i = 0; i < n; i++) {
		avail[i] = -1;
		/* Valid SKU ids need no escaping inside a JSON string. */
		buf_addf(&ids, "%s\"%s\"", i ? "," : "", sku_ids[i]);
	}
	buf_addch(&ids, ']');
	struct store_val arg = SV_TEXT(ids.data);
	rc = store_exec(c, &q_avail_many, &arg, 1, &rows);
	buf_release(&ids);
	if (rc != APO_OK)
		return rc;
	while (store_next(rows)) {
		const char *sku = store_text(rows, 0);
		int64_t left = store_int(rows, 1);
		for (size_t i = 0; sku && i < n; i++)
			if (strcmp(sku_ids[i], sku) == 0)
				avail[i] = left > 0 ? left : 0;
	}
	store_rows_free(rows);
	return APO_OK;
}

/* Reads a product's stock counters by (catalog, sku) or, with sku NULL, by pid. */
enum apo_result stock_row(struct store_conn *c, const char *merchant_id, const char *sku_id,
			  int64_t *pid, int64_t *on_hand, int64_t *reserved)
{
	struct store_rows *rows;
	struct store_val by_sku[] = {SV_TEXT(merchant_id ? merchant_id : ""), SV_TEXT(sku_id)};
	struct store_val by_pid = SV_INT(*pid);
	enum apo_result rc = sku_id ? store_exec(c, &q_stock_by_sku, by_sku, 2, &rows)
				    : store_exec(c, &q_stock_by_pid, &by_pid, 1, &rows);
	if (rc != APO_OK)
		return rc;
	if (store_next(rows)) {
		*pid = store_int(rows, 0);
		*on_hand = store_int(rows, 1);
		*reserved = store_int(rows, 2);
	} else {
		rc = APO_ERR_NOT_FOUND;
	}
	store_rows_free(rows);
	return rc;
}

/* The values of a ledger row: LEDGER_COLS. */
static void ledger_vals(struct store_val *v, int64_t pid, int64_t d_on_hand, int64_t d_reserved,
			const char *reason, const char *order_id, int64_t at)
{
	v[0] = SV_INT(pid);
	v[1] = SV_INT(d_on_hand);
	v[2] = SV_INT(d_reserved);
	v[3] = SV_TEXT(reason ? reason : "adjust");
	v[4] = SV_TEXT(order_id);
	v[5] = SV_INT(at);
}

enum apo_result ledger_add(struct store_conn *c, int64_t pid, int64_t d_on_hand,
			   int64_t d_reserved, const char *reason, const char *order_id)
{
	struct store_val args[LEDGER_COLS];
	ledger_vals(args, pid, d_on_hand, d_reserved, reason, order_id, now_epoch());
	/* Nothing waits on the ledger row: it goes with the next statement. */
	return store_exec_later(c, &q_ledger, args, LEDGER_COLS);
}

static stock_observer observer;
static stock_rise_observer rise_observer;

void stock_observe(stock_observer fn)
{
	observer = fn;
}

void stock_observe_rise(stock_rise_observer fn)
{
	rise_observer = fn;
}

/* Within the change's transaction: pid has more units available now. */
static void announce_rise(struct store_conn *c, int64_t pid, const char *order_id)
{
	if (rise_observer)
		rise_observer(c, pid, order_id);
}

/*
 * Within the change's transaction: tells the observer (if any) a
 * merchant's product changed. The platform catalog (merchant_id "") is
 * nobody's to hear about.
 */
enum apo_result announce_stock(struct store_conn *c, const struct stock_state *st)
{
	if (!st->merchant_id[0] || !observer)
		return APO_OK;
	return observer(c, st);
}

/* Copies a product's name and gtin (either may be NULL) into st. */
void stock_state_names(struct stock_state *st, const char *name, const char *gtin)
{
	fmt_into(st->name, sizeof(st->name), "%s", name ? name : "");
	fmt_into(st->gtin, sizeof(st->gtin), "%s", gtin ? gtin : "");
	st->has_gtin = gtin != NULL;
}

/*
 * Runs a stock UPDATE ... STOCK_RETURNING. *changed is 1 when its WHERE
 * clause let it change the row, and then the change is announced.
 */
static enum apo_result stock_update(struct store_conn *c, struct store_sql *q,
				    const struct store_val *args, size_t n, int *changed)
{
	struct store_rows *rows;
	struct stock_state st;
	enum apo_result rc = store_exec(c, q, args, n, &rows);
	if (rc != APO_OK)
		return rc;
	*changed = store_next(rows);
	if (*changed) {
		const char *mid = store_text(rows, 0);
		fmt_into(st.merchant_id, sizeof(st.merchant_id), "%s", mid ? mid : "");
		fmt_into(st.sku_id, sizeof(st.sku_id), "%s", store_text(rows, 1));
		fmt_into(st.hex_id, sizeof(st.hex_id), "%s", store_text(rows, 2));
		st.on_hand = store_int(rows, 3);
		st.reserved = store_int(rows, 4);
		st.inbound = store_int(rows, 5);
		st.on_hold = store_int(rows, 6);
		st.last_movement = opt_col(rows, 7);
		stock_state_names(&st, store_text(rows, 8), store_text(rows, 9));
	}
	/* The cursor must be gone before the next statement on this connection. */
	store_rows_free(rows);
	return *changed ? announce_stock(c, &st) : APO_OK;
}

/*
 * Within a write transaction: sets pid's on_hand to target by
 * compare-and-set on the value just read, so a concurrent movement makes
 * the UPDATE miss and the loop look again rather than overwrite it.
 */
enum apo_result set_on_hand(struct store_conn *c, int64_t pid, int64_t target,
			    const char *reason)
{
	if (target < 0)
		return APO_ERR_INSUFFICIENT;
	if (target > CATALOG_MAX_STOCK)
		return APO_ERR_INVALID;
	for (int i = 0; i < STOCK_CAS_TRIES; i++) {
		int64_t on_hand, reserved;
		enum apo_result rc = stock_row(c, NULL, NULL, &pid, &on_hand, &reserved);
		if (rc != APO_OK)
			return rc;
		if (target < reserved)
			return APO_ERR_INSUFFICIENT;
		if (target == on_hand)
			return APO_OK;
		struct store_val args[] = {SV_INT(target), SV_INT(now_epoch()), SV_INT(pid),
					   SV_INT(on_hand), SV_INT(target)};
		int changed;
		rc = stock_update(c, &q_stock_cas, args, 5, &changed);
		if (rc != APO_OK)
			return rc;
		if (changed && target > on_hand)
			announce_rise(c, pid, NULL);
		if (changed)
			return ledger_add(c, pid, target - on_hand, 0, reason, NULL);
	}
	return APO_ERR_BUSY;
}

/* Within a write transaction: on_hand += delta under the stock rules. */
static enum apo_result add_on_hand(struct store_conn *c, int64_t pid, int64_t delta,
				   const char *reason)
{
	int64_t on_hand, reserved;
	if (delta == 0)
		return APO_OK;
	if (delta > CATALOG_MAX_STOCK)
		return APO_ERR_INVALID;
	if (delta < -CATALOG_MAX_STOCK)
		return APO_ERR_INSUFFICIENT;
	struct store_val args[] = {SV_INT(delta), SV_INT(now_epoch()), SV_INT(pid),
				   SV_INT(delta), SV_INT(delta),       SV_INT(CATALOG_MAX_STOCK)};
	int changed;
	enum apo_result rc = stock_update(c, &q_stock_add, args, 6, &changed);
	if (rc != APO_OK)
		return rc;
	if (changed && delta > 0)
		announce_rise(c, pid, NULL);
	if (changed)
		return ledger_add(c, pid, delta, 0, reason, NULL);
	/* Refused: say whether it went too low or too high. */
	rc = stock_row(c, NULL, NULL, &pid, &on_hand, &reserved);
	if (rc != APO_OK)
		return rc;
	return on_hand + delta > CATALOG_MAX_STOCK ? APO_ERR_INVALID : APO_ERR_INSUFFICIENT;
}

enum apo_result stock_adjust(struct store_conn *c, const char *merchant_id, const char *sku_id,
			     int64_t delta, const int64_t *set, const char *reason,
			     int64_t *on_hand, int64_t *reserved)
{
	int64_t pid, oh, res;
	enum apo_result rc = store_begin(c, STORE_TX_WRITE);
	if (rc != APO_OK)
		return rc;
	rc = stock_row(c, merchant_id, sku_id, &pid, &oh, &res);
	if (rc == APO_OK)
		rc = set ? set_on_hand(c, pid, *set, reason) : add_on_hand(c, pid, delta, reason);
	if (rc == APO_OK)
		rc = stock_row(c, NULL, NULL, &pid, &oh, &res);
	if (rc == APO_OK)
		rc = store_commit(c);
	if (rc != APO_OK) {
		store_rollback(c);
		return rc;
	}
	*on_hand = oh;
	*reserved = res;
	return APO_OK;
}

enum apo_result stock_reserve(struct store_conn *c, int64_t pid, int64_t qty, const char *order_id)
{
	if (qty <= 0 || qty > CATALOG_MAX_STOCK)
		return APO_ERR_INVALID;
	struct store_val args[] = {SV_INT(qty), SV_INT(now_epoch()), SV_INT(pid), SV_INT(qty)};
	int changed;
	enum apo_result rc = stock_update(c, &q_stock_reserve, args, 4, &changed);
	if (rc != APO_OK)
		return rc;
	if (!changed)
		return APO_ERR_INSUFFICIENT;
	return ledger_add(c, pid, 0, qty, "reserve", order_id);
}

/* No RETURNING: nothing is announced of a platform product, and the
 * PostgreSQL backend wraps it (store_exec_guarded()). */
static struct store_sql q_stock_reserve_guarded = {
    .sql = "UPDATE products SET reserved = reserved + ?, last_movement = ? "
	   "WHERE pid = ? AND merchant_id = '' AND on_hand - reserved >= ?"};

enum apo_result stock_reserve_at_commit(struct store_conn *c, int64_t pid, int64_t qty,
					const char *order_id, int64_t tag)
{
	struct stock_take t = {pid, qty, order_id, tag};
	return stock_reserve_takes_at_commit(c, &t, 1);
}

static struct store_insert q_ledger_many = STORE_INSERT(LEDGER_HEAD, LEDGER_COLS);

enum apo_result stock_reserve_takes_at_commit(struct store_conn *c, const struct stock_take *t,
					      size_t n)
{
	if (n == 0)
		return APO_ERR_INVALID;
	for (size_t i = 0, k; i < n; i = k) {
		int64_t total = 0;
		for (k = i; k < n && t[k].pid == t[i].pid; k++) {
			if (t[k].qty <= 0 || t[k].qty > CATALOG_MAX_STOCK)
				return APO_ERR_INVALID;
			total += t[k].qty;
			if (total > CATALOG_MAX_STOCK)
				return APO_ERR_INVALID;
		}
	}
	/* The ledger rows first: the products' rows are then locked for the
	 * UPDATEs and the COMMIT alone. A refusal takes the rows back with the
	 * rest of the transaction. */
	int64_t now = now_epoch();
	struct store_val *v = xcalloc(n * LEDGER_COLS, sizeof(*v));
	for (size_t i = 0; i < n; i++)
		ledger_vals(v + i * LEDGER_COLS, t[i].pid, 0, t[i].qty, "reserve", t[i].order_id,
			    now);
	enum apo_result rc = store_insert_later(c, &q_ledger_many, v, n);
	free(v);
	for (size_t i = 0, k; rc == APO_OK && i < n; i = k) {
		int64_t total = 0;
		for (k = i; k < n && t[k].pid == t[i].pid; k++)
			total += t[k].qty;
		struct store_val args[] = {SV_INT(total), SV_INT(now), SV_INT(t[i].pid),
					   SV_INT(total)};
		rc = store_exec_guarded(c, &q_stock_reserve_guarded, args, 4, t[i].tag);
	}
	return rc;
}

enum apo_result stock_release(struct store_conn *c, int64_t pid, int64_t qty, const char *order_id,
			      int ship)
{
	enum apo_result rc;
	int changed;
	if (qty <= 0 || qty > CATALOG_MAX_STOCK)
		return APO_ERR_INVALID;
	if (ship) {
		struct store_val args[] = {SV_INT(qty), SV_INT(qty), SV_INT(now_epoch()),
					   SV_INT(pid), SV_INT(qty)};
		rc = stock_update(c, &q_stock_ship, args, 5, &changed);
	} else {
		struct store_val args[] = {SV_INT(qty), SV_INT(now_epoch()), SV_INT(pid),
					   SV_INT(qty)};
		rc = stock_update(c, &q_stock_release, args, 4, &changed);
	}
	if (rc != APO_OK)
		return rc;
	if (!changed)
		return APO_ERR_CONFLICT;
	if (!ship)
		announce_rise(c, pid, order_id);
	return ledger_add(c, pid, ship ? -qty : 0, -qty, ship ? "ship" : "release", order_id);
}

static struct store_sql q_stock_lock = {
    .sql = "SELECT on_hand, reserved FROM products WHERE pid = ?",
    .pg_sql = "SELECT on_hand, reserved FROM products WHERE pid = $1 FOR UPDATE"};

enum apo_result stock_lock(struct store_conn *c, int64_t pid, int64_t *on_hand, int64_t *reserved)
{
	struct store_rows *rows;
	struct store_val arg = SV_INT(pid);
	enum apo_result rc = store_exec(c, &q_stock_lock, &arg, 1, &rows);
	if (rc != APO_OK)
		return rc;
	if (store_next(rows)) {
		*on_hand = store_int(rows, 0);
		*reserved = store_int(rows, 1);
	} else {
		rc = APO_ERR_NOT_FOUND;
	}
	store_rows_free(rows);
	return rc;
}

enum apo_result stock_counts(struct store_conn *c, int64_t pid, int64_t *on_hand,
			     int64_t *reserved)
{
	return stock_row(c, NULL, NULL, &pid, on_hand, reserved);
}
