/*
 * The SPEC §5 status table and move table (see order_state.h).
 */
#include <stddef.h>

#include "core/order_state.h"
#include "base/banned.h"

static const struct {
	int status;
	const char *title;
	const char *logistics;
} statuses[] = {
	{ST_AWAITING_CONFIRMATION, "Awaiting Confirmation", "passive"},
	{ST_PLACED, "Order Placed", "confirmed"},
	{ST_RX_REQUIRED, "Prescription Required", "confirmed"},
	{ST_RX_REVIEW, "Prescription Under Review", "confirmed"},
	{ST_ALLOCATION, "Processing", "confirmed"},
	{ST_ALLOCATION_FAILED, "Awaiting Stock", "waiting_products"},
	{ST_PACKED, "Packed", "confirmed"},
	{ST_SHIPPED, "Shipped", "processed"},
	{ST_OUT_FOR_DELIVERY, "Out for Delivery", "processed"},
	{ST_DELIVERED, "Delivered", "processed"},
	{ST_REATTEMPT, "Delivery Reattempt", "processed"},
	{ST_CANCEL_INITIATED, "Cancellation Initiated", "cancelled"},
	{ST_CANCELLED, "Order Cancelled", "cancelled"},
	{ST_RETURN_REQUESTED, "Return Requested", "processed"},
	{ST_RETURN_PICKED, "Return Picked", "processed"},
	{ST_RETURN_REFUNDED, "Return Refunded", "processed"},
};

static const struct {
	int from;
	int to[4];
} moves[] = {
	{ST_AWAITING_CONFIRMATION, {ST_PLACED, ST_RX_REQUIRED, ST_CANCELLED}},
	{ST_PLACED, {ST_RX_REQUIRED, ST_RX_REVIEW, ST_ALLOCATION, ST_CANCEL_INITIATED}},
	{ST_PLACED, {ST_CANCELLED}},
	{ST_RX_REQUIRED, {ST_RX_REVIEW, ST_CANCELLED}},
	{ST_RX_REVIEW, {ST_ALLOCATION, ST_RX_REQUIRED, ST_CANCELLED}},
	{ST_ALLOCATION, {ST_PACKED, ST_ALLOCATION_FAILED, ST_CANCELLED}},
	{ST_ALLOCATION_FAILED, {ST_ALLOCATION, ST_CANCELLED}},
	{ST_PACKED, {ST_SHIPPED}},
	{ST_SHIPPED, {ST_OUT_FOR_DELIVERY}},
	{ST_OUT_FOR_DELIVERY, {ST_DELIVERED, ST_REATTEMPT}},
	{ST_REATTEMPT, {ST_OUT_FOR_DELIVERY, ST_CANCELLED}},
	{ST_DELIVERED, {ST_RETURN_REQUESTED}},
	{ST_RETURN_REQUESTED, {ST_RETURN_PICKED}},
	{ST_RETURN_PICKED, {ST_RETURN_REFUNDED}},
	{ST_CANCEL_INITIATED, {ST_CANCELLED}},
};

int order_status_known(int status)
{
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (statuses[i].status == status)
			return 1;
	return 0;
}

const char *order_status_title(int status)
{
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (statuses[i].status == status)
			return statuses[i].title;
	return "Unknown";
}

const char *order_status_logistics(int status, int ever_confirmed)
{
	if (status == ST_CANCELLED && !ever_confirmed)
		return "deleted";
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (statuses[i].status == status)
			return statuses[i].logistics;
	return "unknown";
}

int order_move_allowed(int from, int to)
{
	for (size_t i = 0; i < sizeof(moves) / sizeof(moves[0]); i++) {
		if (moves[i].from != from)
			continue;
		for (size_t k = 0; k < 4 && moves[i].to[k]; k++)
			if (moves[i].to[k] == to)
				return 1;
	}
	return 0;
}

int order_status_holds_stock(int status)
{
	switch (status) {
	case ST_AWAITING_CONFIRMATION:
	case ST_PLACED:
	case ST_RX_REQUIRED:
	case ST_RX_REVIEW:
	case ST_ALLOCATION:
	case ST_PACKED:
	case ST_CANCEL_INITIATED:
		return 1;
	default:
		return 0;
	}
}

int order_status_shipped(int status)
{
	switch (status) {
	case ST_SHIPPED:
	case ST_OUT_FOR_DELIVERY:
	case ST_DELIVERED:
	case ST_REATTEMPT:
	case ST_RETURN_REQUESTED:
	case ST_RETURN_PICKED:
	case ST_RETURN_REFUNDED:
		return 1;
	default:
		return 0;
	}
}

int order_status_final(int status)
{
	return status == ST_CANCELLED || status == ST_RETURN_REFUNDED;
}

int order_status_confirmed(int status)
{
	return status == ST_PLACED || status == ST_RX_REQUIRED || status == ST_RX_REVIEW ||
	       status == ST_ALLOCATION || status == ST_PACKED;
}

int order_placed_status(int needs_rx, size_t prescriptions)
{
	return needs_rx && prescriptions == 0 ? ST_RX_REQUIRED : ST_PLACED;
}

int order_merchant_cancellable(int status)
{
	return status == ST_AWAITING_CONFIRMATION || status == ST_PLACED ||
	       status == ST_RX_REQUIRED || status == ST_RX_REVIEW;
}

enum order_stock_effect order_move_stock_effect(int from, int to)
{
	if (to == ST_CANCELLED || to == ST_ALLOCATION_FAILED)
		return STOCK_RELEASE;
	if (to == ST_SHIPPED)
		return STOCK_SHIP;
	if (from == ST_ALLOCATION_FAILED && to == ST_ALLOCATION)
		return STOCK_RESERVE;
	return STOCK_KEEP;
}
