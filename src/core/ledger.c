/*
 * The per-order money ledger (see ledger.h).
 */
#include "core/ledger.h"
#include "core/order_state.h"
#include "base/banned.h"

static int64_t charges_total(const struct order *o)
{
	int64_t sum = o->shipping;
	for (size_t i = 0; i < o->ncharges; i++)
		sum += o->charges[i].amount;
	return sum;
}

int64_t order_due(const struct order *o)
{
	int64_t sum = charges_total(o);
	for (size_t i = 0; i < o->nlines; i++)
		sum += order_line_open_qty(&o->lines[i]) * o->lines[i].discounted;
	return sum;
}

int64_t order_value(const struct order *o)
{
	return o->status_id == ST_CANCELLED ? 0 : order_due(o);
}

int64_t order_asked_value(const struct order *o)
{
	int64_t sum = charges_total(o);
	for (size_t i = 0; i < o->nlines; i++)
		sum += o->lines[i].qty * o->lines[i].discounted;
	return sum;
}

void ledger_init(struct ledger *l, const struct order *o, int64_t collected,
		 int64_t refund_initiated, int64_t refunded)
{
	l->value = order_value(o);
	l->asked = order_asked_value(o);
	l->collected = collected;
	l->refund_initiated = refund_initiated;
	l->refunded = refunded;
}

int64_t ledger_refund_owed(const struct ledger *l)
{
	int64_t owed = l->collected - l->refund_initiated - l->value;
	return l->collected > 0 && owed > 0 ? owed : 0;
}

const char *ledger_refund_type(const struct ledger *l)
{
	return l->refund_initiated == 0 && ledger_refund_owed(l) == l->collected ? "FULL"
										 : "PARTIAL";
}

int64_t ledger_refund_pending(const struct ledger *l)
{
	return l->refund_initiated - l->refunded;
}
