/*
 * Admin: the catalog (SKUs, stock), coupons and pincodes.
 */
#include "api/admin.h"
#include "api/routes.h"
#include "base/banned.h"

void admin_catalog_routes(struct router *rt)
{
	(void)rt;
}
