/*
 * The operators' read side (see repo_admin.h): order search, key pages for
 * the lists, the stock ledger, dashboard figures, console sessions.
 *
 * The order search has one statement per combination of filters in use
 * (2^6, built once), so each backend plans it with exactly the conditions
 * that apply and reaches for the index of the driving filter (migration
 * 007) instead of an `? IS NULL OR ...` that no planner can index.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "store/repo_admin.h"
#include "store/store.h"
#include "base/buf.h"
#include "base/xalloc.h"
#include "base/banned.h"

/* Filters in use, as bits of a statement's index in q_search. */
enum {
	F_Q = 1,
	F_MERCHANT = 2,
	F_STATUS = 4,
	F_FLAGGED = 8,
	F_UNFLAGGED = 16,
	F_FROM = 32,
	F_ALL = 64
};

#define SEARCH_COLS                                                                                \
	"oid, order_id, hex_id, merchant_id, merchant_order_id, dialect, status_id, subtitle, "    \
	"payment_method, payable, created, updated, status_changed, tracking_code, flagged, "      \
	"user_json"

/* The search keys, as each backend's index (migration 007) spells them. */
static const char *const key_sqlite[] = {
    "order_id", "merchant_order_id", "json_extract(user_json, '$.mobile')",
    "json_extract(user_json, '$.phoneNumber')", "lower(json_extract(user_json, '$.email'))"};
static const char *const key_pg[] = {"order_id COLLATE \"C\"", "merchant_order_id COLLATE \"C\"",
				     "(user_json::json ->> 'mobile') COLLATE \"C\"",
				     "(user_json::json ->> 'phoneNumber') COLLATE \"C\"",
				     "lower(user_json::json ->> 'email') COLLATE \"C\""};
#define NKEYS (sizeof(key_sqlite) / sizeof(key_sqlite[0]))

static struct store_sql q_search[F_ALL];
static pthread_once_t search_once = PTHREAD_ONCE_INIT;

static char *search_sql(unsigned mask, const char *const *keys)
{
	struct buf b;
	buf_init(&b);
	buf_adds(&b, "SELECT " SEARCH_COLS " FROM orders WHERE (created, oid) < (?, ?)");
	if (mask & F_Q) {
		buf_adds(&b, " AND oid IN (");
		for (size_t i = 0; i < NKEYS; i++)
			buf_addf(&b, "%sSELECT oid FROM orders WHERE %s >= ? AND %s < ?",
				 i ? " UNION " : "", keys[i], keys[i]);
		buf_adds(&b, ")");
	}
	if (mask & F_MERCHANT)
		buf_adds(&b, " AND merchant_id = ?");
	if (mask & F_STATUS)
		buf_adds(&b, " AND status_id = ?");
	if (mask & F_FLAGGED)
		buf_adds(&b, " AND flagged IS NOT NULL");
	if (mask & F_UNFLAGGED)
		buf_adds(&b, " AND flagged IS NULL");
	if (mask & F_FROM)
		buf_adds(&b, " AND created >= ?");
	buf_adds(&b, " ORDER BY created DESC, oid DESC LIMIT ?");
	return buf_detach(&b, NULL);
}

/* The statements live as long as the process, like every static one. */
static void search_build(void)
{
	for (unsigned m = 0; m < F_ALL; m++) {
		q_search[m].sql = search_sql(m, key_sqlite);
		q_search[m].pg_sql = search_sql(m, key_pg);
	}
}

void admin_order_filter_init(struct admin_order_filter *f)
{
	memset(f, 0, sizeof(*f));
	f->status = -1;
	f->flagged = -1;
	f->created_from = -1;
	f->created_to = -1;
}

int admin_search_q_ok(const char *q)
{
	size_t n = q ? strlen(q) : 0;
	if (n < 1 || n > ADMIN_SEARCH_MAX_Q)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (q[i] < 0x20 || q[i] > 0x7e)
			return 0;
	return 1;
}

