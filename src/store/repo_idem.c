/*
 * Idempotency keys (see repo_idem.h).
 */
#include <stdlib.h>
#include <string.h>

#include "store/repo_idem.h"
#include "store/store.h"
#include "base/xalloc.h"
#include "base/banned.h"

static struct store_sql q_insert = {
	.sql = "INSERT INTO idempotency_keys (merchant_id, method, route, idem_key, request_hash, "
	       "state, created) VALUES (?, ?, ?, ?, ?, 'running', ?) ON CONFLICT DO NOTHING"};
static struct store_sql q_get = {
	.sql = "SELECT state, request_hash, status, body, created FROM idempotency_keys "
	       "WHERE merchant_id = ? AND method = ? AND route = ? AND idem_key = ?"};
static struct store_sql q_take_over = {
	.sql = "UPDATE idempotency_keys SET request_hash = ?, created = ? WHERE merchant_id = ? AND "
	       "method = ? AND route = ? AND idem_key = ? AND state = 'running' AND created < ?"};
static struct store_sql q_store = {
	.sql = "UPDATE idempotency_keys SET state = 'done', status = ?, body = ? WHERE "
	       "merchant_id = ? AND method = ? AND route = ? AND idem_key = ?"};
static struct store_sql q_forget = {
	.sql = "DELETE FROM idempotency_keys WHERE merchant_id = ? AND method = ? AND route = ? AND "
	       "idem_key = ? AND state = 'running'"};
static struct store_sql q_purge = {
	.sql = "DELETE FROM idempotency_keys WHERE state = 'done' AND created < ?"};

#define KEY_ARGS(k) SV_TEXT((k)->merchant_id), SV_TEXT((k)->method), SV_TEXT((k)->route), SV_TEXT((k)->key)

static enum apo_result read_row(struct store_conn *c, const struct idem_key *k, const char *hash,
				struct idem_found *found)
{
	struct store_rows *rows;
	struct store_val args[] = {KEY_ARGS(k)};
	enum apo_result rc = store_exec(c, &q_get, args, 4, &rows);
	if (rc != APO_OK)
		return rc;
	memset(found, 0, sizeof(*found));
	if (!store_next(rows)) {
		store_rows_free(rows);
		return APO_ERR_NOT_FOUND;
	}
	const char *state = store_text(rows, 0), *h = store_text(rows, 1);
	found->done = state && strcmp(state, "done") == 0;
	found->same_request = h && strcmp(h, hash) == 0;
	found->status = (int)store_int(rows, 2);
	found->body = store_text(rows, 3) ? xstrdup(store_text(rows, 3)) : NULL;
	found->created = store_int(rows, 4);
	store_rows_free(rows);
	return APO_OK;
}

enum apo_result idem_claim(struct store_conn *c, const struct idem_key *k, const char *hash,
			   int64_t now, int64_t stale_s, struct idem_found *found)
{
	struct store_val ins[] = {KEY_ARGS(k), SV_TEXT(hash), SV_INT(now)};
	enum apo_result rc = store_exec(c, &q_insert, ins, 6, NULL);
	if (rc != APO_OK)
		return rc;
	if (store_changes(c) == 1)
		return APO_OK;
	struct store_val take[] = {SV_TEXT(hash), SV_INT(now), KEY_ARGS(k), SV_INT(now - stale_s)};
	if ((rc = store_exec(c, &q_take_over, take, 7, NULL)) != APO_OK)
		return rc;
	if (store_changes(c) == 1)
		return APO_OK;
	rc = read_row(c, k, hash, found);
	if (rc == APO_ERR_NOT_FOUND) /* forgotten meanwhile: the caller may try again */
		return APO_ERR_BUSY;
	return rc == APO_OK ? APO_ERR_CONFLICT : rc;
}

enum apo_result idem_store(struct store_conn *c, const struct idem_key *k, int status,
			   const char *body)
{
	struct store_val args[] = {SV_INT(status), SV_TEXT(body), KEY_ARGS(k)};
	return store_exec(c, &q_store, args, 6, NULL);
}

enum apo_result idem_forget(struct store_conn *c, const struct idem_key *k)
{
	struct store_val args[] = {KEY_ARGS(k)};
	return store_exec(c, &q_forget, args, 4, NULL);
}

enum apo_result idem_purge(struct store_conn *c, int64_t before)
{
	struct store_val arg = SV_INT(before);
	return store_exec(c, &q_purge, &arg, 1, NULL);
}
