/*
 * The order ledger: what an order is worth, what was asked, and the refund
 * that keeps collected − refunded equal to the value, in every case the
 * service meets (partial cancel before and after payment, paying the old
 * amount, payment captured for a cancelled order).
 */
#include <string.h>

#include "core/ledger.h"
#include "core/order_state.h"
#include "t.h"

/* 2 × 157 + a 99 handling fee = 413.00, the example. */
static void example(struct order *o)
{
	order_init(o);
	o->status_id = ST_AWAITING_CONFIRMATION;
	o->nlines = 1;
	o->lines[0].qty = 2;
	o->lines[0].mrp = 20000;
	o->lines[0].offered = 15700;
	o->lines[0].discounted = 15700;
	o->ncharges = 1;
	o->charges[0].amount = 9900;
}

static int64_t owed(const struct order *o, int64_t collected, int64_t initiated)
{
	struct ledger l;
	ledger_init(&l, o, collected, initiated, 0);
	return ledger_refund_owed(&l);
}

static void test_value(void)
{
	struct order o;
	example(&o);
	CHECK_INT(order_value(&o), 41300);
	CHECK_INT(order_asked_value(&o), 41300);
	o.lines[0].cancelled_qty = 1;
	CHECK_INT(order_value(&o), 25600);
	CHECK_INT(order_asked_value(&o), 41300);
	o.shipping = 500;
	CHECK_INT(order_value(&o), 26100);
	o.status_id = ST_CANCELLED;
	CHECK_INT(order_value(&o), 0);
	CHECK_INT(order_due(&o), 26100); /* what is payable stays what the lines cost */
	CHECK_INT(order_asked_value(&o), 41800);
}

/* Stock rows are taken in product order, whatever the lines' order. */
static void test_lines_by_pid(void)
{
	struct order o;
	size_t idx[ORDER_MAX_LINES];
	static const int64_t pids[] = {30, 10, 20, 10, 0};
	order_init(&o);
	o.nlines = sizeof(pids) / sizeof(pids[0]);
	for (size_t i = 0; i < o.nlines; i++)
		o.lines[i].pid = pids[i];
	order_lines_by_pid(&o, idx);
	CHECK_INT(idx[0], 4);
	CHECK_INT(idx[1], 1);
	CHECK_INT(idx[2], 3);
	CHECK_INT(idx[3], 2);
	CHECK_INT(idx[4], 0);
}

static void test_refund_owed(void)
{
	struct order o;
	struct ledger l;
	example(&o);
	/* Nothing collected: nothing owed, whatever was cancelled. */
	o.lines[0].cancelled_qty = 1;
	CHECK_INT(owed(&o, 0, 0), 0);
	/* Paid the old amount after a partial cancel: the unit goes back. */
	o.status_id = ST_PLACED;
	CHECK_INT(owed(&o, 41300, 0), 15700);
	ledger_init(&l, &o, 41300, 0, 0);
	CHECK_STR(ledger_refund_type(&l), "PARTIAL");
	/* Once refunded, the invariant holds and nothing more is owed. */
	CHECK_INT(owed(&o, 41300, 15700), 0);
	/* Paid the lowered amount: balanced from the start. */
	CHECK_INT(owed(&o, 25600, 0), 0);
	/* Cancelled, then paid: everything goes back, as FULL. */
	o.status_id = ST_CANCELLED;
	CHECK_INT(owed(&o, 25600, 0), 25600);
	ledger_init(&l, &o, 25600, 0, 0);
	CHECK_STR(ledger_refund_type(&l), "FULL");
	/* Whole cancel after an earlier partial refund: the rest, PARTIAL. */
	example(&o);
	o.status_id = ST_CANCELLED;
	ledger_init(&l, &o, 41300, 15700, 15700);
	CHECK_INT(ledger_refund_owed(&l), 25600);
	CHECK_STR(ledger_refund_type(&l), "PARTIAL");
	CHECK_INT(ledger_refund_pending(&l), 0);
	/* Refunds already above what is owed never ask for money back. */
	example(&o);
	o.status_id = ST_PLACED;
	CHECK_INT(owed(&o, 41300, 50000), 0);
}

int main(void)
{
	test_value();
	test_lines_by_pid();
	test_refund_owed();
	T_DONE();
}
