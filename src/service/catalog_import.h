/*
 * The import of a catalog CSV file, shared by the admin API's import
 * routes and the CLI's `import` command: the file is parsed and checked
 * whole (core/catalog_csv.h), then stored all or nothing
 * (product_import()/pincode_import() of store/), and a refusal is put in
 * words for the operator here, once, whichever of the two answers.
 *
 * Not for: the formats themselves (core/catalog_csv.h) or the SQL.
 */
#ifndef APO_CATALOG_IMPORT_H
#define APO_CATALOG_IMPORT_H

#include <stddef.h>

#include "base/result.h"

struct store_conn;

/*
 * Imports an SKU file's bytes into the platform catalog, or a pincode
 * file's into the pincodes. On success *imported and *created count the
 * rows (the rest were updates). On failure nothing is stored, both counts
 * are 0 and err (cap bytes, the caller's) holds one sentence naming the
 * file's line where there is one: APO_ERR_INVALID for a file refused as
 * written, APO_ERR_INSUFFICIENT for an SKU's stock below the units open
 * orders have reserved, another result when the database failed.
 */
enum apo_result catalog_import_skus_csv(struct store_conn *c, const char *data, size_t len,
					size_t *imported, size_t *created, char *err, size_t cap);
enum apo_result catalog_import_pincodes_csv(struct store_conn *c, const char *data, size_t len,
					    size_t *imported, size_t *created, char *err,
					    size_t cap);

#endif
