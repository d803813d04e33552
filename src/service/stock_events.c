/*
 * Inventory webhook events from stock changes (see stock_events.h).
 */
#include <time.h>

#include "service/stock_events.h"
#include "core/catalog.h"
#include "core/ids.h"
#include "store/repo_catalog.h"
#include "store/repo_outbox.h"
#include "base/clock.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/banned.h"

/*
 * {"event_id", "event_type", "ts", "payload"} of one stock change. The
 * payload is the logistics API's: product {id, merchants_id, name, gtin}
 * and inventory {...}, then the flat merchants_id and id that earlier
 * releases sent, kept for receivers written against them.
 */
static void inventory_event(const struct stock_state *st, struct buf *b)
{
	char event_id[HEX_ID_LEN + 1], ts[32], moved[32];
	struct product p;

	product_init(&p);
	p.on_hand = st->on_hand;
	p.reserved = st->reserved;
	ids_hex_id(event_id);
	iso8601_utc(now_epoch(), ts);
	buf_addf(b,
		 "{\"event_id\":\"%s\",\"event_type\":\"" OUTBOX_EV_INVENTORY_CHANGE
		 "\",\"ts\":\"%s\",\"payload\":{\"product\":{\"id\":",
		 event_id, ts);
	json_quote(b, st->hex_id);
	buf_adds(b, ",\"merchants_id\":");
	json_quote(b, st->sku_id);
	buf_adds(b, ",\"name\":");
	json_quote(b, st->name);
	buf_adds(b, ",\"gtin\":");
	if (st->has_gtin)
		json_quote(b, st->gtin);
	else
		buf_adds(b, "null");
	buf_addf(b,
		 "},\"inventory\":{\"inbound\":%lld,\"in_stock\":%lld,\"available\":%lld,"
		 "\"reserved\":%lld,\"on_hold\":%lld,\"last_movement\":",
		 (long long)st->inbound, (long long)st->on_hand, (long long)product_available(&p),
		 (long long)st->reserved, (long long)st->on_hold);
	if (st->last_movement == CATALOG_NONE) {
		buf_adds(b, "null");
	} else {
		iso8601_utc(st->last_movement, moved);
		json_quote(b, moved);
	}
	buf_adds(b, "},\"merchants_id\":");
	json_quote(b, st->sku_id);
	buf_adds(b, ",\"id\":");
	json_quote(b, st->hex_id);
	buf_adds(b, "}}");
}

static enum apo_result announce(struct store_conn *c, const struct stock_state *st)
{
	char key[sizeof(st->merchant_id) + sizeof(st->sku_id) + 16];
	struct buf b;

	fmt_into(key, sizeof(key), "product:%s:%s", st->merchant_id, st->sku_id);
	buf_init(&b);
	inventory_event(st, &b);
	enum apo_result rc =
	    outbox_add(c, OUTBOX_WEBHOOK, st->merchant_id, key, OUTBOX_EV_INVENTORY_CHANGE, b.data);
	buf_release(&b);
	return rc;
}

void stock_events_init(void)
{
	stock_observe(announce);
}
