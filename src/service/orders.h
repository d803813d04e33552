/*
 * The order service: every order transition and everything it causes,
 * for all three dialects (pharmacy, logistics, admin) and the
 * payment-window sweeper. A dialect parses, calls one function here and
 * renders what it returns; this module decides and never writes an HTTP
 * answer. Storage (store/repo_orders.h, repo_catalog.h) only runs SQL.
 *
 * Where each rule lives:
 * - which moves are allowed, where an order lands when placed (the one
 *   prescription rule), what a move does to stock: core/order_state.h;
 * - what an order is worth and what must be refunded: core/ledger.h;
 * - carrying them out in one transaction — the compare-and-set move, its
 *   stock effect, its history entry, the tracking code, the webhook event
 *   in the outbox and, after every change, the refund that keeps
 *   collected − refunded equal to the order's value: here.
 *
 * Functions that take an open transaction say "in the caller's
 * transaction"; the others begin, commit and roll back their own, with the
 * order row locked (order_lock) so concurrent requests on one order queue
 * and decide on what is stored now — on PostgreSQL across processes.
 */
#ifndef APO_SERVICE_ORDERS_H
#define APO_SERVICE_ORDERS_H

#include <stddef.h>
#include <stdint.h>

#include "base/result.h"
#include "core/ledger.h"
#include "core/order.h"

struct store_conn;
struct app;
struct order_extras;
struct product;

/* Who moves an order, for its history. */
#define ACTOR_MERCHANT "merchant"
#define ACTOR_OPERATOR "operator"
#define ACTOR_SYSTEM "system"

/* Room for a refund id ("RF" + 24 hex) and a transaction id. */
#define ORDERS_REFUND_ID_CAP (HEX_ID_LEN + 3)
#define ORDERS_TXN_CAP 129

/* The refund a change queued (amount 0 when none). */
struct orders_refund {
	char refund_id[ORDERS_REFUND_ID_CAP];
	char transaction_id[ORDERS_TXN_CAP];
	int64_t amount;
	const char *type; /* "FULL" or "PARTIAL" */
	const char *reason;
};

/* Where an order is looked up: core's id shapes, scoped to a merchant. */
enum orders_key {
	ORDERS_BY_ORDER_ID, /* "PO..." */
	ORDERS_BY_ANY_ID,   /* "PO..." or the 24-hex id */
	ORDERS_BY_REF,	    /* a pharmacy order's merchant_order_id */
	ORDERS_BY_TRACKING, /* the public tracking code (SPEC §6); any merchant */
};

/*
 * Reads one order (no transaction needed) into o, releasing what o held
 * first (every call here that fills an order does). merchant_id NULL: any
 * merchant's (operators). APO_ERR_NOT_FOUND also for another merchant's.
 */
enum apo_result orders_get(struct store_conn *c, enum orders_key by, const char *merchant_id,
			   const char *key, struct order *o);

/*
 * Reads an order with its history, payments, refunds and prescriptions
 * and its ledger, in one read transaction. On success the caller releases
 * o and x (order_extras_release).
 */
enum apo_result orders_get_full(struct store_conn *c, enum orders_key by, const char *merchant_id,
				const char *key, struct order *o, struct order_extras *x,
				struct ledger *l);

/*
 * Lists orders (without lines) newest first for operators: merchant_id
 * NULL for all, status < 0 for any, before_oid 0 to start (else only
 * older ones). Calls fn for each, at most limit times.
 */
enum apo_result orders_list(struct store_conn *c, const char *merchant_id, int status,
			    int64_t before_oid, size_t limit,
			    void (*fn)(const struct order *o, void *ctx), void *ctx);

/* Sums an order's payments and refunds into its ledger. */
void orders_ledger(const struct order *o, const struct order_extras *x, struct ledger *l);

/*
 * In the caller's transaction: moves o to `to` with all its effects —
 * the compare-and-set move and history (actor, note), the stock effect
 * core names, the tracking code once confirmed, the webhook event, and
 * the refund the ledger then owes (into *refund when not NULL).
 * APO_ERR_STATE for a move SPEC §5 refuses, APO_ERR_BUSY when another
 * request moved o first, APO_ERR_INSUFFICIENT when stock it must
 * reserve again is short.
 */
enum apo_result orders_move(struct app *app, struct store_conn *c, struct order *o, int to,
			    const char *subtitle, const char *actor, const char *note,
			    struct orders_refund *refund);

/* What orders_create() found when it did not create. */
struct orders_create_result {
	int existing;	   /* an order with this merchant_order_id exists: loaded into o */
	int coupon_spent;  /* the coupon reached its usage limit */
	size_t short_line; /* with APO_ERR_INSUFFICIENT: the line that is short */
};

/*
 * A pharmacy order, priced and built by the dialect (status 180 for
 * ONLINE; for COD the status comes from here), created in one
 * transaction: the coupon use, the stock of every line, the order with
 * its prescriptions (rx: n URLs) and the answer render(o, ctx) returns
 * (a string the caller frees, stored for retries). COD orders are placed
 * at order_placed_status(). APO_ERR_CONFLICT with res->existing when the
 * merchant_order_id is taken (o then holds that order), without it when a
 * concurrent create holds it; APO_ERR_INSUFFICIENT (res->short_line) when
 * stock ran out; APO_ERR_INVALID with res->coupon_spent. When a unique
 * index refuses o's own ids, they are drawn again (order_id, hex_id and a
 * COD order's tracking code and answer) and the create tried again, up to
 * three times in all.
 */
enum apo_result orders_create(struct app *app, struct store_conn *c, struct order *o,
			      const char *const *rx, size_t n, int64_t payment_id_base,
			      char *(*render)(const struct order *o, void *ctx), void *ctx,
			      struct orders_create_result *res);

