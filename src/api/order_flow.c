/*
 * Order moves with their side effects (see order_flow.h).
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/order_flow.h"
#include "app.h"
#include "core/ids.h"
#include "core/order.h"
#include "core/order_state.h"
#include "http/jsonx.h"
#include "store/repo_orders.h"
#include "store/repo_outbox.h"
#include "store/store.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "base/banned.h"

/* Orders cancelled per sweep; the rest wait for the next one. */
#define FLOW_EXPIRE_BATCH 100

void flow_tracking_url(const struct app *app, const char *code, char *out, size_t cap)
{
	fmt_into(out, cap, "%s/t/%s", app->cfg.public_url, code);
}

static void iso8601(int64_t t, char *out, size_t cap)
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static json_t *pharmacy_event(const struct app *app, const struct order *o, const char *event_id)
{
	char url[512];
	json_t *tracking_url = json_null();
	if (o->tracking_code) {
		flow_tracking_url(app, o->tracking_code, url, sizeof(url));
		tracking_url = json_string(url);
	}
	json_t *g = json_pack(
		"{s:s,s:s,s:{s:i,s:s,s:o},s:b,s:I,s:{s:I,s:I},s:{s:o,s:o,s:o}}", "order_id",
		o->order_id, "merchant_order_id", o->merchant_order_id, "order_status", "status_id",
		o->status_id, "title", order_status_title(o->status_id), "subtitle",
		jx_str_or_null(o->subtitle), "status_changed", 1, "updated", (json_int_t)o->updated,
		"eta", "eta_from", (json_int_t)o->eta_from, "eta_to", (json_int_t)o->eta_to,
		"shipment_detail", "delivery_partner_name", jx_str_or_null(o->delivery_partner),
		"tracking_code", jx_str_or_null(o->tracking_code), "tracking_url", tracking_url);
	return json_pack("{s:s,s:[o]}", "event_id", event_id, "grouped_orders", g);
}

/* A logistics order's move is order.shipped when it ships, else order.info.change. */
static const char *logistics_event_type(const struct order *o)
{
	return o->status_id == ST_SHIPPED ? OUTBOX_EV_ORDER_SHIPPED : OUTBOX_EV_ORDER_INFO_CHANGE;
}

static json_t *logistics_event(const struct app *app, const struct order *o, const char *event_id,
			       int from)
{
	char url[512], ts[32];
	json_t *tracking_url = json_null();
	if (o->tracking_code) {
		flow_tracking_url(app, o->tracking_code, url, sizeof(url));
		tracking_url = json_string(url);
	}
	iso8601(o->updated, ts, sizeof(ts));
	json_t *payload = json_pack(
		"{s:s,s:s,s:s,s:s,s:i,s:i,s:o,s:o,s:o,s:o,s:s}", "order_id", o->hex_id,
		"merchants_order", o->merchant_order_id, "reference", o->order_id, "status",
		order_status_logistics(o->status_id, o->ever_confirmed), "status_id", o->status_id,
		"previous_status_id", from, "tracking_code", jx_str_or_null(o->tracking_code),
		"tracking_url", tracking_url, "delivery_partner_name",
		jx_str_or_null(o->delivery_partner), "carrier_tracking_code",
		jx_str_or_null(o->carrier_tracking_code), "updated", ts);
	return json_pack("{s:s,s:s,s:s,s:o}", "event_id", event_id, "event_type",
			 logistics_event_type(o), "ts", ts, "payload", payload);
}

/* Queues the webhook event announcing o's move from `from`. */
static enum apo_result announce(const struct app *app, struct store_conn *c, const struct order *o,
				int from)
{
	char event_id[HEX_ID_LEN + 1];
	ids_hex_id(event_id);
	int logistics = o->dialect && strcmp(o->dialect, "logistics") == 0;
	json_t *ev = logistics ? logistics_event(app, o, event_id, from)
			       : pharmacy_event(app, o, event_id);
	char *text = json_dumps(ev, JSON_COMPACT | JSON_REAL_PRECISION(15));
	json_decref(ev);
	enum apo_result rc =
	    outbox_add(c, OUTBOX_WEBHOOK, o->merchant_id, o->order_id,
		       logistics ? logistics_event_type(o) : OUTBOX_EV_ORDER_STATUS, text);
	free(text);
	return rc;
}

enum apo_result flow_move(struct app *app, struct store_conn *c, struct order *o, int to,
			  const char *subtitle, const char *actor, const char *note)
{
	int from = o->status_id;
	enum apo_result rc = order_move(c, o, to, subtitle, actor, note);
	if (rc != APO_OK)
		return rc;
	/* A confirmed order has its public tracking code before anyone hears of it. */
	if (o->ever_confirmed && (rc = flow_ensure_tracking(c, o)) != APO_OK)
		return rc;
	return announce(app, c, o, from);
}

enum apo_result flow_ensure_tracking(struct store_conn *c, struct order *o)
{
	char code[TRACKING_CODE_LEN + 1];
	if (o->tracking_code)
		return APO_OK;
	ids_tracking_code(code);
	return order_set_tracking_code(c, o, code);
}

static void expire_one(struct app *app, struct store_conn *c, int64_t oid)
{
	struct order *o = order_new();
	enum apo_result rc;

	o->oid = oid;
	if ((rc = store_begin(c, STORE_TX_WRITE)) != APO_OK)
		goto out;
	rc = order_lock(c, o);
	if (rc == APO_OK && o->status_id == ST_AWAITING_CONFIRMATION)
		rc = flow_move(app, c, o, ST_CANCELLED, "Payment not received", ACTOR_SYSTEM,
			       "payment window expired");
	if (rc == APO_OK)
		rc = store_commit(c);
	if (rc != APO_OK) {
		store_rollback(c);
		if (rc != APO_ERR_BUSY)
			log_warn("payment-window expiry failed",
				 "\"order_oid\":%lld,\"result\":\"%s\"", (long long)oid,
				 apo_result_name(rc));
	} else if (o->status_id == ST_CANCELLED) {
		log_info("order expired unpaid", "\"order_id\":\"%s\"", o->order_id);
	}
out:
	order_free(o);
}

void flow_expire_task(struct app *app, struct store_conn *c)
{
	int64_t oids[FLOW_EXPIRE_BATCH];
	size_t n = 0;
	if (order_expired(c, (int64_t)time(NULL), oids, FLOW_EXPIRE_BATCH, &n) != APO_OK)
		return;
	for (size_t i = 0; i < n; i++)
		expire_one(app, c, oids[i]);
}