/*
 * Runs q and hands each row to row(rows, ctx), then frees the rows: the
 * loop every list and summary query here shares.
 */
static enum apo_result each_row(struct store_conn *c, struct store_sql *q,
				const struct store_val *args, size_t n,
				void (*row)(struct store_rows *rows, void *ctx), void *ctx)
{
	struct store_rows *rows;
	enum apo_result rc = store_exec(c, q, args, n, &rows);
	if (rc != APO_OK)
		return rc;
	while (store_next(rows))
		row(rows, ctx);
	store_rows_free(rows);
	return APO_OK;
}

/* The first text after every text starting with `from` (its last byte,
 * printable ASCII, plus one), so that [from, to) is the prefix's range. */
static void prefix_end(const char *from, char *to, size_t cap)
{
	size_t n = strlen(from);
	if (n >= cap)
		n = cap - 1;
	memcpy(to, from, n);
	to[n] = '\0';
	if (n)
		to[n - 1] = (char)(to[n - 1] + 1);
}

/* A list's caller: its row callback (by the list's row type) and context. */
struct row_sink {
	union {
		void (*order)(const struct admin_order_row *row, void *ctx);
		void (*ledger)(const struct ledger_row *row, void *ctx);
	} fn;
	void *ctx;
};

static void order_row(struct store_rows *rows, void *ctx)
{
	struct row_sink *sink = ctx;
	struct admin_order_row o = {
	    .oid = store_int(rows, 0),
	    .order_id = store_text(rows, 1),
	    .hex_id = store_text(rows, 2),
	    .merchant_id = store_text(rows, 3),
	    .merchant_order_id = store_text(rows, 4),
	    .dialect = store_text(rows, 5),
	    .status_id = (int)store_int(rows, 6),
	    .subtitle = store_text(rows, 7),
	    .payment_method = store_text(rows, 8),
	    .payable = store_int(rows, 9),
	    .created = store_int(rows, 10),
	    .updated = store_int(rows, 11),
	    .status_changed = store_int(rows, 12),
	    .tracking_code = store_text(rows, 13),
	    .flagged = store_text(rows, 14),
	    .user_json = store_text(rows, 15),
	};
	sink->fn.order(&o, sink->ctx);
}

enum apo_result admin_order_search(struct store_conn *c, const struct admin_order_filter *f,
				   size_t limit,
				   void (*fn)(const struct admin_order_row *row, void *ctx),
				   void *ctx)
{
	struct store_val args[2 + 2 * NKEYS + 6];
	char lower[ADMIN_SEARCH_MAX_Q + 1], end[ADMIN_SEARCH_MAX_Q + 1];
	char lower_end[ADMIN_SEARCH_MAX_Q + 1];
	unsigned mask = 0;
	size_t n = 0;

	pthread_once(&search_once, search_build);
	/* One upper bound, the lower of the page's cursor and created_to
	 * (created <= t is (created, oid) < (t + 1, 0)), so that each backend
	 * reads it as the one end of an index range. */
	int64_t top_created = INT64_MAX, top_oid = INT64_MAX;
	if (f->before_oid > 0) {
		top_created = f->before_created;
		top_oid = f->before_oid;
	}
	if (f->created_to >= 0 && f->created_to < INT64_MAX &&
	    (f->created_to + 1 < top_created ||
	     (f->created_to + 1 == top_created && top_oid > 0))) {
		top_created = f->created_to + 1;
		top_oid = 0;
	}
	args[n++] = SV_INT(top_created);
	args[n++] = SV_INT(top_oid);
	if (f->q) {
		if (!admin_search_q_ok(f->q))
			return APO_ERR_INVALID;
		mask |= F_Q;
		size_t len = strlen(f->q);
		for (size_t i = 0; i <= len; i++)
			lower[i] =
			    (f->q[i] >= 'A' && f->q[i] <= 'Z') ? (char)(f->q[i] + 32) : f->q[i];
		prefix_end(f->q, end, sizeof(end));
		prefix_end(lower, lower_end, sizeof(lower_end));
		for (size_t i = 0; i + 1 < NKEYS; i++) {
			args[n++] = SV_TEXT(f->q);
			args[n++] = (struct store_val){.kind = STORE_TEXT, .s = end};
		}
		args[n++] = (struct store_val){.kind = STORE_TEXT, .s = lower};
		args[n++] = (struct store_val){.kind = STORE_TEXT, .s = lower_end};
	}
	if (f->merchant_id) {
		mask |= F_MERCHANT;
		args[n++] = SV_TEXT(f->merchant_id);
	}
	if (f->status >= 0) {
		mask |= F_STATUS;
		args[n++] = SV_INT(f->status);
	}
	if (f->flagged >= 0)
		mask |= f->flagged ? F_FLAGGED : F_UNFLAGGED;
	if (f->created_from >= 0) {
		mask |= F_FROM;
		args[n++] = SV_INT(f->created_from);
	}
	args[n++] = SV_INT(limit);

	struct row_sink sink = {.fn.order = fn, .ctx = ctx};
	return each_row(c, &q_search[mask], args, n, order_row, &sink);
}

