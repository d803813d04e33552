/*
 * Orders in storage: the order row with its lines and charges, status
 * moves with their history, payments, refunds and prescriptions. SQL
 * only: which move is allowed and what it does to stock and money is
 * decided by core (order_state.h, ledger.h) and carried out by
 * service/orders.c. Functions marked "in the caller's transaction" expect a
 * write transaction to be open (store_begin(c, STORE_TX_WRITE)) and leave
 * committing or rolling back to the caller, so one business action is one
 * transaction.
 *
 * Which lock protects what:
 * - one order per (merchant, merchant_order_id): the partial unique index
 *   orders_merchant_ref; a concurrent duplicate fails its INSERT.
 * - a status move happens once: order_move() is a compare-and-set
 *   (UPDATE ... WHERE oid = ? AND status_id = <expected>); on PostgreSQL the
 *   row lock taken by that UPDATE serializes racing movers until commit.
 * - stock never oversells: repo_stock's conditional UPDATEs.
 */
#ifndef APO_REPO_ORDERS_H
#define APO_REPO_ORDERS_H

#include <stddef.h>
#include <stdint.h>

#include "base/result.h"
#include "core/order.h"

struct store_conn;

/* Room for a payment API's transaction id (outbound/payment.h's limit + NUL). */
#define PAYMENT_TXN_CAP 129

enum order_key {
	ORDER_BY_ORDER_ID, /* "PO..." */
	ORDER_BY_HEX_ID,   /* 24 hex */
	ORDER_BY_ANY_ID,   /* either of the two, told apart by shape */
	ORDER_BY_REF,	   /* merchant_order_id of a pharmacy order; needs merchant_id */
	ORDER_BY_TRACKING, /* the public tracking code (SPEC §6); any dialect */
};

/*
 * Loads one order with its lines and charges into o (order_init'ed).
 * merchant_id limits the search to that merchant's orders (NULL: any).
 * APO_ERR_NOT_FOUND when there is none — also when it belongs to another
 * merchant, so tenants cannot probe each other's ids. ORDER_BY_TRACKING
 * serves the public tracking page, which has no merchant: pass NULL.
 */
enum apo_result order_load(struct store_conn *c, enum order_key by, const char *merchant_id,
			   const char *key, struct order *o);

/* Reloads o from storage by its oid (after a concurrent change). */
enum apo_result order_reload(struct store_conn *c, struct order *o);

/*
 * In the caller's write transaction: locks o's row until commit (PostgreSQL
 * SELECT ... FOR UPDATE; SQLite's writer is already alone) and reloads it
 * (only the version when o was read untouched and the row's version has
 * not moved: orders.version changes with anything an order holds),
 * so a read-check-move sequence sees the latest state and no concurrent
 * mover can slip in between. Racing requests queue here instead of failing
 * their compare-and-set.
 */
enum apo_result order_lock(struct store_conn *c, struct order *o);

/*
 * In the caller's transaction: inserts o with its lines and charges and
 * sets o->oid (unless o->oid was taken already, order_take_oid()),
 * o->created, o->updated. Records the first history entry (NULL ->
 * o->status_id) by actor. APO_ERR_CONFLICT on a duplicate (merchant,
 * merchant_order_id) or id.
 */
enum apo_result order_insert(struct store_conn *c, struct order *o, const char *actor);

/*
 * order_insert() of n orders whose row ids were taken already
 * (order_take_oids(); APO_ERR_INTERNAL without): their rows, then all
 * their lines, charges and first history entries, each table's rows in
 * one statement (store_insert_later()). Nothing needs a row back, so the
 * statements travel with the next one, and a duplicate is reported by
 * that statement — whatever it was — or by store_commit(). For a
 * transaction that rolls back on any failure (a batch of creates).
 */
enum apo_result order_insert_many_later(struct store_conn *c, struct order *const *os, size_t n,
					const char *actor);

/*
 * In the caller's write transaction: the row id the next order takes, for
 * what must be known before its INSERT (an ONLINE order's payment id is
 * derived from it, and goes into the row and its stored answer). The
 * INSERT must follow in the same transaction.
 */
enum apo_result order_take_oid(struct store_conn *c, int64_t *oid);

/* The most ids order_take_oids() takes at once. */
#define ORDER_MAX_TAKE 64

/* order_take_oid() for n (1..ORDER_MAX_TAKE) orders at once, into oids. */
enum apo_result order_take_oids(struct store_conn *c, size_t n, int64_t *oids);

/*
 * In the caller's transaction: rewrites what the merchant said about an
 * order that holds no stock (a logistics order while passive) — o's
 * merchant_order_id, user_json, address_json, extra_json, pincode, totals
 * and its lines, which replace the stored ones — provided the order is
 * still in the status o was loaded with. That check is a compare-and-set
 * on the order row, which on PostgreSQL also locks the row until commit,
 * so a concurrent move waits for this change (and vice versa).
 * APO_ERR_BUSY when the order moved meanwhile; APO_ERR_STATE when a line,
 * stored or new, holds a reservation or has cancelled units. On any error
 * the caller rolls back.
 */
enum apo_result order_replace(struct store_conn *c, struct order *o);

/*
 * In the caller's transaction: records o's move to status `to` (with
 * ever_confirmed set to `confirmed`) provided o is still in the status it
 * was loaded with — a compare-and-set on the row — with its history entry
 * (actor, note), and updates o. tracking_code, when o has none yet,
 * becomes its tracking code in the same row write (NULL: none given).
 * subtitle NULL keeps none. Decides
 * nothing: whether the move is allowed and what it does to stock are the
 * service's (core/order_state.h). APO_ERR_BUSY when another request moved
 * the order first.
 *
 * The row write is a store_exec_guarded() one (tag ORDER_MOVE_GUARD): on
 * PostgreSQL it travels with the transaction's next statement or its
 * COMMIT, so a compare-and-set that changed no row fails that statement
 * or the commit instead, with APO_ERR_INSUFFICIENT; order_move_lost()
 * tells that from a short stock, and the caller answers APO_ERR_BUSY.
 */
