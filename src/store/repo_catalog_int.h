/*
 * Internal to the catalog's storage files (repo_products.c, repo_stock.c,
 * repo_coupons.c, repo_pincodes.c): the column helpers they all use, and
 * the few calls one of them makes into another inside a transaction the
 * caller already holds. Nothing outside store/ includes it.
 *
 * Ownership: dup_col() returns a copy the caller frees (NULL for SQL
 * NULL); text_arg() borrows its string for as long as the statement runs.
 */
#ifndef APO_REPO_CATALOG_INT_H
#define APO_REPO_CATALOG_INT_H

#include <stddef.h>
#include <stdint.h>

#include "base/result.h"
#include "core/catalog.h"
#include "store/repo_stock.h"
#include "store/store.h"
#include "base/xalloc.h"

/* An optional integer (CATALOG_NONE) as a parameter. */
static inline struct store_val opt_int(int64_t v)
{
	return v == CATALOG_NONE ? SV_NULL : SV_INT(v);
}

/* Text held in an array: SV_TEXT's NULL test would always be true there. */
static inline struct store_val text_arg(const char *s)
{
	return SV_TEXT(s);
}

static inline char *dup_col(struct store_rows *r, int col)
{
	const char *s = store_text(r, col);
	return s ? xstrdup(s) : NULL;
}

static inline int64_t opt_col(struct store_rows *r, int col)
{
	return store_is_null(r, col) ? CATALOG_NONE : store_int(r, col);
}

/*
 * repo_stock.c, within the caller's transaction. stock_row reads a
 * product's counters by (catalog, sku) or, with sku_id NULL, by *pid.
 * ledger_add records one movement. announce_stock tells the stock observer
 * of a merchant product's change. stock_state_names copies a product's
 * name and gtin (either may be NULL) into st. set_on_hand sets on_hand by
 * compare-and-set, with a ledger row for reason.
 */
enum apo_result stock_row(struct store_conn *c, const char *merchant_id, const char *sku_id,
			  int64_t *pid, int64_t *on_hand, int64_t *reserved);
enum apo_result ledger_add(struct store_conn *c, int64_t pid, int64_t d_on_hand, int64_t d_reserved,
			   const char *reason, const char *order_id);
enum apo_result announce_stock(struct store_conn *c, const struct stock_state *st);
void stock_state_names(struct stock_state *st, const char *name, const char *gtin);
enum apo_result set_on_hand(struct store_conn *c, int64_t pid, int64_t target, const char *reason);

/*
 * repo_products.c: the all-or-nothing rest of an import, in a write
 * transaction the caller began: put(c, rows, i, &made) stores row i for
 * each i < n (made: 1 when the row is new). Commits when every row was
 * stored, else rolls back. *created and *bad as product_import() says
 * (the caller set them for a transaction that did not start).
 */
typedef enum apo_result (*import_put)(struct store_conn *c, const void *rows, size_t i, int *made);
enum apo_result import_rows(struct store_conn *c, size_t n, import_put put, const void *rows,
			    size_t *created, size_t *bad);

#endif
