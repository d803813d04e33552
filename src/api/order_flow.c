/*
 * Order moves with their side effects (see order_flow.h).
 */
#include <stdlib.h>
#include <time.h>

#include "api/order_flow.h"
#include "core/ids.h"
#include "core/order.h"
#include "core/order_state.h"
#include "store/repo_orders.h"
#include "store/store.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "base/banned.h"

/* Orders cancelled per sweep; the rest wait for the next one. */
#define FLOW_EXPIRE_BATCH 100

enum apo_result flow_move(struct store_conn *c, struct order *o, int to, const char *subtitle,
			  const char *actor, const char *note)
{
	return order_move(c, o, to, subtitle, actor, note);
}

enum apo_result flow_ensure_tracking(struct store_conn *c, struct order *o)
{
	char code[TRACKING_CODE_LEN + 1];
	if (o->tracking_code)
		return APO_OK;
	ids_tracking_code(code);
	return order_set_tracking_code(c, o, code);
}

static void expire_one(struct store_conn *c, int64_t oid)
{
	struct order *o = xmalloc(sizeof(*o));
	enum apo_result rc;

	order_init(o);
	o->oid = oid;
	if ((rc = store_begin(c, STORE_TX_WRITE)) != APO_OK)
		goto out;
	rc = order_reload(c, o);
	if (rc == APO_OK && o->status_id == ST_AWAITING_CONFIRMATION)
		rc = flow_move(c, o, ST_CANCELLED, "Payment not received", ACTOR_SYSTEM,
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
	order_release(o);
	free(o);
}

void flow_expire_task(struct app *app, struct store_conn *c)
{
	int64_t oids[FLOW_EXPIRE_BATCH];
	size_t n = 0;
	(void)app;
	if (order_expired(c, (int64_t)time(NULL), oids, FLOW_EXPIRE_BATCH, &n) != APO_OK)
		return;
	for (size_t i = 0; i < n; i++)
		expire_one(c, oids[i]);
}
