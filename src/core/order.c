/*
 * Order value helpers (see order.h).
 */
#include <stdlib.h>
#include <string.h>

#include "core/order.h"
#include "base/xalloc.h"
#include "base/banned.h"

void order_init(struct order *o)
{
	memset(o, 0, sizeof(*o));
}

void order_lines_release(struct order *o)
{
	for (size_t i = 0; i < o->nlines; i++) {
		struct order_line *l = &o->lines[i];
		free(l->sku_id);
		free(l->name);
		free(l->pack_size_label);
		free(l->sku_type);
		free(l->extra_json);
		memset(l, 0, sizeof(*l));
	}
	o->nlines = 0;
}

void order_release(struct order *o)
{
	char **strs[] = {&o->merchant_id,   &o->merchant_order_id,
			 &o->dialect,	    &o->request_hash,
			 &o->response,	    &o->payment_method,
			 &o->subtitle,	    &o->coupon_code,
			 &o->flagged,	    &o->user_json,
			 &o->address_json,  &o->extra_json,
			 &o->pincode,	    &o->tracking_code,
			 &o->delivery_partner, &o->carrier_tracking_code};
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		free(*strs[i]);
	order_lines_release(o);
	for (size_t i = 0; i < o->ncharges; i++) {
		free(o->charges[i].type);
		free(o->charges[i].display_text);
	}
	order_init(o);
}

struct order *order_new(void)
{
	struct order *o = xmalloc(sizeof(*o));
	order_init(o);
	return o;
}

void order_free(struct order *o)
{
	if (o) {
		order_release(o);
		free(o);
	}
}

int64_t order_line_open_qty(const struct order_line *l)
{
	return l->qty - l->cancelled_qty;
}

void order_lines_by_pid(const struct order *o, size_t idx[ORDER_MAX_LINES])
{
	for (size_t i = 0; i < o->nlines; i++) {
		size_t j = i;
		for (; j > 0 && o->lines[idx[j - 1]].pid > o->lines[i].pid; j--)
			idx[j] = idx[j - 1];
		idx[j] = i;
	}
}

int order_needs_rx(const struct order *o)
{
	for (size_t i = 0; i < o->nlines; i++)
		if (o->lines[i].rx_required && order_line_open_qty(&o->lines[i]) > 0)
			return 1;
	return 0;
}

void order_extras_release(struct order_extras *x)
{
	for (size_t i = 0; i < x->nevents; i++) {
		free(x->events[i].actor);
		free(x->events[i].note);
	}
	for (size_t i = 0; i < x->npayments; i++) {
		free(x->payments[i].transaction_id);
		free(x->payments[i].status);
	}
	for (size_t i = 0; i < x->nrefunds; i++) {
		struct order_refund *f = &x->refunds[i];
		free(f->refund_id);
		free(f->transaction_id);
		free(f->type);
		free(f->reason);
		free(f->state);
	}
	for (size_t i = 0; i < x->nrx; i++) {
		free(x->rx[i].url);
		free(x->rx[i].status);
	}
	free(x->events);
	free(x->payments);
	free(x->refunds);
	free(x->rx);
	memset(x, 0, sizeof(*x));
}
