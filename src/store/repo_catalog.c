/*
 * Products with their stock counters and ledger, coupons and pincodes in
 * storage (see repo_catalog.h).
 *
 * Portable SQL only: both backends run these statements. Upserts are an
 * INSERT ... ON CONFLICT DO NOTHING followed, when it inserted nothing, by
 * an UPDATE, which tells a new row from an old one on both. Every stock
 * change is one conditional UPDATE whose WHERE clause carries the rule
 * (enough available, never below reserved), so two processes can never
 * both win; setting an absolute value is a compare-and-set on the old
 * on_hand, retried when another writer moved it first. Those UPDATEs
 * return the product's new counters, which the stock observer (see
 * repo_catalog.h) hears in the same transaction; what it makes of them is
 * not storage's business.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/repo_catalog.h"
#include "store/store.h"
#include "core/ids.h"
#include "core/merchant.h"
#include "base/clock.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "base/banned.h"

/* How often a compare-and-set of on_hand is retried against other writers. */
#define STOCK_CAS_TRIES 16

#define PRODUCT_COLS                                                                               \
	"pid, merchant_id, sku_id, hex_id, name, mrp, price, pack_size_label, sku_type, "          \
	"rx_required, active, gtin, weight, dimensions, on_hand, reserved, inbound, on_hold, "     \
	"last_movement, created, updated"

static struct store_sql q_prod_by_sku = {
    .sql = "SELECT " PRODUCT_COLS " FROM products WHERE merchant_id = ? AND sku_id = ?"};
static struct store_sql q_prod_by_hex = {.sql = "SELECT " PRODUCT_COLS
						" FROM products WHERE hex_id = ?"};
static struct store_sql q_prod_insert = {
    .sql = "INSERT INTO products (merchant_id, sku_id, hex_id, name, mrp, price, "
	   "pack_size_label, sku_type, rx_required, active, gtin, weight, dimensions, on_hand, "
	   "inbound, on_hold, last_movement, created, updated) "
	   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
	   "ON CONFLICT (merchant_id, sku_id) DO NOTHING"};
static struct store_sql q_prod_update = {
    .sql = "UPDATE products SET name = ?, mrp = ?, price = ?, pack_size_label = ?, "
	   "sku_type = ?, rx_required = ?, active = ?, gtin = ?, weight = ?, dimensions = ?, "
	   "updated = ? WHERE merchant_id = ? AND sku_id = ?"};
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
static struct store_sql q_ledger = {
    .sql = "INSERT INTO stock_ledger (pid, delta_on_hand, delta_reserved, reason, order_id, at) "
	   "VALUES (?, ?, ?, ?, ?, ?)"};

#define COUPON_COLS                                                                                \
	"code, kind, value, max_discount, min_cart_value, valid_from, valid_to, usage_limit, "     \
	"used_count, merchant_id"

static struct store_sql q_coupon_load = {.sql =
					     "SELECT " COUPON_COLS " FROM coupons WHERE code = ?"};
