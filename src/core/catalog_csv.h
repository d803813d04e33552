/*
 * The catalog's CSV import formats: the bytes of an SKU or pincode file
 * turned into validated rows, each remembering the line it came from. The
 * one place those formats are defined, shared by the admin API's import
 * routes and the CLI's `import` command (both through
 * service/catalog_import.h); storing the rows in one transaction is
 * store/repo_products.h's and repo_pincodes.h's job.
 *
 * SKU file, header exactly
 *   sku_id,name,mrp,price,pack_size_label,sku_type,prescription_required,stock
 * mrp and price are amounts with at most two decimals ("275.11");
 * prescription_required is true/false/1/0; stock is an integer
 * 0..CATALOG_MAX_STOCK, or empty to leave a known SKU's stock as it is (a
 * new SKU then starts at 0). Imported SKUs are active.
 *
 * Pincode file, header exactly
 *   pincode,serviceable,eta_min_days,eta_max_days
 * serviceable is true/false/1/0; the day counts are integers or empty.
 *
 * A file is accepted whole or not at all: the first bad line (or an SKU or
 * pincode that appears twice) refuses it with a message naming the line,
 * "line 3: price must be a money amount".
 */
#ifndef APO_CATALOG_CSV_H
#define APO_CATALOG_CSV_H

#include <stddef.h>

#include "core/catalog.h"

struct sku_row {
	struct product p; /* merchant_id "", stock in p.on_hand */
	int set_stock;	  /* 0 when the stock cell was empty */
	size_t line;
};

struct pincode_row {
	struct pincode_entry e;
	size_t line;
};

/*
 * Parses an SKU file. On success returns 0 with *rows (free with
 * catalog_sku_rows_free) holding *n >= 0 rows in file order. On failure
 * returns -1 with the message in err (cap bytes) and *rows NULL.
 */
int catalog_csv_skus(const char *data, size_t len, struct sku_row **rows, size_t *n, char *err,
		     size_t cap);

void catalog_sku_rows_free(struct sku_row *rows, size_t n);

/* Parses a pincode file, like catalog_csv_skus(); free *rows with free(). */
int catalog_csv_pincodes(const char *data, size_t len, struct pincode_row **rows, size_t *n,
			 char *err, size_t cap);

#endif
