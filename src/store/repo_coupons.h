/*
 * Coupons in storage. Codes are case-insensitive (stored upper-case).
 *
 * Ownership: coupon_load() fills a caller's struct coupon whose strings
 * (code, merchant_id) are then the caller's to free (coupon_release()).
 */
#ifndef APO_REPO_COUPONS_H
#define APO_REPO_COUPONS_H

#include "base/result.h"
#include "core/catalog.h"

struct store_conn;

/* Coupons: load by code, insert or replace (keeping used_count). Codes
 * are case-insensitive (see coupon_code_upper()). */
enum apo_result coupon_load(struct store_conn *c, const char *code, struct coupon *out);

enum apo_result coupon_save(struct store_conn *c, const struct coupon *cp, int *created);

/* Within the caller's transaction: counts one use if under the limit
 * (APO_ERR_CONFLICT when exhausted). */
enum apo_result coupon_use(struct store_conn *c, const char *code);

#endif