static struct store_sql q_coupon_insert = {
    .sql = "INSERT INTO coupons (code, kind, value, max_discount, min_cart_value, valid_from, "
	   "valid_to, usage_limit, merchant_id, created, updated) "
	   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (code) DO NOTHING"};
static struct store_sql q_coupon_update = {
    .sql = "UPDATE coupons SET kind = ?, value = ?, max_discount = ?, min_cart_value = ?, "
	   "valid_from = ?, valid_to = ?, usage_limit = ?, merchant_id = ?, updated = ? "
	   "WHERE code = ?"};
static struct store_sql q_coupon_use = {
    .sql = "UPDATE coupons SET used_count = used_count + 1, updated = ? "
	   "WHERE code = ? AND (usage_limit IS NULL OR used_count < usage_limit)"};
static struct store_sql q_coupon_exists = {.sql = "SELECT COUNT(*) FROM coupons WHERE code = ?"};

static struct store_sql q_pin_load = {
    .sql = "SELECT pincode, serviceable, eta_min_days, eta_max_days FROM pincodes "
	   "WHERE pincode = ?"};
static struct store_sql q_pin_insert = {
    .sql = "INSERT INTO pincodes (pincode, serviceable, eta_min_days, eta_max_days, updated) "
	   "VALUES (?, ?, ?, ?, ?) ON CONFLICT (pincode) DO NOTHING"};
static struct store_sql q_pin_update = {
    .sql = "UPDATE pincodes SET serviceable = ?, eta_min_days = ?, eta_max_days = ?, "
	   "updated = ? WHERE pincode = ?"};

/* An optional integer (CATALOG_NONE) as a parameter. */
static struct store_val opt_int(int64_t v)
{
	return v == CATALOG_NONE ? SV_NULL : SV_INT(v);
}

/* Text held in an array: SV_TEXT's NULL test would always be true there. */
static struct store_val text_arg(const char *s)
{
	return SV_TEXT(s);
}

static char *dup_col(struct store_rows *r, int col)
{
	const char *s = store_text(r, col);
	return s ? xstrdup(s) : NULL;
}

static int64_t opt_col(struct store_rows *r, int col)
{
	return store_is_null(r, col) ? CATALOG_NONE : store_int(r, col);
}

/* ---- products ---- */

static void product_from_row(struct store_rows *r, struct product *p)
{
	p->pid = store_int(r, 0);
	p->merchant_id = dup_col(r, 1);
	p->sku_id = dup_col(r, 2);
	p->hex_id = dup_col(r, 3);
	p->name = dup_col(r, 4);
	p->mrp = store_int(r, 5);
	p->price = store_int(r, 6);
	p->pack_size_label = dup_col(r, 7);
	p->sku_type = dup_col(r, 8);
	p->rx_required = (int)store_int(r, 9);
	p->active = (int)store_int(r, 10);
	p->gtin = dup_col(r, 11);
	p->weight = opt_col(r, 12);
	p->dimensions = dup_col(r, 13);
	p->on_hand = store_int(r, 14);
	p->reserved = store_int(r, 15);
	p->inbound = store_int(r, 16);
	p->on_hold = store_int(r, 17);
	p->last_movement = opt_col(r, 18);
	p->created = store_int(r, 19);
	p->updated = store_int(r, 20);
}

static enum apo_result load_one(struct store_conn *c, struct store_sql *q,
				const struct store_val *args, size_t n, struct product *out)
{
	struct store_rows *rows;
	enum apo_result rc = store_exec(c, q, args, n, &rows);
	if (rc != APO_OK)
		return rc;
	if (store_next(rows))
		product_from_row(rows, out);
	else
		rc = APO_ERR_NOT_FOUND;
	store_rows_free(rows);
	return rc;
}

enum apo_result product_load(struct store_conn *c, const char *merchant_id, const char *sku_id,
			     struct product *out)
{
	struct store_val args[] = {SV_TEXT(merchant_id ? merchant_id : ""), SV_TEXT(sku_id)};
	return load_one(c, &q_prod_by_sku, args, 2, out);
}

enum apo_result product_load_by_hex(struct store_conn *c, const char *hex_id, struct product *out)
{
	struct store_val arg = SV_TEXT(hex_id);
	return load_one(c, &q_prod_by_hex, &arg, 1, out);
}

enum apo_result product_load_many(struct store_conn *c, const char *merchant_id,
				  const char *const *sku_ids, size_t n, struct product *out,
				  int *found)
{
	for (size_t i = 0; i < n; i++) {
		enum apo_result rc = product_load(c, merchant_id, sku_ids[i], &out[i]);
		if (rc != APO_OK && rc != APO_ERR_NOT_FOUND)
			return rc;
		found[i] = rc == APO_OK;
	}
	return APO_OK;
}

/* Reads a product's stock counters by (catalog, sku) or, with sku NULL, by pid. */
static enum apo_result stock_row(struct store_conn *c, const char *merchant_id, const char *sku_id,
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

static enum apo_result ledger_add(struct store_conn *c, int64_t pid, int64_t d_on_hand,
				  int64_t d_reserved, const char *reason, const char *order_id)
{
	struct store_val args[] = {SV_INT(pid),	       SV_INT(d_on_hand),
				   SV_INT(d_reserved), SV_TEXT(reason ? reason : "adjust"),
				   SV_TEXT(order_id),  SV_INT(now_epoch())};
	/* Nothing waits on the ledger row: it goes with the next statement. */
	return store_exec_later(c, &q_ledger, args, 6);
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
static enum apo_result announce_stock(struct store_conn *c, const struct stock_state *st)
{
	if (!st->merchant_id[0] || !observer)
		return APO_OK;
	return observer(c, st);
}

/* Copies a product's name and gtin (either may be NULL) into st. */
static void stock_state_names(struct stock_state *st, const char *name, const char *gtin)
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
static enum apo_result set_on_hand(struct store_conn *c, int64_t pid, int64_t target,
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

/*
 * Within a write transaction: inserts p with on_hand units unless its
 * (merchant_id, sku_id) exists; *created tells which, and hex receives the
 * 24-hex id it was given (when it was created).
 */
static enum apo_result insert_new(struct store_conn *c, const struct product *p, int64_t on_hand,
				  int *created, char hex[HEX_ID_LEN + 1])
{
	int64_t now = now_epoch();
	const char *mid = p->merchant_id ? p->merchant_id : "";
	const char *label = p->pack_size_label ? p->pack_size_label : "";
	const char *type = p->sku_type ? p->sku_type : "";

	if (p->hex_id)
		fmt_into(hex, HEX_ID_LEN + 1, "%s", p->hex_id);
	else
		ids_hex_id(hex);
	struct store_val ins[] = {SV_TEXT(mid),
				  SV_TEXT(p->sku_id),
				  text_arg(hex),
				  SV_TEXT(p->name),
				  SV_INT(p->mrp),
				  SV_INT(p->price),
				  SV_TEXT(label),
				  SV_TEXT(type),
				  SV_INT(p->rx_required != 0),
				  SV_INT(p->active != 0),
				  SV_TEXT(p->gtin),
				  opt_int(p->weight),
				  SV_TEXT(p->dimensions),
				  SV_INT(on_hand),
				  SV_INT(p->inbound),
				  SV_INT(p->on_hold),
				  on_hand ? SV_INT(now) : SV_NULL,
				  SV_INT(now),
				  SV_INT(now)};
	enum apo_result rc = store_exec(c, &q_prod_insert, ins, sizeof(ins) / sizeof(ins[0]), NULL);
	if (rc == APO_OK)
		*created = store_changes(c) == 1;
	return rc;
}

/* Within a write transaction: the upsert of product_upsert(). */
static enum apo_result upsert_in_tx(struct store_conn *c, const struct product *p, int set_stock,
				    const char *reason, int *created)
{
	char hex[HEX_ID_LEN + 1];
	int64_t now = now_epoch();
	int64_t on_hand = set_stock ? p->on_hand : 0;
	const char *mid = p->merchant_id ? p->merchant_id : "";
	const char *label = p->pack_size_label ? p->pack_size_label : "";
	const char *type = p->sku_type ? p->sku_type : "";
	enum apo_result rc;

	if ((rc = insert_new(c, p, on_hand, created, hex)) != APO_OK)
		return rc;
	if (!*created) {
		struct store_val upd[] = {
		    SV_TEXT(p->name),	    SV_INT(p->mrp),   SV_INT(p->price),
		    SV_TEXT(label),	    SV_TEXT(type),    SV_INT(p->rx_required != 0),
		    SV_INT(p->active != 0), SV_TEXT(p->gtin), opt_int(p->weight),
		    SV_TEXT(p->dimensions), SV_INT(now),      SV_TEXT(mid),
		    SV_TEXT(p->sku_id)};
		rc = store_exec(c, &q_prod_update, upd, sizeof(upd) / sizeof(upd[0]), NULL);
		if (rc != APO_OK)
			return rc;
	}
	if (!set_stock || (*created && on_hand == 0))
		return APO_OK;
	int64_t pid, old, reserved;
	rc = stock_row(c, mid, p->sku_id, &pid, &old, &reserved);
	if (rc != APO_OK)
		return rc;
	if (!*created)
		return set_on_hand(c, pid, on_hand, reason);
	struct stock_state st = {
	    .on_hand = on_hand, .inbound = p->inbound, .on_hold = p->on_hold, .last_movement = now};
	fmt_into(st.merchant_id, sizeof(st.merchant_id), "%s", mid);
	fmt_into(st.sku_id, sizeof(st.sku_id), "%s", p->sku_id);
	fmt_into(st.hex_id, sizeof(st.hex_id), "%s", hex);
	stock_state_names(&st, p->name, p->gtin);
	rc = ledger_add(c, pid, on_hand, 0, reason, NULL);
	return rc == APO_OK ? announce_stock(c, &st) : rc;
}

enum apo_result product_upsert(struct store_conn *c, const struct product *p, int set_stock,
			       int *created)
{
	enum apo_result rc = store_begin(c, STORE_TX_WRITE);
	if (rc != APO_OK)
		return rc;
	rc = upsert_in_tx(c, p, set_stock, "set", created);
	if (rc == APO_OK)
		rc = store_commit(c);
	if (rc != APO_OK)
		store_rollback(c);
	return rc;
}

enum apo_result product_ensure(struct store_conn *c, const struct product *p, int64_t *pid,
			       int *created)
{
	int64_t on_hand, reserved;
	char hex[HEX_ID_LEN + 1];
	enum apo_result rc = insert_new(c, p, 0, created, hex);
	if (rc != APO_OK)
		return rc;
	return stock_row(c, p->merchant_id, p->sku_id, pid, &on_hand, &reserved);
}

static struct store_sql q_prod_count = {.sql =
					    "SELECT COUNT(*) FROM products WHERE merchant_id = ?"};
static struct store_sql q_prod_page = {.sql = "SELECT " PRODUCT_COLS
					      " FROM products WHERE merchant_id = ? ORDER BY pid "
					      "LIMIT ? OFFSET ?"};

enum apo_result product_page(struct store_conn *c, const char *merchant_id, int64_t offset,
			     int64_t limit, void (*fn)(const struct product *p, void *ctx),
			     void *ctx, int64_t *total)
{
	struct store_rows *rows;
	struct store_val by_merchant = SV_TEXT(merchant_id ? merchant_id : "");
	enum apo_result rc = store_query_int(c, &q_prod_count, &by_merchant, 1, total);
	if (rc != APO_OK)
		return rc;
	struct store_val args[] = {by_merchant, SV_INT(limit), SV_INT(offset)};
	if ((rc = store_exec(c, &q_prod_page, args, 3, &rows)) != APO_OK)
		return rc;
	while (store_next(rows)) {
		struct product p;
		product_init(&p);
		product_from_row(rows, &p);
		fn(&p, ctx);
		product_release(&p);
	}
	store_rows_free(rows);
	return APO_OK;
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

/* ---- coupons ---- */

/* The stored (upper-case) form of a code; -1 when it cannot be one. */
static int coupon_key(const char *code, char out[COUPON_MAX_CODE + 1])
{
	if (!code || strlen(code) > COUPON_MAX_CODE)
		return -1;
	fmt_into(out, COUPON_MAX_CODE + 1, "%s", code);
	coupon_code_upper(out);
	return 0;
}

enum apo_result coupon_load(struct store_conn *c, const char *code, struct coupon *out)
{
	char key[COUPON_MAX_CODE + 1];
	struct store_rows *rows;
	if (coupon_key(code, key))
		return APO_ERR_NOT_FOUND;
	struct store_val arg = text_arg(key);
	enum apo_result rc = store_exec(c, &q_coupon_load, &arg, 1, &rows);
	if (rc != APO_OK)
		return rc;
	if (!store_next(rows)) {
		store_rows_free(rows);
		return APO_ERR_NOT_FOUND;
	}
	const char *kind = store_text(rows, 1);
	out->code = dup_col(rows, 0);
	out->kind = kind && strcmp(kind, "flat") == 0 ? COUPON_FLAT : COUPON_PERCENT;
	out->value = store_int(rows, 2);
	out->max_discount = opt_col(rows, 3);
	out->min_cart_value = opt_col(rows, 4);
	out->valid_from = opt_col(rows, 5);
	out->valid_to = opt_col(rows, 6);
	out->usage_limit = opt_col(rows, 7);
	out->used_count = store_int(rows, 8);
	out->merchant_id = dup_col(rows, 9);
	store_rows_free(rows);
	return APO_OK;
}

enum apo_result coupon_save(struct store_conn *c, const struct coupon *cp, int *created)
{
	char key[COUPON_MAX_CODE + 1];
	int64_t now = now_epoch();
	if (coupon_key(cp->code, key))
		return APO_ERR_INVALID;
	enum apo_result rc = store_begin(c, STORE_TX_WRITE);
	if (rc != APO_OK)
		return rc;
	struct store_val ins[] = {text_arg(key),
				  SV_TEXT(coupon_kind_name(cp->kind)),
				  SV_INT(cp->value),
				  opt_int(cp->max_discount),
				  opt_int(cp->min_cart_value),
				  opt_int(cp->valid_from),
				  opt_int(cp->valid_to),
				  opt_int(cp->usage_limit),
				  SV_TEXT(cp->merchant_id),
				  SV_INT(now),
				  SV_INT(now)};
	rc = store_exec(c, &q_coupon_insert, ins, 11, NULL);
	if (rc == APO_OK) {
		*created = store_changes(c) == 1;
		if (!*created) {
			struct store_val upd[] = {SV_TEXT(coupon_kind_name(cp->kind)),
						  SV_INT(cp->value),
						  opt_int(cp->max_discount),
						  opt_int(cp->min_cart_value),
						  opt_int(cp->valid_from),
						  opt_int(cp->valid_to),
						  opt_int(cp->usage_limit),
						  SV_TEXT(cp->merchant_id),
						  SV_INT(now),
						  text_arg(key)};
			rc = store_exec(c, &q_coupon_update, upd, 10, NULL);
		}
	}
	if (rc == APO_OK)
		rc = store_commit(c);
	if (rc != APO_OK)
		store_rollback(c);
	return rc;
}

enum apo_result coupon_use(struct store_conn *c, const char *code)
{
	char key[COUPON_MAX_CODE + 1];
	int64_t n;
	if (coupon_key(code, key))
		return APO_ERR_NOT_FOUND;
	struct store_val args[] = {SV_INT(now_epoch()), text_arg(key)};
	enum apo_result rc = store_exec(c, &q_coupon_use, args, 2, NULL);
	if (rc != APO_OK)
		return rc;
	if (store_changes(c) == 1)
		return APO_OK;
	rc = store_query_int(c, &q_coupon_exists, &args[1], 1, &n);
	if (rc != APO_OK)
		return rc;
	return n ? APO_ERR_CONFLICT : APO_ERR_NOT_FOUND;
}

/* ---- pincodes ---- */

enum apo_result pincode_load(struct store_conn *c, const char *pincode, struct pincode_entry *out)
{
	struct store_rows *rows;
	if (!pincode_valid(pincode))
		return APO_ERR_NOT_FOUND;
	struct store_val arg = text_arg(pincode);
	enum apo_result rc = store_exec(c, &q_pin_load, &arg, 1, &rows);
	if (rc != APO_OK)
		return rc;
	if (store_next(rows)) {
		memset(out, 0, sizeof(*out));
		fmt_into(out->pincode, sizeof(out->pincode), "%s", pincode);
		out->serviceable = (int)store_int(rows, 1);
		out->eta_min_days = opt_col(rows, 2);
		out->eta_max_days = opt_col(rows, 3);
	} else {
		rc = APO_ERR_NOT_FOUND;
	}
	store_rows_free(rows);
	return rc;
}

/* Within a write transaction: the upsert of pincode_save(). */
static enum apo_result pincode_upsert_in_tx(struct store_conn *c, const struct pincode_entry *p,
					    int *created)
{
	int64_t now = now_epoch();
	struct store_val ins[] = {text_arg(p->pincode), SV_INT(p->serviceable != 0),
				  opt_int(p->eta_min_days), opt_int(p->eta_max_days), SV_INT(now)};
	enum apo_result rc = store_exec(c, &q_pin_insert, ins, 5, NULL);
	if (rc != APO_OK)
		return rc;
	*created = store_changes(c) == 1;
	if (*created)
		return APO_OK;
	struct store_val upd[] = {SV_INT(p->serviceable != 0), opt_int(p->eta_min_days),
				  opt_int(p->eta_max_days), SV_INT(now), text_arg(p->pincode)};
	return store_exec(c, &q_pin_update, upd, 5, NULL);
}

enum apo_result pincode_save(struct store_conn *c, const struct pincode_entry *p, int *created)
{
	if (!pincode_valid(p->pincode))
		return APO_ERR_INVALID;
	enum apo_result rc = store_begin(c, STORE_TX_WRITE);
	if (rc != APO_OK)
		return rc;
	rc = pincode_upsert_in_tx(c, p, created);
	if (rc == APO_OK)
		rc = store_commit(c);
	if (rc != APO_OK)
		store_rollback(c);
	return rc;
}

/* ---- imports ---- */

/* Words for a failed import; bad is the failing row, or n when commit failed. */
static void import_failure(enum apo_result rc, size_t line, size_t bad, size_t n, char *err,
			   size_t cap)
{
	if (bad == n)
		fmt_into(err, cap, "the import could not be committed (%s); nothing was imported",
			 apo_result_name(rc));
	else
		fmt_into(err, cap, "line %zu: cannot be stored (%s); nothing was imported", line,
			 apo_result_name(rc));
}

enum apo_result product_import(struct store_conn *c, const struct sku_row *rows, size_t n,
			       size_t *created, char *err, size_t cap)
{
	size_t i;
	*created = 0;
	enum apo_result rc = store_begin(c, STORE_TX_WRITE);
	if (rc != APO_OK) {
		fmt_into(err, cap, "the database is busy (%s); nothing was imported",
			 apo_result_name(rc));
		return rc;
	}
	for (i = 0; i < n; i++) {
		int made = 0;
		rc = upsert_in_tx(c, &rows[i].p, rows[i].set_stock, "import", &made);
		if (rc != APO_OK)
			break;
		*created += (size_t)made;
	}
	if (rc == APO_OK)
		rc = store_commit(c);
	if (rc == APO_OK)
		return APO_OK;
	store_rollback(c);
	*created = 0;
	if (rc == APO_ERR_INSUFFICIENT && i < n)
		fmt_into(err, cap,
			 "line %zu: stock %lld is below the units reserved by open orders for "
			 "sku_id %s; nothing was imported",
			 rows[i].line, (long long)rows[i].p.on_hand, rows[i].p.sku_id);
	else
		import_failure(rc, i < n ? rows[i].line : 0, i, n, err, cap);
	return rc;
}

enum apo_result pincode_import(struct store_conn *c, const struct pincode_row *rows, size_t n,
			       size_t *created, char *err, size_t cap)
{
	size_t i;
	*created = 0;
	enum apo_result rc = store_begin(c, STORE_TX_WRITE);
	if (rc != APO_OK) {
		fmt_into(err, cap, "the database is busy (%s); nothing was imported",
			 apo_result_name(rc));
		return rc;
	}
	for (i = 0; i < n; i++) {
		int made = 0;
		rc = pincode_upsert_in_tx(c, &rows[i].e, &made);
		if (rc != APO_OK)
			break;
		*created += (size_t)made;
	}
	if (rc == APO_OK)
		rc = store_commit(c);
	if (rc == APO_OK)
		return APO_OK;
	store_rollback(c);
	*created = 0;
	import_failure(rc, i < n ? rows[i].line : 0, i, n, err, cap);
	return rc;
}

enum apo_result catalog_import_skus_csv(struct store_conn *c, const char *data, size_t len,
					size_t *imported, size_t *created, char *err, size_t cap)
{
	struct sku_row *rows;
	size_t n;
	*imported = *created = 0;
	if (catalog_csv_skus(data, len, &rows, &n, err, cap))
		return APO_ERR_INVALID;
	enum apo_result rc = product_import(c, rows, n, created, err, cap);
	if (rc == APO_OK)
		*imported = n;
	catalog_sku_rows_free(rows, n);
	return rc;
}

enum apo_result catalog_import_pincodes_csv(struct store_conn *c, const char *data, size_t len,
					    size_t *imported, size_t *created, char *err,
					    size_t cap)
{
	struct pincode_row *rows;
	size_t n;
	*imported = *created = 0;
	if (catalog_csv_pincodes(data, len, &rows, &n, err, cap))
		return APO_ERR_INVALID;
	enum apo_result rc = pincode_import(c, rows, n, created, err, cap);
	if (rc == APO_OK)
		*imported = n;
	free(rows);
	return rc;
}