/* What a confirm's payment did to the order. */
enum orders_paid_outcome {
	PAID_CONFIRMED,	      /* 180 -> 15/100, payment recorded (and any excess refunded) */
	PAID_ALREADY,	      /* the order was confirmed before: nothing changed */
	PAID_MISMATCH,	      /* the amount covers neither what is due nor what was asked */
	PAID_ORDER_CANCELLED, /* cancelled or expired first: payment recorded, refunded in full */
	PAID_BAD_STATUS,      /* not an order that takes a payment */
};

/*
 * Applies a payment the merchant's payment API reported as SUCCESS for
 * order o (loaded by the caller), in one transaction with the row locked.
 * An order awaiting payment is placed (order_placed_status, counting its
 * prescriptions) when amount equals what is due now or what was asked at
 * create, and any excess is refunded at once; otherwise it is flagged
 * (PAID_MISMATCH). An ONLINE order cancelled before it was confirmed has
 * the payment recorded and refunded in full, once per transaction id.
 * o is reloaded; *refund tells the refund queued.
 */
enum apo_result orders_apply_payment(struct app *app, struct store_conn *c, struct order *o,
				     const char *transaction_id, int64_t amount,
				     enum orders_paid_outcome *outcome,
				     struct orders_refund *refund);

/* One SKU's units to cancel. */
struct orders_cancel_units {
	const char *sku_id;
	int64_t qty;
};

/*
 * A merchant's cancel (SPEC §2.4) in one transaction: the whole order, or
 * n units[] of it (n > 0). Cancelled units give their stock back; before
 * payment what is due drops with them; cancelling every open unit cancels
 * the order. The ledger's refund follows (*refund). APO_ERR_NOT_FOUND;
 * APO_ERR_STATE outside 180/15/100/110; APO_ERR_INVALID with *bad set to
 * the offending units[] index.
 */
enum apo_result orders_cancel(struct app *app, struct store_conn *c, const char *merchant_id,
			      const char *order_id, const struct orders_cancel_units *units,
			      size_t n, const char *reason, struct order *o, size_t *bad,
			      struct orders_refund *refund);

/*
 * Adds n prescription URLs to a pharmacy order in 100 (-> 110) or 110, in
 * one transaction. APO_ERR_NOT_FOUND; APO_ERR_STATE in any other status.
 */
enum apo_result orders_add_prescriptions(struct app *app, struct store_conn *c,
					 const char *merchant_id, const char *order_id,
					 const char *const *urls, size_t n, struct order *o);

/*
 * The operator's review: 110 -> 120 (approved) or back to 100, marking the
 * pending prescriptions. APO_ERR_STATE when not in 110.
 */
enum apo_result orders_verify_prescriptions(struct app *app, struct store_conn *c, const char *key,
					    int approved, struct order *o);

/*
 * An operator's move along SPEC §5 (orders_move's results), optionally
 * recording the carrier (partner, carrier_code; NULL keeps).
 */
enum apo_result orders_operator_move(struct app *app, struct store_conn *c, const char *key, int to,
				     const char *subtitle, const char *note, const char *partner,
				     const char *carrier_code, struct order *o);

/*
 * Runs step(app, c, o, ctx) on order key (orders_key by, merchant_id) in
 * one write transaction with the row locked and reloaded, and again (a
 * few times) when the database gave up on a lock (APO_ERR_BUSY). For the
 * logistics dialect, whose steps (update, confirm, delete) call
 * orders_move() and the logistics line rules. o receives the order.
 */
typedef enum apo_result (*orders_step)(struct app *app, struct store_conn *c, struct order *o,
				       void *ctx);
enum apo_result orders_with_locked(struct app *app, struct store_conn *c, enum orders_key by,
				   const char *merchant_id, const char *key, struct order *o,
				   orders_step step, void *ctx);

/*
 * A logistics order, created passive (180, nothing reserved) in one
 * transaction: fill(app, c, o, ctx) completes o (its lines name catalog
 * products it may add), then o is stored with its first history entry.
 * When a unique index refuses o's own ids (core/ids.h), new ones are
 * drawn and the transaction runs again, fill included (so fill must make
 * o whole each time it runs), three times in all.
 */
enum apo_result orders_create_passive(struct app *app, struct store_conn *c, struct order *o,
				      orders_step fill, void *ctx);

/*
 * In the caller's transaction: stores what the merchant now says about a
 * passive order (repo_orders' order_replace: APO_ERR_BUSY when it moved
 * meanwhile, APO_ERR_STATE when a line holds stock).
 */
enum apo_result orders_replace(struct store_conn *c, struct order *o);

/*
 * In the caller's transaction: the merchant's catalog product a logistics
 * order line names, loaded into p (product_init'ed). A product the
 * merchant never sent is added to its catalog (active, no stock) from
 * describe(p, ctx), which sets its name, gtin, weight and prices, so
 * orders from shops whose catalog sync missed a product still go through.
 */
enum apo_result orders_line_product(struct store_conn *c, const char *merchant_id,
				    const char *sku_id, struct product *p,
				    void (*describe)(struct product *p, void *ctx), void *ctx);

/* In the caller's transaction: reserves every open unit (logistics confirm). */
enum apo_result orders_reserve(struct store_conn *c, struct order *o);

/* The public tracking URL of a code into out (cap bytes). */
void flow_tracking_url(const struct app *app, const char *code, char *out, size_t cap);

/*
 * The payment-window sweeper task: cancels ONLINE orders still awaiting
 * payment after their merchant's window ("Payment not received"),
 * releasing their stock. Safe with several processes: each order moves by
 * compare-and-set, so only one process wins it.
 */
void flow_expire_task(struct app *app, struct store_conn *c);

#endif
