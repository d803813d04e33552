/*
 * The admin API's stock change, shared by the platform SKU route and the
 * logistics merchants' product route: one body ({delta} or {set}, reason),
 * one set of refusals.
 */
#ifndef APO_ADMIN_STOCK_H
#define APO_ADMIN_STOCK_H

#include <jansson.h>
#include <stdint.h>

#include "base/result.h"

struct req;

#define STOCK_MAX_REASON 200

/*
 * Reads {delta} or {set} and an optional reason from body and applies it
 * to (merchant_id, sku_id) with stock_adjust(). Returns APO_OK with the new
 * counters, read after the waiting orders the rise allocated took theirs; otherwise answers (400 for a bad body or a count over the
 * limit, 404 naming `what` for an unknown product, other failures by their
 * status) and returns the result — except APO_ERR_INSUFFICIENT, which it
 * leaves for the caller to answer (409) with whatever detail it has.
 */
enum apo_result admin_stock_change(struct req *r, const json_t *body, const char *merchant_id,
				   const char *sku_id, const char *what, int64_t *on_hand,
				   int64_t *reserved);

#endif
