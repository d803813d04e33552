/*
 * Pincodes in storage: whether a pincode is served and in how many days.
 *
 * Nothing here returns allocated memory: struct pincode_entry is plain
 * values.
 */
#ifndef APO_REPO_PINCODES_H
#define APO_REPO_PINCODES_H

#include <stddef.h>

#include "base/result.h"
#include "core/catalog.h"
#include "core/catalog_csv.h"
#include "store/repo_products.h"

struct store_conn;

/* Pincodes: load (APO_ERR_NOT_FOUND when no entry), insert or replace. */
enum apo_result pincode_load(struct store_conn *c, const char *pincode, struct pincode_entry *out);

enum apo_result pincode_save(struct store_conn *c, const struct pincode_entry *p, int *created);

/*
 * Imports pincode rows all or nothing, as product_import() imports SKU
 * rows: each row upserted like pincode_save(), in one write transaction;
 * *created and *bad as there.
 */
enum apo_result pincode_import(struct store_conn *c, const struct pincode_row *rows, size_t n,
			       size_t *created, size_t *bad);

#endif