static struct store_sql q_keys[] = {
    [ADMIN_KEYS_MERCHANTS] = {.sql = "SELECT id FROM merchants WHERE id > ? ORDER BY id LIMIT ?"},
    [ADMIN_KEYS_SKUS] = {.sql = "SELECT sku_id FROM products WHERE merchant_id = '' AND "
				"sku_id > ? ORDER BY sku_id LIMIT ?"},
    [ADMIN_KEYS_COUPONS] = {.sql = "SELECT code FROM coupons WHERE code > ? ORDER BY code "
				   "LIMIT ?"},
    [ADMIN_KEYS_PINCODES] = {.sql = "SELECT pincode FROM pincodes WHERE pincode > ? ORDER BY "
				    "pincode LIMIT ?"},
};

enum apo_result admin_keys_page(struct store_conn *c, enum admin_keys what, const char *after,
				size_t limit, char ***keys, size_t *n)
{
	struct store_rows *rows;
	struct store_val args[] = {SV_TEXT(after ? after : ""), SV_INT(limit)};
	*keys = NULL;
	*n = 0;
	enum apo_result rc = store_exec(c, &q_keys[what], args, 2, &rows);
	if (rc != APO_OK)
		return rc;
	*keys = xcalloc(limit ? limit : 1, sizeof(char *));
	while (*n < limit && store_next(rows)) {
		const char *k = store_text(rows, 0);
		(*keys)[(*n)++] = xstrdup(k ? k : "");
	}
	store_rows_free(rows);
	return APO_OK;
}

void admin_keys_free(char **keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
}

static struct store_sql q_sku_pid = {
    .sql = "SELECT pid FROM products WHERE merchant_id = '' AND sku_id = ?"};
static struct store_sql q_ledger = {
    .sql = "SELECT id, delta_on_hand, delta_reserved, reason, order_id, at FROM stock_ledger "
	   "WHERE pid = ? AND id < ? ORDER BY id DESC LIMIT ?"};

static void ledger_row(struct store_rows *rows, void *ctx)
{
	struct row_sink *sink = ctx;
	struct ledger_row l = {
	    .id = store_int(rows, 0),
	    .delta_on_hand = store_int(rows, 1),
	    .delta_reserved = store_int(rows, 2),
	    .reason = store_text(rows, 3),
	    .order_id = store_text(rows, 4),
	    .at = store_int(rows, 5),
	};
	l.actor = l.order_id ? "order" : "operator";
	sink->fn.ledger(&l, sink->ctx);
}

