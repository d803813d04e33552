/*
 * Coupons in storage: load, upsert and counting a use (see
 * repo_coupons.h). Codes are stored upper-case.
 */
#include <string.h>

#include "store/repo_coupons.h"
#include "store/store.h"
#include "store/repo_catalog_int.h"
#include "base/clock.h"
#include "base/buf.h"
#include "base/banned.h"

#define COUPON_COLS                                                                                \
	"code, kind, value, max_discount, min_cart_value, valid_from, valid_to, usage_limit, "     \
	"used_count, merchant_id"

static struct store_sql q_coupon_load = {.sql =
					     "SELECT " COUPON_COLS " FROM coupons WHERE code = ?"};
static struct store_sql q_coupon_insert = {
    .sql = "INSERT INTO coupons (code, kind, value, max_discount, min_cart_value, valid_from, "
	   "valid_to, usage_limit, merchant_id, created, updated) "
	   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (code) DO NOTHING"};
static struct store_sql q_coupon_update = {
    .sql = "UPDATE coupons SET kind = ?, value = ?, max_discount = ?, min_cart_value = ?, "
	   "valid_from = ?, valid_to = ?, usage_limit = ?, merchant_id = ?, updated = ? "
	   "WHERE code = ?"};
static struct store_sql q_coupon_use = {
    .sql = "UPDATE coupons SET used_count = used_count + 1, updated = ? "
	   "WHERE code = ? AND (usage_limit IS NULL OR used_count < usage_limit)"};
static struct store_sql q_coupon_exists = {.sql = "SELECT COUNT(*) FROM coupons WHERE code = ?"};
/* ---- coupons ---- */

/* The stored (upper-case) form of a code; -1 when it cannot be one. */
static int coupon_key(const char *code, char out[COUPON_MAX_CODE + 1])
{
	if (!code || strlen(code) > COUPON_MAX_CODE)
		return -1;
	fmt_into(out, COUPON_MAX_CODE + 1, "%s", code);
	coupon_code_upper(out);
	return 0;
}

/* Reads one COUPON_COLS row into the struct coupon cp. */
static void coupon_from_row(struct store_rows *rows, void *cp)
{
	struct coupon *out = cp;
	const char *kind = store_text(rows, 1);
	out->code = dup_col(rows, 0);
	out->kind = kind && strcmp(kind, "flat") == 0 ? COUPON_FLAT : COUPON_PERCENT;
	out->value = store_int(rows, 2);
	out->max_discount = opt_col(rows, 3);
	out->min_cart_value = opt_col(rows, 4);
	out->valid_from = opt_col(rows, 5);
	out->valid_to = opt_col(rows, 6);
	out->usage_limit = opt_col(rows, 7);
	out->used_count = store_int(rows, 8);
	out->merchant_id = dup_col(rows, 9);
}

enum apo_result coupon_load(struct store_conn *c, const char *code, struct coupon *out)
{
	char key[COUPON_MAX_CODE + 1];
	if (coupon_key(code, key))
		return APO_ERR_NOT_FOUND;
	struct store_val arg = text_arg(key);
	return store_query_row(c, &q_coupon_load, &arg, 1, coupon_from_row, out);
}

enum apo_result coupon_save(struct store_conn *c, const struct coupon *cp, int *created)
{
	char key[COUPON_MAX_CODE + 1];
	int64_t now = now_epoch();
	if (coupon_key(cp->code, key))
		return APO_ERR_INVALID;
	enum apo_result rc = store_begin(c, STORE_TX_WRITE);
	if (rc != APO_OK)
		return rc;
	/* The insert's parameters are the code, then the terms and a time
	 * twice (created, updated); the update's are the terms and the time
	 * (updated), then the code: one array serves both. */
	struct store_val args[] = {text_arg(key),
				   SV_TEXT(coupon_kind_name(cp->kind)),
				   SV_INT(cp->value),
				   opt_int(cp->max_discount),
				   opt_int(cp->min_cart_value),
				   opt_int(cp->valid_from),
				   opt_int(cp->valid_to),
				   opt_int(cp->usage_limit),
				   SV_TEXT(cp->merchant_id),
				   SV_INT(now),
				   SV_INT(now)};
	rc = store_exec(c, &q_coupon_insert, args, 11, NULL);
	if (rc == APO_OK) {
		*created = store_changes(c) == 1;
		if (!*created) {
			args[10] = args[0];
			rc = store_exec(c, &q_coupon_update, &args[1], 10, NULL);
		}
	}
	if (rc == APO_OK)
		rc = store_commit(c);
	if (rc != APO_OK)
		store_rollback(c);
	return rc;
}

enum apo_result coupon_use(struct store_conn *c, const char *code)
{
	char key[COUPON_MAX_CODE + 1];
	int64_t n;
	if (coupon_key(code, key))
		return APO_ERR_NOT_FOUND;
	struct store_val args[] = {SV_INT(now_epoch()), text_arg(key)};
	enum apo_result rc = store_exec(c, &q_coupon_use, args, 2, NULL);
	if (rc != APO_OK)
		return rc;
	if (store_changes(c) == 1)
		return APO_OK;
	rc = store_query_int(c, &q_coupon_exists, &args[1], 1, &n);
	if (rc != APO_OK)
		return rc;
	return n ? APO_ERR_CONFLICT : APO_ERR_NOT_FOUND;
}
