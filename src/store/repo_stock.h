/*
 * Stock in storage: a product's counters (on_hand, reserved), the stock
 * ledger that records every movement, and the observers that hear the
 * changes. Products themselves are repo_products.h's.
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
 *
 * Nothing here returns allocated memory: results go into the caller's
 * variables and arrays.
 */
#ifndef APO_REPO_STOCK_H
#define APO_REPO_STOCK_H

#include <stddef.h>
#include <stdint.h>

#include "base/result.h"
#include "core/catalog.h"
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
 * Available units (on_hand - reserved, never below 0) of the platform
 * catalog's sku_ids[0..n) into avail[i], or -1 for an SKU that is not in
 * it, in one statement whatever n is. The ids must pass sku_id_valid().
 * For quotes: what it reads may be gone by the time an order reserves.
 */
enum apo_result stock_available_many(struct store_conn *c, const char *const *sku_ids, size_t n,
				     int64_t *avail);

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
 * stock_reserve() for a platform catalog product (merchant_id ""), whose
 * changes nobody observes, made to travel with the commit: the
 * reservation and its ledger row are held back (store_exec_guarded()), so
 * on PostgreSQL the product's row is locked only while the server
 * commits instead of across round trips. When not enough is available
 * the transaction fails with APO_ERR_INSUFFICIENT — from this call, the
 * next statement or store_commit() — and store_guard_tag(c) answers tag.
 * A product of a merchant is refused the same way (it must go through
 * stock_reserve(), whose change is announced).
 */
enum apo_result stock_reserve_at_commit(struct store_conn *c, int64_t pid, int64_t qty,
					const char *order_id, int64_t tag);

/* One line's reservation among many (stock_reserve_takes_at_commit()). */
struct stock_take {
	int64_t pid;
	int64_t qty;
	const char *order_id;
	int64_t tag; /* store_guard_tag() when its product's total is refused */
};

/*
 * stock_reserve_at_commit() of n reservations at once (the lines of
 * several orders in one transaction), sorted by product: every one's
 * ledger row in one statement, and one conditional UPDATE per product of
 * its reservations' total, so a product's row is written once; the tag of
 * a product's first reservation is the refusal's. Fails as a whole when a
 * product's total is not available.
 */
enum apo_result stock_reserve_takes_at_commit(struct store_conn *c, const struct stock_take *t,
					      size_t n);

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

#endif
