/*
 * Route registration: each resource family adds its routes here, so
 * routes.c is the one list of everything apotheca serves.
 */
#ifndef APO_API_ROUTES_H
#define APO_API_ROUTES_H

struct router;

void health_routes(struct router *rt);
void admin_merchant_routes(struct router *rt);
void admin_catalog_routes(struct router *rt);
void admin_order_routes(struct router *rt);
void admin_search_routes(struct router *rt);
void admin_list_routes(struct router *rt);
void console_routes(struct router *rt);
void pharmacy_order_routes(struct router *rt);
void admin_delivery_routes(struct router *rt);
void admin_pricing_routes(struct router *rt);
void pharmacy_inventory_routes(struct router *rt);
void pharmacy_track_routes(struct router *rt);
void tracking_page_routes(struct router *rt);
void logistics_product_routes(struct router *rt);
void logistics_order_routes(struct router *rt);
void admin_merchant_product_routes(struct router *rt);
void admin_waiting_routes(struct router *rt);

#endif