enum apo_result admin_ledger(struct store_conn *c, const char *sku_id, int64_t before_id,
			     size_t limit, void (*fn)(const struct ledger_row *row, void *ctx),
			     void *ctx)
{
	int64_t pid;
	struct store_val arg = SV_TEXT(sku_id);
	enum apo_result rc = store_query_int(c, &q_sku_pid, &arg, 1, &pid);
	if (rc != APO_OK)
		return rc;
	struct store_val args[] = {SV_INT(pid), SV_INT(before_id > 0 ? before_id : INT64_MAX),
				   SV_INT(limit)};
	struct row_sink sink = {.fn.ledger = fn, .ctx = ctx};
	return each_row(c, &q_ledger, args, 3, ledger_row, &sink);
}

/* Outcome of an order by its status now (enum admin_outcome). */
#define OUTCOME_SQL                                                                                \
	"CASE WHEN status_id = 180 THEN 0 WHEN status_id IN (95, 99) THEN 3 "                      \
	"WHEN status_id IN (40, 140, 141, 142) THEN 2 ELSE 1 END"

static struct store_sql q_dash_hourly = {.sql = "SELECT created / 3600, " OUTCOME_SQL
						", COUNT(*) FROM orders WHERE created >= ? "
						"GROUP BY created / 3600, " OUTCOME_SQL};
static struct store_sql q_dash_daily = {
    .sql = "SELECT created / 86400, SUM(payable) FROM orders WHERE created >= ? AND "
	   "status_id NOT IN (95, 99) GROUP BY created / 86400"};
static struct store_sql q_dash_pay = {
    .sql = "SELECT "
	   "SUM(CASE WHEN flagged IS NULL AND ever_confirmed = 1 THEN 1 ELSE 0 END), "
	   "SUM(CASE WHEN flagged IS NULL AND ever_confirmed = 0 AND status_id = 180 "
	   "THEN 1 ELSE 0 END), "
	   "SUM(CASE WHEN flagged IS NULL AND ever_confirmed = 0 AND status_id <> 180 "
	   "THEN 1 ELSE 0 END), "
	   "SUM(CASE WHEN flagged IS NOT NULL THEN 1 ELSE 0 END) "
	   "FROM orders WHERE created >= ? AND payment_method = 'ONLINE'"};
static struct store_sql q_dash_outbox = {
    .sql = "SELECT state, kind, COUNT(*), MIN(first_at) FROM outbox WHERE state IN "
	   "('pending', 'failed') GROUP BY state, kind"};

static void dash_hour_row(struct store_rows *rows, void *ctx)
{
	struct admin_dashboard *d = ctx;
	int64_t h = store_int(rows, 0) - d->first_hour / 3600, k = store_int(rows, 1);
	if (h >= 0 && h < ADMIN_DASH_HOURS && k >= 0 && k < OUTCOME_N)
		d->hourly[h][k] += store_int(rows, 2);
}

static void dash_day_row(struct store_rows *rows, void *ctx)
{
	struct admin_dashboard *d = ctx;
	int64_t day = store_int(rows, 0) - d->first_day / 86400;
	if (day >= 0 && day < ADMIN_DASH_DAYS)
		d->daily_value[day] += store_int(rows, 1);
}

static void dash_pay_row(struct store_rows *rows, void *ctx)
{
	struct admin_dashboard *d = ctx;
	d->pay_confirmed = store_int(rows, 0);
	d->pay_pending = store_int(rows, 1);
	d->pay_failed = store_int(rows, 2);
	d->pay_flagged = store_int(rows, 3);
}

static void dash_outbox_row(struct store_rows *rows, void *ctx)
{
	struct admin_dashboard *d = ctx;
	const char *state = store_text(rows, 0), *kind = store_text(rows, 1);
	int k = kind && strcmp(kind, "refund") == 0 ? 1 : 0;
	int64_t count = store_int(rows, 2), first_ms = store_int(rows, 3);
	if (state && strcmp(state, "pending") == 0) {
		d->outbox_pending[k] += count;
		if (count && (!d->outbox_oldest_pending || first_ms / 1000 < d->outbox_oldest_pending))
			d->outbox_oldest_pending = first_ms / 1000;
	} else {
		d->outbox_failed[k] += count;
	}
}

