/*
 * What apotheca tells about one order: the facts behind the pharmacy
 * dialect's Track Merchant Order answer (SPEC §2.6) and behind the public
 * tracking page (SPEC §6), computed in one place from the order and what it
 * gathered (store/repo_orders.h: order_load + order_extras_load), so the
 * merchant's view and the customer's view can never disagree.
 *
 * Not for HTML (tracking_page.c) nor for authentication (the handlers).
 * The public facts carry nothing personal by construction: no name, phone,
 * address, e-mail, price or merchant_order_id ever enters them.
 *
 * The decisions where the seed and SPEC are silent are written next to
 * each field below and in docs/api/track.md.
 */
#ifndef APO_API_TRACK_VIEW_H
#define APO_API_TRACK_VIEW_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/carrier.h"
#include "core/order.h"
#include "service/orders.h"
#include "store/repo_orders.h"

struct app;
struct merchant;
struct store_conn;

/*
 * Loads the order (orders_get_full's by, merchant_id and key) and what it
 * gathered into o (order_init'ed) and *x, in one read transaction so the
 * status and its history come from one moment. On success the caller
 * releases both (order_release, order_extras_release); on failure nothing
 * is left to release. APO_ERR_NOT_FOUND as order_load.
 */
enum apo_result track_load(struct store_conn *c, enum orders_key by, const char *merchant_id,
			   const char *key, struct order *o, struct order_extras *x);

/*
 * The payment summary, in paise. Every amount follows from the lines'
 * open quantities (qty - cancelled_qty), the order's charges, and the
 * payments and refunds on record:
 *   cart_mrp        = Σ mrp × open qty (the answer's cart_mrp and current_mrp)
 *   discounted_mrp  = Σ offered × open qty
 *   coupon_discount = Σ (offered − discounted) × open qty
 *   vas             = Σ charges (each one also listed in "vas")
 *   payable         = discounted_mrp − coupon_discount + vas + shipping
 *                     (the answer's amount_payable and order_mrp)
 *   online_collected= Σ successful payments (ONLINE orders are paid through
 *                     the merchant's payment API, the only payments recorded)
 *   cash_collected  = for COD, payable once the parcel is delivered (status
 *                     40 or a later return status): delivery is the moment
 *                     cash changes hands; 0 before
 *   collected       = online_collected + cash_collected (amount_collected)
 *   to_be_paid      = max(0, payable − collected) (amount_to_be_paid)
 *   online_pending  = for an ONLINE order not cancelled, max(0, payable −
 *                     online_collected); else 0
 *   refund_initiated= Σ refunds started, pending or done
 *   refunded        = Σ refunds the merchant's payment API confirmed
 *   refund_due      = refund_initiated − refunded (started, not confirmed)
 *   allow_retry     = an ONLINE order still awaiting its payment (180)
 *   cashless        = an ONLINE order with a successful payment
 */
struct track_money {
	int64_t cart_mrp, discounted_mrp, coupon_discount, vas, shipping, payable;
	int64_t online_collected, cash_collected, collected, to_be_paid, online_pending;
	int64_t refund_initiated, refunded, refund_due;
	int allow_retry, cashless;
};

/* Fills *m from o and x (x may be NULL: no payments, no refunds). */
void track_money_compute(const struct order *o, const struct order_extras *x,
			 struct track_money *m);

/* Units still ordered: Σ open quantity over the lines. */
int64_t track_item_count(const struct order *o);

/*
 * data.result of the track answer, with exactly the seed's keys, nesting
 * and JSON types, plus SPEC's additions: grouped_orders[].status_history
 * [{status_id, title, at}] and shipment_detail's tracking_code and
 * tracking_url (always present; null until the order is confirmed and has
 * its public code). m is the order's merchant (its name is "source").
 * Returns a new reference.
 */
json_t *track_result_json(const struct app *app, const struct merchant *m, const struct order *o,
			  const struct order_extras *x);

/*
 * A stable pseudonymous id for the order's customer, shaped like a UUID
 * (RFC 9562 version 8, name-based on SHA-256): the hash of label, the
 * merchant's id and the customer's identity — the lower-cased e-mail, else
 * the mobile number, else the order id (one customer per order). The same
 * customer of the same merchant always gets the same id; two merchants
 * get unrelated ids for one person, and nothing can be read back from it.
 * label separates uses ("user" for user.username, "patient" for
 * prescriptions[].patient_id). out must hold 37 bytes.
 */
