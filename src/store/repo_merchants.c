/*
 * Merchant rows and their charge rules (see repo_merchants.h).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/repo_merchants.h"
#include "store/store.h"
#include "base/clock.h"
#include "base/xalloc.h"
#include "base/banned.h"

#define MERCHANT_COLS                                                                          \
	"id, name, display_name, jwt_public_key, logistics_secret_hash, payment_base_url, "    \
	"payment_auth_header, payment_auth_value, payment_aggregator, webhook_url, "           \
	"webhook_auth_header, webhook_auth_value, webhook_signing_secret, payment_window_s, "  \
	"active, created, updated, help_url, help_email, help_phone, webhook_batch"

static struct store_sql q_by_id = {.sql = "SELECT " MERCHANT_COLS " FROM merchants WHERE id = ?"};
static struct store_sql q_by_name = {.sql = "SELECT " MERCHANT_COLS
					    " FROM merchants WHERE name = ?"};
/* A merchant's charges by the same key as its row, so both go in one round trip. */
static struct store_sql q_charges_by_id = {
	.sql = "SELECT type, display_text, amount, below FROM merchant_charges "
	       "WHERE merchant_id = ? ORDER BY pos"};
static struct store_sql q_charges_by_name = {
	.sql = "SELECT c.type, c.display_text, c.amount, c.below FROM merchant_charges c "
	       "JOIN merchants m ON m.id = c.merchant_id WHERE m.name = ? ORDER BY c.pos"};
