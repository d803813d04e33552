/*
 * Stock events: what a logistics merchant hears when one of its products'
 * stock changes (SPEC §4.3, product.inventory.change). Storage reports the
 * change (store/repo_stock.h's stock observer); this module decides it
 * is an event and queues it in the outbox in the same transaction, keyed
 * "product:<merchant>:<sku>" so a product's events keep their order.
 *
 * The event: {"event_id", "event_type": "product.inventory.change", "ts",
 * "payload": {merchants_id, id, inventory {inbound, in_stock (on_hand),
 * available (on_hand - reserved), reserved, on_hold, last_movement (ISO
 * 8601 UTC or null)}}}.
 */
#ifndef APO_SERVICE_STOCK_EVENTS_H
#define APO_SERVICE_STOCK_EVENTS_H

/* Registers the announcer as the stock observer; call once at start. */
void stock_events_init(void);

#endif
