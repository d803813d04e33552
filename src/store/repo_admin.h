/*
 * The operators' read side: order search, pages of keys for the admin
 * lists, the stock ledger, deliveries paged by cursor, the console's
 * dashboard figures and its sign-in sessions. All SQL, no decisions: what
 * a filter means and how an answer looks belong to src/api/.
 */
#ifndef APO_REPO_ADMIN_H
#define APO_REPO_ADMIN_H

#include <stddef.h>
#include <stdint.h>

#include "base/result.h"

struct store_conn;

/* The longest search text (q): a phone, an email, an order reference. */
#define ADMIN_SEARCH_MAX_Q 128

/*
 * Filters of an order search; every one optional. q matches order_id,
 * merchant_order_id, phone or email exactly or as a prefix (printable
 * ASCII only, see admin_search_q_ok). flagged: -1 any, 0 not flagged,
 * 1 flagged. created_from/created_to are inclusive epoch seconds (-1:
 * unbounded). Results come newest first by (created, oid); a page after
 * the first starts below (before_created, before_oid) — the last row of
 * the page before; before_oid 0 starts at the newest order.
 */
struct admin_order_filter {
	const char *q;
	const char *merchant_id;
	int status;
	int flagged;
	int64_t created_from;
	int64_t created_to;
	int64_t before_created;
	int64_t before_oid;
};

/* One order as a search lists it. Strings are NULL when absent. */
struct admin_order_row {
	int64_t oid;
	const char *order_id, *hex_id, *merchant_id, *merchant_order_id, *dialect, *subtitle;
	const char *payment_method, *tracking_code, *flagged, *user_json;
	int status_id;
	int64_t payable, created, updated, status_changed;
};

/* A filter matching everything. */
void admin_order_filter_init(struct admin_order_filter *f);

/* True when q can be searched for: 1..ADMIN_SEARCH_MAX_Q printable ASCII. */
int admin_search_q_ok(const char *q);

/*
 * Orders matching f, newest first, at most limit; fn sees each row (valid
 * only during the call, which must not use c).
 */
enum apo_result admin_order_search(struct store_conn *c, const struct admin_order_filter *f,
				   size_t limit,
				   void (*fn)(const struct admin_order_row *row, void *ctx),
				   void *ctx);

/* What admin_keys_page() lists. */
enum admin_keys { ADMIN_KEYS_MERCHANTS, ADMIN_KEYS_SKUS, ADMIN_KEYS_COUPONS, ADMIN_KEYS_PINCODES };

/*
 * Up to limit keys (merchant ids, platform SKU ids, coupon codes,
 * pincodes) after `after` ("" from the start) in key order. *keys (free
 * with admin_keys_free) receives *n strings.
 */
enum apo_result admin_keys_page(struct store_conn *c, enum admin_keys what, const char *after,
				size_t limit, char ***keys, size_t *n);
void admin_keys_free(char **keys, size_t n);

/* A stock movement. actor: "operator" for adjustments and imports, "order"
 * for the reservations, releases and shipments of an order's flow. */
struct ledger_row {
	int64_t id, delta_on_hand, delta_reserved, at;
	const char *reason, *order_id, *actor;
};

/*
 * The ledger of platform SKU sku_id, newest first, ids below before_id (0:
 * from the newest), at most limit rows. APO_ERR_NOT_FOUND for an unknown
 * SKU.
 */
enum apo_result admin_ledger(struct store_conn *c, const char *sku_id, int64_t before_id,
			     size_t limit, void (*fn)(const struct ledger_row *row, void *ctx),
			     void *ctx);

/* Dashboard figures. */
#define ADMIN_DASH_HOURS 48
#define ADMIN_DASH_DAYS 14
enum admin_outcome {
	OUTCOME_AWAITING,
	OUTCOME_OPEN,
	OUTCOME_DELIVERED,
	OUTCOME_CANCELLED,
	OUTCOME_N
};

struct admin_dashboard {
	/* Orders created per hour (index 0 = the oldest of the 48) by outcome. */
	int64_t hourly[ADMIN_DASH_HOURS][OUTCOME_N];
	int64_t first_hour; /* epoch second of hourly[0] */
	/* Value of orders created per day (not cancelled), paise; index 0 oldest. */
	int64_t daily_value[ADMIN_DASH_DAYS];
	int64_t first_day;
	/* ONLINE orders of the last ADMIN_DASH_DAYS days by payment outcome. */
	int64_t pay_confirmed, pay_pending, pay_failed, pay_flagged;
	/* Outbox: pending and failed, by kind (0 webhook, 1 refund). */
	int64_t outbox_pending[2], outbox_failed[2];
	int64_t outbox_oldest_pending; /* epoch second, 0 when none */
};

enum apo_result admin_dashboard_load(struct store_conn *c, int64_t now, struct admin_dashboard *d);

/*
 * Console sessions: token_hash is the hex SHA-256 of the cookie's token.
 * session_find gives the CSRF token (cap bytes) of an unexpired session,
 * APO_ERR_NOT_FOUND otherwise; session_create also removes expired ones.
 */
enum apo_result admin_session_create(struct store_conn *c, const char *token_hash, const char *csrf,
				     int64_t now, int64_t expires);
enum apo_result admin_session_find(struct store_conn *c, const char *token_hash, int64_t now,
				   char *csrf, size_t cap);
enum apo_result admin_session_delete(struct store_conn *c, const char *token_hash);

#endif
