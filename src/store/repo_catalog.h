/*
 * The catalog in storage, for callers that use several of its parts:
 * includes repo_products.h, repo_stock.h, repo_coupons.h and
 * repo_pincodes.h, and declares the whole import of a CSV file.
 */
#ifndef APO_REPO_CATALOG_H
#define APO_REPO_CATALOG_H

#include <stddef.h>

#include "base/result.h"
#include "store/repo_coupons.h"
#include "store/repo_pincodes.h"
#include "store/repo_products.h"
#include "store/repo_stock.h"

struct store_conn;

/*
 * The whole import of a CSV file's bytes (core/catalog_csv.h's formats),
 * shared by the admin API and the CLI: parse and validate every line, then
 * product_import()/pincode_import(). APO_ERR_INVALID with the bad line in
 * err when the file is refused; *imported and *created count the rows.
 */
enum apo_result catalog_import_skus_csv(struct store_conn *c, const char *data, size_t len,
					size_t *imported, size_t *created, char *err, size_t cap);
enum apo_result catalog_import_pincodes_csv(struct store_conn *c, const char *data, size_t len,
					    size_t *imported, size_t *created, char *err,
					    size_t cap);

#endif
