/*
 * The order lifecycle of SPEC §5: one state machine shared by both
 * dialects, shown in each dialect's words. Pure rules: which statuses exist,
 * what each is called, which moves are allowed, where an order lands when
 * it is placed, and what a move does to stock. Carrying a move out with
 * its effects (stock, money, history, webhooks) is service/orders.c's;
 * storage only records it.
 */
#include <stddef.h>

#ifndef APO_ORDER_STATE_H
#define APO_ORDER_STATE_H

enum order_status {
	ST_AWAITING_CONFIRMATION = 180,
	ST_PLACED = 15,
	ST_RX_REQUIRED = 100,
	ST_RX_REVIEW = 110,
	ST_ALLOCATION = 120,
	ST_ALLOCATION_FAILED = 20,
	ST_PACKED = 130,
	ST_SHIPPED = 25,
	ST_OUT_FOR_DELIVERY = 30,
	ST_DELIVERED = 40,
	ST_REATTEMPT = 45,
	ST_CANCEL_INITIATED = 95,
	ST_CANCELLED = 99,
	ST_RETURN_REQUESTED = 140,
	ST_RETURN_PICKED = 141,
	ST_RETURN_REFUNDED = 142,
};

/* True for a status_id of the table. */
int order_status_known(int status);

/* The title shown by the track API ("Order Placed"); "Unknown" if unknown. */
const char *order_status_title(int status);

/*
 * The logistics dialect's word for the status: passive, confirmed,
 * waiting_products, processed, cancelled — or deleted for a cancelled order
 * that was never confirmed (ever_confirmed == 0).
 */
const char *order_status_logistics(int status, int ever_confirmed);

/* True when the move from -> to is one of SPEC §5's allowed moves. */
int order_move_allowed(int from, int to);

/* True while stock is held for the order (reserved, not yet shipped). */
int order_status_holds_stock(int status);

/* True once the parcel has left (stock is no longer reserved but gone). */
int order_status_shipped(int status);

/* True for statuses that end the order (cancelled, delivered-and-closed). */
int order_status_final(int status);

/*
 * True for the statuses of a placed order before it ships (15, 100, 110,
 * 120, 130): reaching one marks the order confirmed for good.
 */
int order_status_confirmed(int status);

/*
 * Where an order lands when it is placed (a COD order at create, an ONLINE
 * one at confirm): 100 when it holds a line needing a prescription and
 * carries no prescription URL, else 15. One rule for both payment methods
 * (SPEC §2.2): an empty list is no prescription.
 */
int order_placed_status(int needs_rx, size_t prescriptions);

/* True where a merchant may cancel (SPEC §2.4): 180, 15, 100 and 110. */
int order_merchant_cancellable(int status);

/* What a move from -> to does to the stock an order's lines hold. */
enum order_stock_effect {
	STOCK_KEEP,    /* nothing */
	STOCK_RELEASE, /* give every reserved unit back (99, 20) */
	STOCK_SHIP,    /* take the reserved units out of stock for good (-> 25) */
	STOCK_RESERVE, /* reserve every open unit again (20 -> 120: stock arrived) */
};
enum order_stock_effect order_move_stock_effect(int from, int to);

#endif