#define ORDER_MOVE_GUARD (-2)
int order_move_lost(struct store_conn *c, enum apo_result rc);
enum apo_result order_move(struct store_conn *c, struct order *o, int to, int confirmed,
			   const char *tracking_code,
			   const char *subtitle, const char *actor, const char *note);

/*
 * In the caller's transaction: reserves stock for every open unit of o's
 * lines that is not reserved yet (APO_ERR_INSUFFICIENT naming nothing;
 * the caller names the SKU via *short_line when not NULL).
 */
enum apo_result order_reserve_lines(struct store_conn *c, struct order *o, size_t *short_line);

/*
 * In the caller's transaction: gives back (ship: takes out of stock for
 * good) every unit o's lines hold, and records that they hold none.
 */
enum apo_result order_release_lines(struct store_conn *c, struct order *o, int ship);

/*
 * In the caller's transaction: records qty more cancelled units of line i
 * (qty <= its open quantity). Its reservation is the caller's to give back.
 */
enum apo_result order_cancel_units(struct store_conn *c, struct order *o, size_t i, int64_t qty);

/* In the caller's transaction: records that line i holds `reserved` units. */
enum apo_result order_line_set_reserved(struct store_conn *c, struct order *o, size_t i,
					int64_t reserved);

/* In the caller's transaction: what the order asks to be paid now. */
enum apo_result order_set_payable(struct store_conn *c, struct order *o, int64_t payable);

/* In the caller's transaction: small updates of one column each. */
enum apo_result order_set_flag(struct store_conn *c, int64_t oid, const char *flag);
enum apo_result order_set_shipment(struct store_conn *c, struct order *o, const char *partner,
				   const char *carrier_code);

/* Payments, refunds, prescriptions (in the caller's transaction). */
enum apo_result order_payment_add(struct store_conn *c, int64_t oid, const char *transaction_id,
				  int64_t amount, const char *status);
enum apo_result order_refund_add(struct store_conn *c, int64_t oid, const char *refund_id,
				 const char *transaction_id, int64_t amount, const char *type,
				 const char *reason);
enum apo_result order_rx_add(struct store_conn *c, int64_t oid, const char *url);
enum apo_result order_rx_set_status(struct store_conn *c, int64_t oid, const char *status);

/* Loads history, payments, refunds and prescriptions of order oid. */
enum apo_result order_extras_load(struct store_conn *c, int64_t oid, struct order_extras *x);

/* The sums of an order's money on record (core/ledger.h reads them). */
struct order_money {
	int64_t paid;		  /* successful payments */
	int64_t refund_initiated; /* refunds queued or done */
	int64_t refunded;	  /* refunds the payment API confirmed */
	char txn_id[PAYMENT_TXN_CAP]; /* a successful payment's transaction id, or "" */
};
enum apo_result order_money(struct store_conn *c, int64_t oid, struct order_money *m);

/* *known = 1 when order oid already has a payment with this transaction id. */
enum apo_result order_payment_known(struct store_conn *c, int64_t oid, const char *transaction_id,
				    int *known);

/* How many prescriptions order oid carries. */
enum apo_result order_rx_count(struct store_conn *c, int64_t oid, size_t *n);

/*
 * Lists orders (without lines) newest first: merchant_id NULL for all,
 * status < 0 for any, before_oid 0 to start (else only oid < before_oid).
 * Calls fn for each; stops after limit.
 */
enum apo_result order_list(struct store_conn *c, const char *merchant_id, int status,
			   int64_t before_oid, size_t limit,
			   void (*fn)(const struct order *o, void *ctx), void *ctx);

/* Up to max oids of ONLINE orders still awaiting payment past their deadline. */
enum apo_result order_expired(struct store_conn *c, int64_t now, int64_t *oids, size_t max,
			      size_t *n);

/* Counts orders by status for /metrics: fn(status, count) per status. */
enum apo_result order_count_by_status(struct store_conn *c,
				      void (*fn)(int status, int64_t count, void *ctx), void *ctx);

/*
 * The queue of orders waiting for stock (status 20, migration 010): when
 * each started waiting and whether an operator put it there by hand.
 */
struct order_waiter {
	int64_t oid;
	int64_t since_ms; /* epoch milliseconds */
	int hold;	  /* moved to 20 by an operator: only a stock rise allocates it */
	int fits;	  /* when read: every product had enough available for it alone */
};

/*
 * In the caller's transaction: records that order oid started waiting
 * now (since_ms), held (hold 1) or not.
 */
enum apo_result order_set_waiting(struct store_conn *c, int64_t oid, int64_t since_ms, int hold);

/*
 * Up to max orders waiting for stock with units still to reserve of
 * product pid, first come first served (since_ms, then oid), held ones
 * too when with_held, after the waiter *after (NULL: from the start).
 */
enum apo_result order_waiting_on(struct store_conn *c, int64_t pid, int with_held,
				 const struct order_waiter *after, struct order_waiter *out,
				 size_t max, size_t *n);

/*
 * Up to max waiting orders (held ones too when with_held) whose every
 * product has, right now, enough units available for the order alone,
 * first come first served: what a retry of allocation could serve.
 */
enum apo_result order_waiting_ready(struct store_conn *c, int with_held, struct order_waiter *out,
				    size_t max, size_t *n);

/* Counts orders flagged for an operator (e.g. a payment amount mismatch). */
enum apo_result order_count_flagged(struct store_conn *c, int64_t *n);

#endif
