/*
 * Products of the platform catalog and of logistics merchants in storage:
 * loads, upserts, pages and the all-or-nothing SKU import (see
 * repo_products.h). Their stock counters are repo_stock.c's.
 *
 * Portable SQL only: both backends run these statements. Upserts are an
 * INSERT ... ON CONFLICT DO NOTHING followed, when it inserted nothing, by
 * an UPDATE, which tells a new row from an old one on both.
 */
#include <stdlib.h>
#include <string.h>

#include "store/repo_products.h"
#include "store/repo_stock.h"
#include "store/store.h"
#include "store/repo_catalog_int.h"
#include "core/ids.h"
#include "base/clock.h"
#include "base/xalloc.h"
#include "base/buf.h"
#include "base/banned.h"

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

/* ---- products ---- */

/* Reads one PRODUCT_COLS row into the struct product out. */
static void product_from_row(struct store_rows *r, void *out)
{
	struct product *p = out;
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

enum apo_result product_load(struct store_conn *c, const char *merchant_id, const char *sku_id,
			     struct product *out)
{
	struct store_val args[] = {SV_TEXT(merchant_id ? merchant_id : ""), SV_TEXT(sku_id)};
	return store_query_row(c, &q_prod_by_sku, args, 2, product_from_row, out);
}

enum apo_result product_load_by_hex(struct store_conn *c, const char *hex_id, struct product *out)
{
	struct store_val arg = SV_TEXT(hex_id);
	return store_query_row(c, &q_prod_by_hex, &arg, 1, product_from_row, out);
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
static int pid_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/*
 * Within the import's transaction: locks the stock rows of the rows' products
 * that exist already, in ascending pid (the order every transaction takes
 * stock rows in), so that an import and a create or an allocation touching
 * the same products wait for each other instead of deadlocking.
 */
static enum apo_result lock_existing(struct store_conn *c, const struct sku_row *rows, size_t n)
{
	int64_t *pids = xcalloc(n ? n : 1, sizeof(*pids));
	size_t k = 0;
	enum apo_result rc = APO_OK;
	for (size_t i = 0; i < n && rc == APO_OK; i++) {
		int64_t pid = 0, on_hand, reserved;
		const char *mid = rows[i].p.merchant_id ? rows[i].p.merchant_id : "";
		rc = stock_row(c, mid, rows[i].p.sku_id, &pid, &on_hand, &reserved);
		if (rc == APO_OK)
			pids[k++] = pid;
		else if (rc == APO_ERR_NOT_FOUND)
			rc = APO_OK;
	}
	qsort(pids, k, sizeof(*pids), pid_cmp);
	for (size_t i = 0; i < k && rc == APO_OK; i++) {
		int64_t on_hand, reserved;
		if (i == 0 || pids[i] != pids[i - 1])
			rc = stock_lock(c, pids[i], &on_hand, &reserved);
	}
	free(pids);
	return rc;
}

enum apo_result import_rows(struct store_conn *c, size_t n, import_put put, const void *rows,
			    size_t *created, size_t *bad)
{
	enum apo_result rc = APO_OK;
	size_t i;
	for (i = 0; i < n; i++) {
		int made = 0;
		if ((rc = put(c, rows, i, &made)) != APO_OK)
			break;
		*created += (size_t)made;
	}
	if (rc == APO_OK && (rc = store_commit(c)) == APO_OK)
		return APO_OK;
	store_rollback(c);
	*created = 0;
	*bad = i;
	return rc;
}

static enum apo_result put_sku(struct store_conn *c, const void *rows, size_t i, int *made)
{
	const struct sku_row *row = (const struct sku_row *)rows + i;
	return upsert_in_tx(c, &row->p, row->set_stock, "import", made);
}

enum apo_result product_import(struct store_conn *c, const struct sku_row *rows, size_t n,
			       size_t *created, size_t *bad)
{
	*created = 0;
	*bad = IMPORT_NOT_STARTED;
	enum apo_result rc = store_begin(c, STORE_TX_WRITE);
	if (rc == APO_OK && (rc = lock_existing(c, rows, n)) != APO_OK)
		store_rollback(c);
	if (rc != APO_OK)
		return rc;
	return import_rows(c, n, put_sku, rows, created, bad);
}
