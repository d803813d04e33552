/*
 * The catalog in storage: products with their stock counters and stock
 * ledger, coupons and pincodes. Platform SKUs (the pharmacy dialect's
 * catalog) have merchant_id ""; a logistics merchant's products have its id.
 *
 * Stock invariant (0 <= reserved <= on_hand) is enforced by a CHECK
 * constraint and by conditional UPDATEs, so it holds across threads and
 * processes on both backends without any in-process lock.
 *
 * Every stock change of a logistics product (product_upsert with
 * set_stock, stock_adjust, stock_reserve, stock_release) is reported, in
 * the same transaction and with the counters after the change, to the one
 * stock observer the application registers at start (stock_observe();
 * service/stock_events.c turns it into the product.inventory.change
 * webhook). A call that changes nothing reports nothing, and the platform
 * catalog's changes are never reported.
 */
#ifndef APO_REPO_CATALOG_H
#define APO_REPO_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#include "base/result.h"
#include "core/catalog.h"
#include "core/catalog_csv.h"
#include "core/ids.h"
#include "core/merchant.h"

struct store_conn;

/* The longest gtin a stock change reports (the logistics API takes 64). */
#define STOCK_MAX_GTIN 64

/* A merchant product's stock after a change, with what names the product. */
struct stock_state {
	char merchant_id[MERCHANT_MAX_ID + 1];
	char sku_id[SKU_MAX_ID + 1];
	char hex_id[HEX_ID_LEN + 1];
	char name[PRODUCT_MAX_NAME + 1];
	char gtin[STOCK_MAX_GTIN + 1];
	int has_gtin; /* 0: the product has no gtin */
	int64_t on_hand, reserved, inbound, on_hold;
	int64_t last_movement; /* epoch seconds, or CATALOG_NONE */
};

/*
 * Hears every stock change of a merchant's product inside the changing
 * transaction; an error it returns fails (and rolls back) the change.
 */
typedef enum apo_result (*stock_observer)(struct store_conn *c, const struct stock_state *st);

/*
 * Registers the stock observer (NULL: none). Set once at start, before any
 * thread changes stock; read without a lock afterwards.
 */
void stock_observe(stock_observer fn);

/*
 * Hears, inside the changing transaction, that product pid (any catalog)
 * has more units available than before: on_hand went up (stock_adjust,
 * product_upsert or an import setting a higher count) or reserved units
 * were given back (stock_release without ship; order_id names the order
 * that gave them). Set once at start (NULL: none); it cannot fail the
 * change.
 */
typedef void (*stock_rise_observer)(struct store_conn *c, int64_t pid, const char *order_id);
void stock_observe_rise(stock_rise_observer fn);


/*
 * Loads one product (product_init'ed by the caller). APO_ERR_NOT_FOUND when
 * there is none. Runs inside the caller's transaction if one is open.
 */
enum apo_result product_load(struct store_conn *c, const char *merchant_id, const char *sku_id,
			     struct product *out);

/* Loads by the 24-hex id (any catalog). */
enum apo_result product_load_by_hex(struct store_conn *c, const char *hex_id,
				    struct product *out);

/*
 * Loads n products of one catalog at once. out[i] receives sku_ids[i];
 * found[i] is set to 1 when it exists, else 0 and out[i] stays initialised.
 */
enum apo_result product_load_many(struct store_conn *c, const char *merchant_id,
				  const char *const *sku_ids, size_t n, struct product *out,
				  int *found);

/*
 * Available units (on_hand - reserved, never below 0) of the platform
 * catalog's sku_ids[0..n) into avail[i], or -1 for an SKU that is not in
 * it, in one statement whatever n is. The ids must pass sku_id_valid().
 * For quotes: what it reads may be gone by the time an order reserves.
 */
enum apo_result stock_available_many(struct store_conn *c, const char *const *sku_ids, size_t n,
				     int64_t *avail);

/*
 * Inserts or updates a product's descriptive fields (not its stock unless
 * set_stock, which sets on_hand and records a ledger movement). *created is
 * 1 when a new row was made. Runs in its own transaction.
 *
 * Descriptive fields are name, mrp, price, pack_size_label, sku_type,
 * rx_required, active, gtin, weight and dimensions; inbound and on_hold are
 * written only when the row is new. A new product keeps p->hex_id when set,
 * else gets a fresh one. Setting on_hand below the reserved units is
 * refused with APO_ERR_INSUFFICIENT and changes nothing.
 */
enum apo_result product_upsert(struct store_conn *c, const struct product *p, int set_stock,
			       int *created);

/*
 * In the caller's write transaction: makes sure the catalog has a product
 * with p's (merchant_id, sku_id). When it has none, inserts p as
 * product_upsert() would, without stock, and sets *created to 1; an
 * existing product is left as it is (*created 0). Either way *pid is the
 * product's row. Safe against a concurrent insert of the same product: the
 * loser of the race finds the winner's row.
 */
