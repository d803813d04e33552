/*
 * The state machine: every allowed move of SPEC §5 is allowed, and every
 * other pair of known statuses is refused.
 */
#include "core/order_state.h"
#include "t.h"

static const int all[] = {180, 15, 100, 110, 120, 20, 130, 25, 30, 40, 45, 95, 99, 140, 141, 142};
#define NALL (sizeof(all) / sizeof(all[0]))

/* SPEC §5, transcribed independently of order_state.c's table. */
static const char *spec_moves = "180>15 180>100 180>99 15>100 15>110 15>120 15>95 15>99 "
				"100>110 100>99 110>120 110>100 110>99 120>130 120>20 120>99 "
				"20>120 20>99 130>25 25>30 30>40 30>45 45>30 45>99 40>140 "
				"140>141 141>142 95>99 ";

static int in_spec(int from, int to)
{
	char key[16];
	snprintf(key, sizeof(key), "%d>%d ", from, to);
	const char *p = spec_moves;
	while ((p = strstr(p, key)) != NULL) {
		if (p == spec_moves || p[-1] == ' ')
			return 1;
		p++;
	}
	return 0;
}

int main(void)
{
	int allowed = 0;
	for (size_t i = 0; i < NALL; i++) {
		CHECK(order_status_known(all[i]));
		for (size_t k = 0; k < NALL; k++) {
			int want = in_spec(all[i], all[k]);
			int got = order_move_allowed(all[i], all[k]);
			if (got != want)
				fprintf(stderr, "move %d -> %d: got %d want %d\n", all[i], all[k], got,
					want);
			CHECK(got == want);
			allowed += got;
		}
	}
	CHECK_INT(allowed, 28);
	CHECK(!order_status_known(0));
	CHECK(!order_status_known(16));
	CHECK(!order_move_allowed(15, 15));
	CHECK(!order_move_allowed(0, 15));
	CHECK_STR(order_status_title(99), "Order Cancelled");
	CHECK_STR(order_status_title(15), "Order Placed");
	CHECK_STR(order_status_title(180), "Awaiting Confirmation");
	CHECK_STR(order_status_logistics(180, 0), "passive");
	CHECK_STR(order_status_logistics(99, 0), "deleted");
	CHECK_STR(order_status_logistics(99, 1), "cancelled");
	CHECK_STR(order_status_logistics(20, 1), "waiting_products");
	CHECK_STR(order_status_logistics(25, 1), "processed");
	CHECK_STR(order_status_logistics(130, 1), "confirmed");
	CHECK(order_status_holds_stock(15) && order_status_holds_stock(130));
	CHECK(!order_status_holds_stock(20) && !order_status_holds_stock(25) &&
	      !order_status_holds_stock(99));

	/* One prescription rule for COD at create and ONLINE at confirm. */
	CHECK_INT(order_placed_status(1, 0), 100);
	CHECK_INT(order_placed_status(1, 1), 15);
	CHECK_INT(order_placed_status(1, 10), 15);
	CHECK_INT(order_placed_status(0, 0), 15);
	CHECK_INT(order_placed_status(0, 3), 15);
	/* Both landing statuses are moves 180 may make. */
	CHECK(order_move_allowed(180, order_placed_status(1, 0)));
	CHECK(order_move_allowed(180, order_placed_status(1, 1)));

	/* SPEC §2.4: a merchant cancels in 180, 15, 100 and 110 only. */
	for (size_t i = 0; i < NALL; i++) {
		int s = all[i];
		int want = s == 180 || s == 15 || s == 100 || s == 110;
		CHECK_INT(order_merchant_cancellable(s), want);
	}

	/* Stock effects of moves. */
	CHECK_INT(order_move_stock_effect(15, 99), STOCK_RELEASE);
	CHECK_INT(order_move_stock_effect(180, 99), STOCK_RELEASE);
	CHECK_INT(order_move_stock_effect(120, 20), STOCK_RELEASE);
	CHECK_INT(order_move_stock_effect(130, 25), STOCK_SHIP);
	CHECK_INT(order_move_stock_effect(20, 120), STOCK_RESERVE);
	CHECK_INT(order_move_stock_effect(15, 120), STOCK_KEEP);
	CHECK_INT(order_move_stock_effect(180, 15), STOCK_KEEP);
	CHECK_INT(order_move_stock_effect(110, 100), STOCK_KEEP);
	/* Every allowed move into a status that holds no stock and is not
	 * shipped gives the stock back. */
	for (size_t i = 0; i < NALL; i++)
		for (size_t k = 0; k < NALL; k++) {
			int from = all[i], to = all[k];
			if (!order_move_allowed(from, to) || order_status_holds_stock(to) ||
			    order_status_shipped(to))
				continue;
			CHECK_INT(order_move_stock_effect(from, to), STOCK_RELEASE);
		}
	CHECK(order_status_confirmed(15) && order_status_confirmed(130));
	CHECK(!order_status_confirmed(180) && !order_status_confirmed(99) &&
	      !order_status_confirmed(20));
	T_DONE();
}
