/*
 * Products in storage: the platform catalog's SKUs (merchant_id "") and
 * logistics merchants' products (merchant_id their id). Stock counters are
 * set through here only as part of an upsert or an import; every other
 * stock movement is repo_stock.h's.
 *
 * Ownership: a loaded struct product owns its strings; the caller
 * product_init()s it first and product_release()s it after, also after an
 * error. product_page() lends each product to fn only for the call.
 */
#ifndef APO_REPO_PRODUCTS_H
#define APO_REPO_PRODUCTS_H

#include <stddef.h>
#include <stdint.h>

#include "base/result.h"
#include "core/catalog.h"
#include "core/catalog_csv.h"

struct store_conn;

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

/* The failing row of an import that could not start its transaction. */
#define IMPORT_NOT_STARTED ((size_t)-1)

/*
 * Imports, all or nothing: every row is written in one write transaction,
 * or none is. SKU rows are upserted into the platform catalog like
 * product_upsert() (stock set only where the row sets it, with a ledger
 * movement "import"). *created counts the new rows. On failure *bad says
 * where: the index of the row that could not be stored (stock below what
 * open orders have reserved: APO_ERR_INSUFFICIENT), n when the commit
 * failed, or IMPORT_NOT_STARTED when the transaction could not begin.
 * What to tell the operator is the caller's (service/catalog_import.h).
 */
enum apo_result product_import(struct store_conn *c, const struct sku_row *rows, size_t n,
			       size_t *created, size_t *bad);

#endif
