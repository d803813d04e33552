/*
 * libFuzzer target: the SKU and pincode CSV importers' parsing on arbitrary
 * bytes. Every accepted row must pass the catalog's own checks.
 */
#include <stdint.h>
#include <stdlib.h>

#include "core/catalog.h"
#include "core/catalog_csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sku_row *skus = NULL;
	struct pincode_row *pins = NULL;
	size_t n = 0;
	char err[256];
	if (catalog_csv_skus((const char *)data, size, &skus, &n, err, sizeof(err)) == 0) {
		for (size_t i = 0; i < n; i++)
			if (product_check(&skus[i].p, err, sizeof(err)) != 0)
				abort();
		catalog_sku_rows_free(skus, n);
	}
	n = 0;
	if (catalog_csv_pincodes((const char *)data, size, &pins, &n, err, sizeof(err)) == 0)
		free(pins);
	return 0;
}
