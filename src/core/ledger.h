/*
 * The money ledger of one order: what it is worth now, what was collected
 * and what was (or is being) given back. One invariant holds at every
 * moment once anything has been collected (SPEC §2.4):
 *
 *     collected - refund_initiated == value
 *
 * where value is what the order still holds: its open units at their
 * discounted unit prices plus its charges and shipping, or 0 once it is
 * cancelled. The service keeps it by queueing a refund of
 * ledger_refund_owed() after every change (a cancel, a partial cancel, a
 * payment that covered more than is due, a payment captured for an order
 * that was cancelled meanwhile). The admin order view and the track
 * answer's payment_summary both read this ledger.
 *
 * Pure arithmetic on paise: no storage, no JSON.
 */
#ifndef APO_LEDGER_H
#define APO_LEDGER_H

#include <stdint.h>

#include "core/order.h"

struct ledger {
	int64_t value;		  /* what the order holds now (0 once cancelled) */
	int64_t asked;		  /* what its lines and charges cost at create */
	int64_t collected;	  /* successful payments */
	int64_t refund_initiated; /* refunds queued or done */
	int64_t refunded;	  /* refunds the payment API confirmed */
};

/*
 * What the order's open lines cost: Σ open qty × discounted + charges +
 * shipping, whatever its status. This is the amount payable the admin
 * view (`payable`) and track (`amount_payable`) show; cancelled units
 * (a partial cancel, before or after payment, COD or ONLINE) lower it.
 */
int64_t order_due(const struct order *o);

/* order_due(), or 0 for a cancelled order: what the order still holds. */
int64_t order_value(const struct order *o);

/*
 * What the customer was asked to pay at create: every ordered unit
 * (cancelled ones included) at its discounted price, plus charges and
 * shipping. A payment of this amount is accepted at confirm even after a
 * partial cancel lowered what is due; the difference goes back at once.
 */
int64_t order_asked_value(const struct order *o);

/* Fills l from o and the sums of its payments and refunds. */
void ledger_init(struct ledger *l, const struct order *o, int64_t collected,
		 int64_t refund_initiated, int64_t refunded);

/*
 * What must be refunded now to restore the invariant: collected −
 * refund_initiated − value when that is positive, else 0 (nothing was
 * collected, or the order still holds everything paid for).
 */
int64_t ledger_refund_owed(const struct ledger *l);

/*
 * FULL when the refund owed gives back everything collected (nothing
 * refunded before and nothing kept), else PARTIAL.
 */
const char *ledger_refund_type(const struct ledger *l);

/* Refunds started and not yet confirmed by the payment API. */
int64_t ledger_refund_pending(const struct ledger *l);

#endif
