/*
 * Pincodes in storage: load, upsert and the all-or-nothing import (see
 * repo_pincodes.h).
 */
#include <string.h>

#include "store/repo_pincodes.h"
#include "store/store.h"
#include "store/repo_catalog_int.h"
#include "base/clock.h"
#include "base/buf.h"
#include "base/banned.h"

static struct store_sql q_pin_load = {
    .sql = "SELECT pincode, serviceable, eta_min_days, eta_max_days FROM pincodes "
	   "WHERE pincode = ?"};
static struct store_sql q_pin_insert = {
    .sql = "INSERT INTO pincodes (pincode, serviceable, eta_min_days, eta_max_days, updated) "
	   "VALUES (?, ?, ?, ?, ?) ON CONFLICT (pincode) DO NOTHING"};
static struct store_sql q_pin_update = {
    .sql = "UPDATE pincodes SET serviceable = ?, eta_min_days = ?, eta_max_days = ?, "
	   "updated = ? WHERE pincode = ?"};

/* ---- pincodes ---- */

enum apo_result pincode_load(struct store_conn *c, const char *pincode, struct pincode_entry *out)
{
	struct store_rows *rows;
	if (!pincode_valid(pincode))
		return APO_ERR_NOT_FOUND;
	struct store_val arg = text_arg(pincode);
	enum apo_result rc = store_exec(c, &q_pin_load, &arg, 1, &rows);
	if (rc != APO_OK)
		return rc;
	if (store_next(rows)) {
		memset(out, 0, sizeof(*out));
		fmt_into(out->pincode, sizeof(out->pincode), "%s", pincode);
		out->serviceable = (int)store_int(rows, 1);
		out->eta_min_days = opt_col(rows, 2);
		out->eta_max_days = opt_col(rows, 3);
	} else {
		rc = APO_ERR_NOT_FOUND;
	}
	store_rows_free(rows);
	return rc;
}

/* Within a write transaction: the upsert of pincode_save(). */
static enum apo_result pincode_upsert_in_tx(struct store_conn *c, const struct pincode_entry *p,
					    int *created)
{
	int64_t now = now_epoch();
	struct store_val ins[] = {text_arg(p->pincode), SV_INT(p->serviceable != 0),
				  opt_int(p->eta_min_days), opt_int(p->eta_max_days), SV_INT(now)};
	enum apo_result rc = store_exec(c, &q_pin_insert, ins, 5, NULL);
	if (rc != APO_OK)
		return rc;
	*created = store_changes(c) == 1;
	if (*created)
		return APO_OK;
	struct store_val upd[] = {SV_INT(p->serviceable != 0), opt_int(p->eta_min_days),
				  opt_int(p->eta_max_days), SV_INT(now), text_arg(p->pincode)};
	return store_exec(c, &q_pin_update, upd, 5, NULL);
}

enum apo_result pincode_save(struct store_conn *c, const struct pincode_entry *p, int *created)
{
	if (!pincode_valid(p->pincode))
		return APO_ERR_INVALID;
	enum apo_result rc = store_begin(c, STORE_TX_WRITE);
	if (rc != APO_OK)
		return rc;
	rc = pincode_upsert_in_tx(c, p, created);
	if (rc == APO_OK)
		rc = store_commit(c);
	if (rc != APO_OK)
		store_rollback(c);
	return rc;
}
enum apo_result pincode_import(struct store_conn *c, const struct pincode_row *rows, size_t n,
			       size_t *created, size_t *bad)
{
	size_t i;
	*created = 0;
	*bad = IMPORT_NOT_STARTED;
	enum apo_result rc = store_begin(c, STORE_TX_WRITE);
	if (rc != APO_OK)
		return rc;
	for (i = 0; i < n; i++) {
		int made = 0;
		rc = pincode_upsert_in_tx(c, &rows[i].e, &made);
		if (rc != APO_OK)
			break;
		*created += (size_t)made;
	}
	if (rc == APO_OK)
		rc = store_commit(c);
	if (rc == APO_OK)
		return APO_OK;
	store_rollback(c);
	*created = 0;
	*bad = i;
	return rc;
}