#define TRACK_UUID_LEN 36
void track_customer_uuid(const struct order *o, const char *label, char out[TRACK_UUID_LEN + 1]);

/*
 * The public facts of SPEC §6, in the customer's words. Strings point into
 * o, m, x, the status tables or the struct itself; the struct lives no
 * longer than they do. Nothing here is an internal status name, a name,
 * phone, address, e-mail, item price or the merchant's order id; the only
 * amounts are the customer's own refund.
 */

/* The steps of a parcel's way, as the progress view shows them. */
#define TRACK_NSTEPS 5	      /* placed, packed, shipped, out for delivery, delivered */
#define TRACK_NRETURN_STEPS 3 /* return requested, picked up, refunded */
#define TRACK_MAX_DETAIL 320

enum track_step_state { TRACK_STEP_DONE, TRACK_STEP_CURRENT, TRACK_STEP_UPCOMING };

struct track_step {
	const char *key;   /* "placed", "packed", ... stable, for the JSON */
	const char *label; /* "Order placed" */
	enum track_step_state state;
	int64_t at; /* epoch seconds when first reached, 0 when not (yet) */
};

/* Where the order stands, for the customer. */
enum track_phase {
	TRACK_PHASE_IN_PROGRESS, /* on its way to the customer */
	TRACK_PHASE_DELIVERED,
	TRACK_PHASE_RETURN, /* delivered, and being returned (or returned) */
	TRACK_PHASE_CANCELLED,
};

/* Something off the usual path the customer should know about. */
enum track_notice {
	TRACK_NOTICE_NONE,
	TRACK_NOTICE_ACTION, /* the customer must act: a prescription is needed */
	TRACK_NOTICE_DELAY,  /* waiting: stock, a prescription check, a new delivery attempt */
};

struct track_public {
	const char *tracking_code;
	int status_id;
	const char *title; /* SPEC §5's title (the JSON's status.title) */
	const struct order_event *timeline; /* x->events: to, at (note and actor never shown) */
	size_t ntimeline;
	int64_t eta_from, eta_to;	    /* epoch seconds, 0 when unknown */
	const char *carrier, *carrier_code; /* NULL when not known yet */
	char carrier_url[CARRIER_URL_CAP];  /* the carrier's page for the parcel, "" when none */
	int64_t item_count;

	/* The customer's view of the status. */
	enum track_phase phase;
	enum track_notice notice;
	const char *headline;		  /* "Out for delivery" */
	char detail[TRACK_MAX_DETAIL];	  /* one or two sentences saying what it means */
	struct track_step steps[TRACK_NSTEPS]; /* empty (nsteps 0) once cancelled */
	size_t nsteps;
	struct track_step return_steps[TRACK_NRETURN_STEPS];
	size_t nreturn_steps;
	int64_t delivered_at; /* 0 when not delivered */
	int eta_relevant;     /* the parcel is still to arrive and an ETA is known */

	/* Cancelled orders: why, in the customer's words; NULL otherwise. */
	const char *cancel_reason;
	int64_t cancelled_at;

	/* Refunds (paise): started in all, of which confirmed and on their way. */
	int64_t refund_total, refund_done, refund_pending;
	int64_t refund_done_at; /* latest confirmation, 0 while any is pending */
	int nothing_charged;	/* cancelled with no money ever taken */

	/* Who the order is from and where to get help (NULL when not set). */
	const char *merchant_name;
	const char *help_url, *help_email, *help_phone;
};

/*
 * Fills *p. m is the order's merchant (NULL when it cannot be loaded: the
 * page then names no shop); carriers turns the carrier's tracking number
 * into a link (NULL: no links).
 */
void track_public_facts(const struct order *o, const struct order_extras *x,
			const struct merchant *m, const struct carrier_table *carriers,
			struct track_public *p);

/* A status in the customer's words ("Preparing your order"), for the history. */
const char *track_status_label(int status);

/*
 * The public JSON: {tracking_code, status {status_id, title}, timeline
 * [{status_id, title, label, at}], eta {from, to} or null, carrier {name,
 * tracking_code, tracking_url} or null, item_count} and the customer's
 * view: merchant {name, help {url, email, phone}}, state {phase, headline,
 * detail, notice}, progress and return_progress [{step, label, state, at}],
 * delivered_at, cancellation {reason, at} or null, refund {amount, refunded,
 * on_its_way, state} or null. Times in epoch seconds, amounts as money on
 * the wire. Returns a new reference.
 */
json_t *track_public_json(const struct track_public *p);

#endif
