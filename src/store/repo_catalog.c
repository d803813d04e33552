/*
 * The whole import of a catalog CSV file (see repo_catalog.h): parse with
 * core/catalog_csv.c, then store with product_import()/pincode_import().
 */
#include <stdlib.h>

#include "store/repo_catalog.h"
#include "store/store.h"
#include "store/repo_catalog_int.h"
#include "base/buf.h"
#include "base/banned.h"

/* ---- imports ---- */

/* Words for a failed import; bad is the failing row, or n when commit failed. */
void import_failure(enum apo_result rc, size_t line, size_t bad, size_t n, char *err,
		    size_t cap)
{
	if (bad == n)
		fmt_into(err, cap, "the import could not be committed (%s); nothing was imported",
			 apo_result_name(rc));
	else
		fmt_into(err, cap, "line %zu: cannot be stored (%s); nothing was imported", line,
			 apo_result_name(rc));
}
enum apo_result catalog_import_skus_csv(struct store_conn *c, const char *data, size_t len,
					size_t *imported, size_t *created, char *err, size_t cap)
{
	struct sku_row *rows;
	size_t n;
	*imported = *created = 0;
	if (catalog_csv_skus(data, len, &rows, &n, err, cap))
		return APO_ERR_INVALID;
	enum apo_result rc = product_import(c, rows, n, created, err, cap);
	if (rc == APO_OK)
		*imported = n;
	catalog_sku_rows_free(rows, n);
	return rc;
}

enum apo_result catalog_import_pincodes_csv(struct store_conn *c, const char *data, size_t len,
					    size_t *imported, size_t *created, char *err,
					    size_t cap)
{
	struct pincode_row *rows;
	size_t n;
	*imported = *created = 0;
	if (catalog_csv_pincodes(data, len, &rows, &n, err, cap))
		return APO_ERR_INVALID;
	enum apo_result rc = pincode_import(c, rows, n, created, err, cap);
	if (rc == APO_OK)
		*imported = n;
	free(rows);
	return rc;
}