static enum apo_result dash_orders(struct store_conn *c, int64_t now, struct admin_dashboard *d)
{
	d->first_hour = (now / 3600 - (ADMIN_DASH_HOURS - 1)) * 3600;
	struct store_val a1 = SV_INT(d->first_hour);
	enum apo_result rc = each_row(c, &q_dash_hourly, &a1, 1, dash_hour_row, d);
	if (rc != APO_OK)
		return rc;
	d->first_day = (now / 86400 - (ADMIN_DASH_DAYS - 1)) * 86400;
	struct store_val a2 = SV_INT(d->first_day);
	if ((rc = each_row(c, &q_dash_daily, &a2, 1, dash_day_row, d)) != APO_OK)
		return rc;
	/* One row of sums (the last one stands, as there is only one). */
	return each_row(c, &q_dash_pay, &a2, 1, dash_pay_row, d);
}

enum apo_result admin_dashboard_load(struct store_conn *c, int64_t now, struct admin_dashboard *d)
{
	memset(d, 0, sizeof(*d));
	enum apo_result rc = dash_orders(c, now, d);
	if (rc != APO_OK)
		return rc;
	return each_row(c, &q_dash_outbox, NULL, 0, dash_outbox_row, d);
}

static struct store_sql q_sess_purge = {.sql = "DELETE FROM console_sessions WHERE expires < ?"};
static struct store_sql q_sess_add = {
    .sql = "INSERT INTO console_sessions (token_hash, csrf, created, expires) "
	   "VALUES (?, ?, ?, ?)"};
static struct store_sql q_sess_get = {
    .sql = "SELECT csrf FROM console_sessions WHERE token_hash = ? AND expires >= ?"};
static struct store_sql q_sess_del = {.sql = "DELETE FROM console_sessions WHERE token_hash = ?"};

enum apo_result admin_session_create(struct store_conn *c, const char *token_hash, const char *csrf,
				     int64_t now, int64_t expires)
{
	struct store_val purge = SV_INT(now);
	struct store_val args[] = {SV_TEXT(token_hash), SV_TEXT(csrf), SV_INT(now),
				   SV_INT(expires)};
	enum apo_result rc = store_begin(c, STORE_TX_WRITE);
	if (rc == APO_OK)
		rc = store_exec(c, &q_sess_purge, &purge, 1, NULL);
	if (rc == APO_OK)
		rc = store_exec(c, &q_sess_add, args, 4, NULL);
	if (rc == APO_OK)
		rc = store_commit(c);
	if (rc != APO_OK)
		store_rollback(c);
	return rc;
}

enum apo_result admin_session_find(struct store_conn *c, const char *token_hash, int64_t now,
				   char *csrf, size_t cap)
{
	struct store_rows *rows;
	struct store_val args[] = {SV_TEXT(token_hash), SV_INT(now)};
	enum apo_result rc = store_exec(c, &q_sess_get, args, 2, &rows);
	if (rc != APO_OK)
		return rc;
	rc = APO_ERR_NOT_FOUND;
	if (store_next(rows)) {
		const char *s = store_text(rows, 0);
		if (s && strlen(s) < cap) {
			memcpy(csrf, s, strlen(s) + 1);
			rc = APO_OK;
		}
	}
	store_rows_free(rows);
	return rc;
}

enum apo_result admin_session_delete(struct store_conn *c, const char *token_hash)
{
	struct store_val arg = SV_TEXT(token_hash);
	enum apo_result rc = store_begin(c, STORE_TX_WRITE);
	if (rc == APO_OK)
		rc = store_exec(c, &q_sess_del, &arg, 1, NULL);
	if (rc == APO_OK)
		rc = store_commit(c);
	if (rc != APO_OK)
		store_rollback(c);
	return rc;
}
