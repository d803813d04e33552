/*
 * The order lifecycle of SPEC §5: one state machine shared by both
 * dialects, shown in each dialect's words. Pure rules: which statuses exist,
 * what each is called, and which moves are allowed. Recording a move and
 * its side effects (stock, refunds, webhooks) is the orders repository's.
 */
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

#endif
