/*
 * The catalog in storage, for callers that use several of its parts:
 * products (repo_products.h), their stock and its ledger (repo_stock.h),
 * coupons (repo_coupons.h) and pincodes (repo_pincodes.h). It declares
 * nothing of its own. The import of a CSV file is
 * service/catalog_import.h's.
 */
#ifndef APO_REPO_CATALOG_H
#define APO_REPO_CATALOG_H

#include "store/repo_coupons.h"
#include "store/repo_pincodes.h"
#include "store/repo_products.h"
#include "store/repo_stock.h"

#endif
