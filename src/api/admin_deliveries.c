/*
 * Admin: outbox deliveries (GET /deliveries?state=&order_id=&limit=, POST
 * /deliveries/{id}/retry) — the refunds and webhooks apotheca owes
 * merchants, so operators can see what is stuck or parked and send a
 * parked one again. Times (next_at, first_at, delivered_at) are epoch
 * seconds like every admin time (stored as milliseconds); delivered_at is
 * null until delivered. Paged like every admin list (admin_page.h).
 */
#include <string.h>

#include "api/admin.h"
#include "api/admin_page.h"
#include "api/routes.h"
#include "base/strnum.h"
#include "http/jsonx.h"
#include "store/repo_outbox.h"
#include "base/banned.h"


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
	json_object_set_new(j, "next_at", json_integer(d->next_at / 1000));
	json_object_set_new(j, "first_at", json_integer(d->first_at / 1000));
	json_object_set_new(j, "last_error", jx_str_or_null(d->last_error));
	json_object_set_new(j, "delivered_at",
			    d->delivered_at < 0 ? json_null() : json_integer(d->delivered_at / 1000));
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

static void deliveries_list(struct req *r)
{
	static const char *const known[] = {"state", "order_id", NULL};
	const char *state;
	struct admin_page p;
	int64_t before;
	struct outbox_row *rows;
	size_t n;

	if (admin_auth_or_reply(r) || admin_page_or_reply(r, known, OUTBOX_LIST_MAX, &p) ||
	    admin_page_id_or_reply(r, &p, &before) || state_or_400(r, &state))
		return;
	const char *order = req_query(r, "order_id");
	enum apo_result rc = outbox_list_before(r->db, state, order && *order ? order : NULL,
						before ? before : INT64_MAX, p.limit + 1, &rows, &n);
	if (rc != APO_OK) {
		admin_fail(r, rc, NULL);
		return;
	}
	size_t shown = n < (size_t)p.limit ? n : (size_t)p.limit;
	json_t *list = json_array();
	for (size_t i = 0; i < shown; i++)
		json_array_append_new(list, delivery_to_json(&rows[i]));
	json_t *next = admin_next_cursor_id(shown ? rows[shown - 1].id : 0, n > shown);
	outbox_rows_free(rows, n);
	req_reply_json(r, 200, json_pack("{s:o,s:o}", "deliveries", list, "next_cursor", next));
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