static struct store_sql q_insert = {
	.sql = "INSERT INTO merchants (" MERCHANT_COLS
	       ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"};
static struct store_sql q_update = {
	.sql = "UPDATE merchants SET name = ?, display_name = ?, jwt_public_key = ?, "
	       "logistics_secret_hash = ?, payment_base_url = ?, payment_auth_header = ?, "
	       "payment_auth_value = ?, payment_aggregator = ?, webhook_url = ?, "
	       "webhook_auth_header = ?, webhook_auth_value = ?, webhook_signing_secret = ?, "
	       "payment_window_s = ?, active = ?, updated = ?, help_url = ?, help_email = ?, "
	       "help_phone = ?, webhook_batch = ? WHERE id = ?"};
static struct store_sql q_del_charges = {.sql = "DELETE FROM merchant_charges WHERE merchant_id = ?"};
static struct store_sql q_add_charge = {
	.sql = "INSERT INTO merchant_charges (merchant_id, pos, type, display_text, amount, below) "
	       "VALUES (?, ?, ?, ?, ?, ?)"};

static char *dup_col(struct store_rows *r, int col)
{
	const char *s = store_text(r, col);
	return s ? xstrdup(s) : NULL;
}

static void read_charges(struct store_rows *rows, void *out)
{
	struct merchant *m = out;
	while (m->ncharges < MERCHANT_MAX_CHARGES && store_next(rows)) {
		struct charge_rule *ch = &m->charges[m->ncharges++];
		ch->type = dup_col(rows, 0);
		ch->display_text = dup_col(rows, 1);
		ch->amount = store_int(rows, 2);
		ch->below = store_is_null(rows, 3) ? -1 : store_int(rows, 3);
	}
}

struct merchant_read {
	struct merchant *m;
	int found;
};

static void read_merchant(struct store_rows *rows, void *out)
{
	struct merchant_read *mr = out;
	struct merchant *m = mr->m;
	if (!(mr->found = store_next(rows)))
		return;
	char **text[MERCHANT_TEXT_FIELDS];
	merchant_text_fields(m, text);
	/* MERCHANT_COLS: the first 13 text fields, four numbers, the last three. */
	for (int i = 0; i < MERCHANT_TEXT_FIELDS; i++)
		*text[i] = dup_col(rows, i < 13 ? i : i + 4);
	m->payment_window_s = store_int(rows, 13);
	m->active = (int)store_int(rows, 14);
	m->created = store_int(rows, 15);
	m->updated = store_int(rows, 16);
	m->webhook_batch = store_int(rows, 20) != 0;
}

/* The merchant row and its charges, by the same key, in one round trip. */
static enum apo_result load_by(struct store_conn *c, struct store_sql *q,
			       struct store_sql *q_charges, const char *key, struct merchant *m)
{
	struct store_val arg = SV_TEXT(key);
	struct merchant_read mr = {m, 0};
	const struct store_read reads[] = {{q_charges, &arg, 1, read_charges, m},
					   {q, &arg, 1, read_merchant, &mr}};
	enum apo_result rc = store_read_many(c, reads, 2);
	if (rc != APO_OK)
		return rc;
	return mr.found ? APO_OK : APO_ERR_NOT_FOUND;
}

enum apo_result merchant_load(struct store_conn *c, const char *id, struct merchant *m)
{
	return load_by(c, &q_by_id, &q_charges_by_id, id, m);
}

enum apo_result merchant_load_by_name(struct store_conn *c, const char *name, struct merchant *m)
{
	return load_by(c, &q_by_name, &q_charges_by_name, name, m);
}

static enum apo_result save_charges(struct store_conn *c, const struct merchant *m)
{
	struct store_val id = SV_TEXT(m->id);
	enum apo_result rc = store_exec(c, &q_del_charges, &id, 1, NULL);
	for (size_t i = 0; rc == APO_OK && i < m->ncharges; i++) {
		const struct charge_rule *ch = &m->charges[i];
		struct store_val args[] = {
			SV_TEXT(m->id),		  SV_INT(i),
			SV_TEXT(ch->type),	  SV_TEXT(ch->display_text),
			SV_INT(ch->amount),	  ch->below < 0 ? SV_NULL : SV_INT(ch->below)};
		rc = store_exec(c, &q_add_charge, args, 6, NULL);
	}
	return rc;
}

enum apo_result merchant_save(struct store_conn *c, const struct merchant *m, int replace)
{
	int64_t now = now_epoch();
	enum apo_result rc = store_begin(c, STORE_TX_WRITE);
	if (rc != APO_OK)
		return rc;
	if (replace) {
		struct store_val args[] = {
			SV_TEXT(m->name),		  SV_TEXT(m->display_name),
			SV_TEXT(m->jwt_public_key),	  SV_TEXT(m->logistics_secret_hash),
			SV_TEXT(m->payment_base_url),	  SV_TEXT(m->payment_auth_header),
			SV_TEXT(m->payment_auth_value),	  SV_TEXT(m->payment_aggregator),
			SV_TEXT(m->webhook_url),	  SV_TEXT(m->webhook_auth_header),
			SV_TEXT(m->webhook_auth_value),	  SV_TEXT(m->webhook_signing_secret),
			SV_INT(m->payment_window_s),	  SV_INT(m->active),
			SV_INT(now),			  SV_TEXT(m->help_url),
			SV_TEXT(m->help_email),		  SV_TEXT(m->help_phone),
			SV_INT(m->webhook_batch != 0),	  SV_TEXT(m->id)};
		rc = store_exec(c, &q_update, args, 20, NULL);
		if (rc == APO_OK && store_changes(c) == 0)
			rc = APO_ERR_NOT_FOUND;
	} else {
		struct store_val args[] = {
			SV_TEXT(m->id),			  SV_TEXT(m->name),
			SV_TEXT(m->display_name),	  SV_TEXT(m->jwt_public_key),
			SV_TEXT(m->logistics_secret_hash), SV_TEXT(m->payment_base_url),
			SV_TEXT(m->payment_auth_header),  SV_TEXT(m->payment_auth_value),
			SV_TEXT(m->payment_aggregator),	  SV_TEXT(m->webhook_url),
			SV_TEXT(m->webhook_auth_header),  SV_TEXT(m->webhook_auth_value),
			SV_TEXT(m->webhook_signing_secret), SV_INT(m->payment_window_s),
			SV_INT(m->active),		  SV_INT(now),
			SV_INT(now),			  SV_TEXT(m->help_url),
			SV_TEXT(m->help_email),		  SV_TEXT(m->help_phone),
			SV_INT(m->webhook_batch != 0)};
		rc = store_exec(c, &q_insert, args, 21, NULL);
	}
	if (rc == APO_OK)
		rc = save_charges(c, m);
	if (rc == APO_OK)
		rc = store_commit(c);
	if (rc != APO_OK)
		store_rollback(c);
	return rc;
}