enum apo_result product_ensure(struct store_conn *c, const struct product *p, int64_t *pid,
			       int *created);

/*
 * One page of a catalog (merchant_id, "" for the platform's) in pid order:
 * calls fn for each of at most limit products after skipping offset, and
 * sets *total to the number of products in the catalog. The count and the
 * page are two statements, not one snapshot: a product added in between
 * may show in one and not the other.
 */
enum apo_result product_page(struct store_conn *c, const char *merchant_id, int64_t offset,
			     int64_t limit, void (*fn)(const struct product *p, void *ctx),
			     void *ctx, int64_t *total);

/*
 * Adjusts on_hand by delta (or sets it to *set when set is not NULL) and
 * records a ledger row with reason. Refuses (APO_ERR_INSUFFICIENT) a change
 * that would take on_hand below reserved or below zero. On success fills
 * *on_hand and *reserved with the new values. Own transaction.
 * APO_ERR_NOT_FOUND for an unknown product; APO_ERR_INVALID when on_hand
 * would exceed CATALOG_MAX_STOCK. A change of 0 records no ledger row.
 */
enum apo_result stock_adjust(struct store_conn *c, const char *merchant_id, const char *sku_id,
			     int64_t delta, const int64_t *set, const char *reason,
			     int64_t *on_hand, int64_t *reserved);

/*
 * Within the caller's write transaction: reserves qty units of product pid
 * if on_hand - reserved >= qty (one conditional UPDATE) and records a ledger
 * row for order_id. APO_ERR_INSUFFICIENT when not enough is available.
 */
enum apo_result stock_reserve(struct store_conn *c, int64_t pid, int64_t qty, const char *order_id);

/*
 * Within the caller's write transaction: gives back qty reserved units
 * (cancel) — or, with ship != 0, removes them from on_hand too (dispatch).
 * APO_ERR_CONFLICT when fewer than qty units are reserved (a caller's bug:
 * nothing changes).
 */
enum apo_result stock_release(struct store_conn *c, int64_t pid, int64_t qty, const char *order_id,
			      int ship);

/*
 * Within the caller's write transaction: locks product pid's stock row
 * until commit (PostgreSQL SELECT ... FOR UPDATE; SQLite's writer is
 * already alone) and reads its counters. A transaction that locks several
 * takes them in ascending pid, as every stock change does.
 * APO_ERR_NOT_FOUND for an unknown pid.
 */
enum apo_result stock_lock(struct store_conn *c, int64_t pid, int64_t *on_hand, int64_t *reserved);

/* Reads product pid's stock counters (no lock). APO_ERR_NOT_FOUND when unknown. */
enum apo_result stock_counts(struct store_conn *c, int64_t pid, int64_t *on_hand,
			     int64_t *reserved);

/* Coupons: load by code, insert or replace (keeping used_count). Codes
 * are case-insensitive (see coupon_code_upper()). */
enum apo_result coupon_load(struct store_conn *c, const char *code, struct coupon *out);
enum apo_result coupon_save(struct store_conn *c, const struct coupon *cp, int *created);

/* Within the caller's transaction: counts one use if under the limit
 * (APO_ERR_CONFLICT when exhausted). */
enum apo_result coupon_use(struct store_conn *c, const char *code);

/* Pincodes: load (APO_ERR_NOT_FOUND when no entry), insert or replace. */
enum apo_result pincode_load(struct store_conn *c, const char *pincode, struct pincode_entry *out);
enum apo_result pincode_save(struct store_conn *c, const struct pincode_entry *p, int *created);

/*
 * Imports, all or nothing: every row is written in one write transaction,
 * or none is. SKU rows are upserted into the platform catalog like
 * product_upsert() (stock set only where the row sets it, with a ledger
 * movement "import"); pincode rows like pincode_save(). *created counts the
 * new rows. A row that cannot be stored (stock below what open orders have
 * reserved: APO_ERR_INSUFFICIENT) fails the import with a message naming
 * its line in err (cap bytes).
 */
enum apo_result product_import(struct store_conn *c, const struct sku_row *rows, size_t n,
			       size_t *created, char *err, size_t cap);
enum apo_result pincode_import(struct store_conn *c, const struct pincode_row *rows, size_t n,
			       size_t *created, char *err, size_t cap);

/*
 * The whole import of a CSV file's bytes (core/catalog_csv.h's formats),
 * shared by the admin API and the CLI: parse and validate every line, then
 * product_import()/pincode_import(). APO_ERR_INVALID with the bad line in
 * err when the file is refused; *imported and *created count the rows.
 */
enum apo_result catalog_import_skus_csv(struct store_conn *c, const char *data, size_t len,
					size_t *imported, size_t *created, char *err, size_t cap);
enum apo_result catalog_import_pincodes_csv(struct store_conn *c, const char *data, size_t len,
					    size_t *imported, size_t *created, char *err,
					    size_t cap);

#endif
