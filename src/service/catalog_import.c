/*
 * Catalog CSV imports (see catalog_import.h): parse, store, and say what
 * went wrong. Storage reports a result and the failing row; the sentences
 * an operator reads are written here.
 */
#include <stdlib.h>

#include "service/catalog_import.h"
#include "core/catalog_csv.h"
#include "store/repo_pincodes.h"
#include "store/repo_products.h"
#include "base/buf.h"
#include "base/banned.h"

/*
 * Words for an import storage refused: bad is the failing row's index, n
 * when the commit failed, IMPORT_NOT_STARTED when it could not begin; line
 * is the failing row's line in the file.
 */
static void import_failure(enum apo_result rc, size_t line, size_t bad, size_t n, char *err,
			   size_t cap)
{
	if (bad == IMPORT_NOT_STARTED)
		fmt_into(err, cap, "the database is busy (%s); nothing was imported",
			 apo_result_name(rc));
	else if (bad >= n)
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
	size_t n, bad;
	*imported = *created = 0;
	if (catalog_csv_skus(data, len, &rows, &n, err, cap))
		return APO_ERR_INVALID;
	enum apo_result rc = product_import(c, rows, n, created, &bad);
	if (rc == APO_OK)
		*imported = n;
	else if (rc == APO_ERR_INSUFFICIENT && bad < n)
		fmt_into(err, cap,
			 "line %zu: stock %lld is below the units reserved by open orders for "
			 "sku_id %s; nothing was imported",
			 rows[bad].line, (long long)rows[bad].p.on_hand, rows[bad].p.sku_id);
	else
		import_failure(rc, bad < n ? rows[bad].line : 0, bad, n, err, cap);
	catalog_sku_rows_free(rows, n);
	return rc;
}

enum apo_result catalog_import_pincodes_csv(struct store_conn *c, const char *data, size_t len,
					    size_t *imported, size_t *created, char *err,
					    size_t cap)
{
	struct pincode_row *rows;
	size_t n, bad;
	*imported = *created = 0;
	if (catalog_csv_pincodes(data, len, &rows, &n, err, cap))
		return APO_ERR_INVALID;
	enum apo_result rc = pincode_import(c, rows, n, created, &bad);
	if (rc == APO_OK)
		*imported = n;
	else
		import_failure(rc, bad < n ? rows[bad].line : 0, bad, n, err, cap);
	free(rows);
	return rc;
}
