/*
 * An order as the domain sees it: header, lines and charges, shared by both
 * dialects. Plain data; storage is store/repo_orders.h's, the lifecycle
 * rules are core/order_state.h's.
 */
#ifndef APO_ORDER_H
#define APO_ORDER_H

#include <stddef.h>
#include <stdint.h>

#include "core/ids.h"

#define ORDER_MAX_LINES 100
#define ORDER_MAX_CHARGES 16
#define ORDER_MAX_PRESCRIPTIONS 10
#define ORDER_MAX_REF 64 /* merchant_order_id */

struct order_line {
	int64_t pid; /* product row, or 0 */
	char *sku_id;
	char *name;
	int64_t qty;	       /* ordered */
	int64_t cancelled_qty; /* cancelled since */
	int64_t reserved_qty;  /* currently reserved in stock */
	int64_t mrp, offered, discounted; /* paise per unit */
	int rx_required;
	char *pack_size_label;
	char *sku_type;
	char *extra_json; /* dialect-specific line fields, or NULL */
};

struct order_charge {
	char *type;
	char *display_text;
	int64_t amount;
};

struct order {
	int64_t oid;
	char order_id[ORDER_ID_LEN + 1];
	char hex_id[HEX_ID_LEN + 1];
	char *merchant_id;
	char *merchant_order_id;
	char *dialect; /* "pharmacy" or "logistics" */
	char *request_hash;
	char *response; /* create's answer data (JSON text), for retries */
	char *payment_method; /* "COD", "ONLINE" or NULL */
	int64_t payment_id;   /* 0 when none */
	int status_id;
	char *subtitle;
	int ever_confirmed;
	char *coupon_code;
	int64_t mrp_total, offered_total, discount_total, vas_total, shipping, payable;
	char *flagged;
	char *user_json, *address_json, *extra_json;
	char *pincode;
	int64_t eta_from, eta_to; /* epoch seconds, 0 when unknown */
	char *tracking_code;
	char *delivery_partner, *carrier_tracking_code;
	int64_t pay_deadline; /* epoch seconds, 0 when none */
	int64_t created, updated, status_changed;
	/* The row's version (orders.version) when this was read from it;
	 * version_known 0 when never read or changed in memory since. */
	int64_t version;
	int version_known;

	struct order_line lines[ORDER_MAX_LINES];
	size_t nlines;
	struct order_charge charges[ORDER_MAX_CHARGES];
	size_t ncharges;
};

/* What an order has gathered besides itself, for the admin and track views. */
struct order_event {
	int from; /* 0 for the creation entry */
	int to;
	char *actor, *note;
	int64_t at;
};
struct order_payment {
	char *transaction_id, *status;
	int64_t amount, at;
};
struct order_refund {
	char *refund_id, *transaction_id, *type, *reason, *state;
	int64_t amount, created, completed; /* completed 0 while pending */
};
struct order_rx {
	int64_t id;
	char *url, *status;
	int64_t created_ms;
};
struct order_extras {
	struct order_event *events;
	size_t nevents;
	struct order_payment *payments;
	size_t npayments;
	struct order_refund *refunds;
	size_t nrefunds;
	struct order_rx *rx;
	size_t nrx;
};

/* Frees what x holds and zeroes it. */
void order_extras_release(struct order_extras *x);

/* Zeroes o. */
void order_init(struct order *o);

/* Frees everything o owns and zeroes it. */
void order_release(struct order *o);

/* Frees o's lines and leaves it with none (the rest of o is kept). */
void order_lines_release(struct order *o);

/*
 * A new, initialised order on the heap (orders are too big for stacks):
 * free it with order_free().
 */
struct order *order_new(void);

/* order_release() and frees o itself; NULL is fine. */
void order_free(struct order *o);

/* Units of a line still ordered (qty - cancelled_qty). */
int64_t order_line_open_qty(const struct order_line *l);

/*
 * Fills idx[0..nlines) with the indexes of o's lines in ascending product
 * id (stable). Every transaction that changes several products' stock
 * takes their rows in this one order, so two of them never wait for each
 * other's rows in opposite orders (a deadlock PostgreSQL breaks by failing
 * one of them).
 */
void order_lines_by_pid(const struct order *o, size_t idx[ORDER_MAX_LINES]);

/* True when the order has a line needing a prescription. */
int order_needs_rx(const struct order *o);

#endif
