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

/* Reads one q_pin_load row into the struct pincode_entry e. */
static void pincode_from_row(struct store_rows *rows, void *e)
{
	struct pincode_entry *out = e;
	memset(out, 0, sizeof(*out));
	fmt_into(out->pincode, sizeof(out->pincode), "%s", store_text(rows, 0));
	out->serviceable = (int)store_int(rows, 1);
	out->eta_min_days = opt_col(rows, 2);
	out->eta_max_days = opt_col(rows, 3);
}

enum apo_result pincode_load(struct store_conn *c, const char *pincode, struct pincode_entry *out)
{
	if (!pincode_valid(pincode))
		return APO_ERR_NOT_FOUND;
	struct store_val arg = text_arg(pincode);
	return store_query_row(c, &q_pin_load, &arg, 1, pincode_from_row, out);
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

static enum apo_result put_pincode(struct store_conn *c, const void *rows, size_t i, int *made)
{
	return pincode_upsert_in_tx(c, &((const struct pincode_row *)rows)[i].e, made);
}

enum apo_result pincode_import(struct store_conn *c, const struct pincode_row *rows, size_t n,
			       size_t *created, size_t *bad)
{
	*created = 0;
	*bad = IMPORT_NOT_STARTED;
	enum apo_result rc = store_begin(c, STORE_TX_WRITE);
	if (rc != APO_OK)
		return rc;
	return import_rows(c, n, put_pincode, rows, created, bad);
}
