/*
 * Admin: outbox deliveries (GET /deliveries?state=&limit=, POST
 * /deliveries/{id}/retry) — the refunds and webhooks apotheca owes
 * merchants, so operators can see what is stuck or parked and send a
 * parked one again. Times (next_at, first_at, delivered_at) are epoch
 * milliseconds, as stored; delivered_at is null until delivered.
 */
#include <string.h>

#include "api/admin.h"
#include "api/routes.h"
#include "base/strnum.h"
#include "http/jsonx.h"
#include "store/repo_outbox.h"
#include "base/banned.h"

#define DELIVERIES_DEFAULT_LIMIT 100

static json_t *delivery_to_json(const struct outbox_row *d)
{
	json_t *j = json_object();
	json_object_set_new(j, "id", json_integer(d->id));
	json_object_set_new(j, "kind", jx_str_or_null(d->kind));
	json_object_set_new(j, "merchant_id", jx_str_or_null(d->merchant_id));
	json_object_set_new(j, "order_key", jx_str_or_null(d->order_key));
	json_object_set_new(j, "event_type", jx_str_or_null(d->event_type));
	json_object_set_new(j, "state", jx_str_or_null(d->state));
	json_object_set_new(j, "attempts", json_integer(d->attempts));
	json_object_set_new(j, "next_at", json_integer(d->next_at));
	json_object_set_new(j, "first_at", json_integer(d->first_at));
	json_object_set_new(j, "last_error", jx_str_or_null(d->last_error));
	json_object_set_new(j, "delivered_at",
			    d->delivered_at < 0 ? json_null() : json_integer(d->delivered_at));
	return j;
}

/* The state filter: NULL for all; -1 (answered) when it names no state. */
static int state_or_400(struct req *r, const char **state)
{
	const char *s = req_query(r, "state");
	*state = NULL;
	if (!s || !*s)
		return 0;
	if (strcmp(s, OUTBOX_PENDING) && strcmp(s, OUTBOX_DONE) && strcmp(s, OUTBOX_FAILED)) {
		req_fail(r, 400, "invalid", "state must be pending, done or failed");
		return -1;
	}
	*state = s;
	return 0;
}

static int limit_or_400(struct req *r, int64_t *limit)
{
	const char *s = req_query(r, "limit");
	*limit = DELIVERIES_DEFAULT_LIMIT;
	if (!s)
		return 0;
	if (strnum_i64z(s, 1, OUTBOX_LIST_MAX, limit)) {
		req_fail(r, 400, "invalid", "limit must be an integer 1..1000");
		return -1;
	}
	return 0;
}

static void deliveries_list(struct req *r)
{
	const char *state;
	int64_t limit;
	struct outbox_row *rows;
	size_t n;

	if (admin_auth_or_reply(r) || state_or_400(r, &state) || limit_or_400(r, &limit))
		return;
	enum apo_result rc = outbox_list(r->db, state, limit, &rows, &n);
	if (rc != APO_OK) {
		admin_fail(r, rc, NULL);
		return;
	}
	json_t *list = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, delivery_to_json(&rows[i]));
	outbox_rows_free(rows, n);
	req_reply_json(r, 200, json_pack("{s:o}", "deliveries", list));
}

static void delivery_retry(struct req *r)
{
	int64_t id;
	struct outbox_row d;

	if (admin_auth_or_reply(r))
		return;
	if (strnum_i64z(req_param(r, "id"), 1, INT64_MAX, &id)) {
		admin_fail(r, APO_ERR_NOT_FOUND, "No such delivery");
		return;
	}
	outbox_row_init(&d);
	enum apo_result rc = outbox_retry(r->db, id, now_ms(), &d);
	if (rc == APO_ERR_NOT_FOUND)
		admin_fail(r, rc, "No such delivery");
	else if (rc == APO_ERR_STATE)
		admin_fail(r, rc, "Only a failed delivery can be retried");
	else if (rc != APO_OK)
		admin_fail(r, rc, NULL);
	else
		req_reply_json(r, 200, delivery_to_json(&d));
	outbox_row_release(&d);
}

void admin_delivery_routes(struct router *rt)
{
	router_add(rt, HTTP_GET, "/admin/v1/deliveries", deliveries_list, "admin.deliveries.list");
	router_add(rt, HTTP_POST, "/admin/v1/deliveries/{id}/retry", delivery_retry,
		   "admin.deliveries.retry");
}
