/*
 * The one list of routes and background tasks (see app.h, routes.h).
 */
#include <stddef.h>

#include "api/routes.h"
#include "api/idempotency.h"
#include "service/allocate.h"
#include "service/orders.h"
#include "service/stock_events.h"
#include "api/sandbox.h"
#include "app.h"
#include "base/banned.h"

void app_routes(struct app *app)
{
	struct router *rt = &app->router;
	/* Before any request can change stock: merchants hear of their products'. */
	stock_events_init();
	/* Stock rises allocate the orders waiting for it (after they commit). */
	allocate_init(app);
	router_init(rt);
	health_routes(rt);
	admin_merchant_routes(rt);
	admin_catalog_routes(rt);
	admin_order_routes(rt);
	admin_search_routes(rt);
	admin_list_routes(rt);
	pharmacy_order_routes(rt);
	admin_delivery_routes(rt);
	admin_pricing_routes(rt);
	pharmacy_inventory_routes(rt);
	pharmacy_track_routes(rt);
	tracking_page_routes(rt);
	logistics_product_routes(rt);
	logistics_order_routes(rt);
	admin_merchant_product_routes(rt);
	admin_waiting_routes(rt);
	if (app->cfg.sandbox)
		sandbox_routes(rt);
	console_routes(rt);
}

const app_task_fn app_tasks[] = {flow_expire_task, idem_purge_task, allocate_task, NULL};
