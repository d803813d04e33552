/*
 * SKU and pincode CSV files into validated rows (see catalog_csv.h).
 */
#include <stdlib.h>
#include <string.h>

#include "core/catalog_csv.h"
#include "core/csv.h"
#include "core/money.h"
#include "base/buf.h"
#include "base/strnum.h"
#include "base/xalloc.h"
#include "base/banned.h"

static const char *const sku_header[] = {
    "sku_id", "name", "mrp", "price", "pack_size_label", "sku_type", "prescription_required",
    "stock"};
static const char *const pincode_header[] = {"pincode", "serviceable", "eta_min_days",
					     "eta_max_days"};

#define NFIELDS(h) (sizeof(h) / sizeof((h)[0]))

/* Names the line in front of a message built by a check function. */
static int line_fail(char *err, size_t cap, size_t line, const char *why)
{
	char copy[256];
	fmt_into(copy, sizeof(copy), "%s", why);
	fmt_into(err, cap, "line %zu: %s", line, copy);
	return -1;
}

/* Reads the header record and checks it is exactly names; -1 with err. */
static int read_header(struct csv_reader *rd, struct csv_record *rec, const char *const *names,
		       size_t n, char *err, size_t cap)
{
	int rc = csv_next(rd, rec, err, cap);
	if (rc < 0)
		return -1;
	if (rc == 1 && csv_record_is(rec, names, n))
		return 0;
	struct buf want;
	buf_init(&want);
	for (size_t i = 0; i < n; i++)
		buf_addf(&want, "%s%s", i ? "," : "", names[i]);
	fmt_into(err, cap, "line %zu: the header must be exactly %s", rc == 1 ? rec->line : 1,
		 want.data);
	buf_release(&want);
	return -1;
}

static int field_count_ok(const struct csv_record *rec, size_t want, char *err, size_t cap)
{
	if (rec->nfields == want)
		return 0;
	fmt_into(err, cap, "line %zu: expected %zu fields, found %zu", rec->line, want,
		 rec->nfields);
	return -1;
}

/* An optional integer cell: empty leaves *out as CATALOG_NONE. */
static int opt_int(const struct csv_record *rec, size_t i, int64_t max, int64_t *out)
{
	*out = CATALOG_NONE;
	if (rec->lens[i] == 0)
		return 0;
	return strnum_i64(rec->fields[i], rec->lens[i], 0, max, out);
}

static int sku_from_record(const struct csv_record *rec, struct sku_row *row, char *err, size_t cap)
{
	struct product *p = &row->p;
	char why[192];

	if (field_count_ok(rec, NFIELDS(sku_header), err, cap))
		return -1;
	row->line = rec->line;
	p->merchant_id = xstrdup("");
	p->sku_id = xstrdup(rec->fields[0]);
	p->name = xstrdup(rec->fields[1]);
	p->pack_size_label = xstrdup(rec->fields[4]);
	p->sku_type = xstrdup(rec->fields[5]);
	p->active = 1;
	if (!sku_id_valid(p->sku_id))
		return line_fail(err, cap, rec->line, "sku_id must be 1-64 of [A-Za-z0-9_.-]");
	if (money_parse(rec->fields[2], rec->lens[2], &p->mrp))
		return line_fail(err, cap, rec->line,
				 "mrp must be a money amount (digits, at most two decimals)");
	if (money_parse(rec->fields[3], rec->lens[3], &p->price))
		return line_fail(err, cap, rec->line,
				 "price must be a money amount (digits, at most two decimals)");
	if (catalog_parse_bool(rec->fields[6], &p->rx_required))
		return line_fail(err, cap, rec->line,
				 "prescription_required must be true, false, 1 or 0");
	row->set_stock = rec->lens[7] > 0;
	if (row->set_stock &&
	    strnum_i64(rec->fields[7], rec->lens[7], 0, CATALOG_MAX_STOCK, &p->on_hand))
		return line_fail(err, cap, rec->line,
				 "stock must be an integer 0..1000000000 (or empty to keep it)");
	if (product_check(p, why, sizeof(why)))
		return line_fail(err, cap, rec->line, why);
	return 0;
}

static int cmp_sku_rows(const void *a, const void *b)
{
	const struct sku_row *x = *(const struct sku_row *const *)a;
	const struct sku_row *y = *(const struct sku_row *const *)b;
	int c = strcmp(x->p.sku_id, y->p.sku_id);
	if (c)
		return c;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* Refuses a file naming one SKU twice, at the earliest repeating line. */
static int sku_dupes(struct sku_row *rows, size_t n, char *err, size_t cap)
{
	struct sku_row **sorted = xcalloc(n ? n : 1, sizeof(*sorted));
	const struct sku_row *worst = NULL, *first = NULL;
	for (size_t i = 0; i < n; i++)
		sorted[i] = &rows[i];
	qsort(sorted, n, sizeof(*sorted), cmp_sku_rows);
	for (size_t i = 1; i < n; i++)
		if (strcmp(sorted[i]->p.sku_id, sorted[i - 1]->p.sku_id) == 0 &&
		    (!worst || sorted[i]->line < worst->line)) {
			worst = sorted[i];
			first = sorted[i - 1];
		}
	free(sorted);
	if (!worst)
		return 0;
	fmt_into(err, cap, "line %zu: sku_id %s already appears on line %zu", worst->line,
		 worst->p.sku_id, first->line);
	return -1;
}

void catalog_sku_rows_free(struct sku_row *rows, size_t n)
{
	for (size_t i = 0; rows && i < n; i++)
		product_release(&rows[i].p);
	free(rows);
}

/* Grows a row array by doubling; returns the (possibly moved) array. */
static void *grow_rows(void *rows, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return rows;
	*cap = *cap ? *cap * 2 : 64;
	return xrealloc(rows, *cap * size);
}

int catalog_csv_skus(const char *data, size_t len, struct sku_row **rows_out, size_t *n_out,
		     char *err, size_t cap)
{
	struct csv_reader rd;
	struct csv_record rec;
	struct sku_row *rows = NULL;
	size_t n = 0, rows_cap = 0;
	int rc;

	*rows_out = NULL;
	*n_out = 0;
	csv_reader_init(&rd, data, len);
	csv_record_init(&rec);
	if (read_header(&rd, &rec, sku_header, NFIELDS(sku_header), err, cap))
		goto out_fail;
	while ((rc = csv_next(&rd, &rec, err, cap)) == 1) {
		if (n == CATALOG_MAX_IMPORT_ROWS) {
			fmt_into(err, cap, "line %zu: more than %d rows in one import", rec.line,
				 CATALOG_MAX_IMPORT_ROWS);
			goto out_fail;
		}
		rows = grow_rows(rows, n, &rows_cap, sizeof(*rows));
		product_init(&rows[n].p);
		rows[n].set_stock = 0;
		if (sku_from_record(&rec, &rows[n++], err, cap))
			goto out_fail;
	}
	if (rc < 0 || sku_dupes(rows, n, err, cap))
		goto out_fail;
	csv_record_release(&rec);
	*rows_out = rows;
	*n_out = n;
	return 0;
out_fail:
	csv_record_release(&rec);
	catalog_sku_rows_free(rows, n);
	return -1;
}

static int pincode_from_record(const struct csv_record *rec, struct pincode_row *row, char *err,
			       size_t cap)
{
	struct pincode_entry *e = &row->e;
	char why[192];

	if (field_count_ok(rec, NFIELDS(pincode_header), err, cap))
		return -1;
	row->line = rec->line;
	if (!pincode_valid(rec->fields[0]))
		return line_fail(err, cap, rec->line, "pincode must be 6 digits, the first 1-9");
	memcpy(e->pincode, rec->fields[0], PINCODE_LEN + 1);
	if (catalog_parse_bool(rec->fields[1], &e->serviceable))
		return line_fail(err, cap, rec->line, "serviceable must be true, false, 1 or 0");
	if (opt_int(rec, 2, CATALOG_MAX_ETA_DAYS, &e->eta_min_days))
		return line_fail(err, cap, rec->line,
				 "eta_min_days must be an integer 0..365 or empty");
	if (opt_int(rec, 3, CATALOG_MAX_ETA_DAYS, &e->eta_max_days))
		return line_fail(err, cap, rec->line,
				 "eta_max_days must be an integer 0..365 or empty");
	if (pincode_check(e, why, sizeof(why)))
		return line_fail(err, cap, rec->line, why);
	return 0;
}

static int cmp_pincode_rows(const void *a, const void *b)
{
	const struct pincode_row *x = *(const struct pincode_row *const *)a;
	const struct pincode_row *y = *(const struct pincode_row *const *)b;
	int c = strcmp(x->e.pincode, y->e.pincode);
	if (c)
		return c;
	return x->line < y->line ? -1 : x->line > y->line;
}

static int pincode_dupes(struct pincode_row *rows, size_t n, char *err, size_t cap)
{
	struct pincode_row **sorted = xcalloc(n ? n : 1, sizeof(*sorted));
	const struct pincode_row *worst = NULL, *first = NULL;
	for (size_t i = 0; i < n; i++)
		sorted[i] = &rows[i];
	qsort(sorted, n, sizeof(*sorted), cmp_pincode_rows);
	for (size_t i = 1; i < n; i++)
		if (strcmp(sorted[i]->e.pincode, sorted[i - 1]->e.pincode) == 0 &&
		    (!worst || sorted[i]->line < worst->line)) {
			worst = sorted[i];
			first = sorted[i - 1];
		}
	free(sorted);
	if (!worst)
		return 0;
	fmt_into(err, cap, "line %zu: pincode %s already appears on line %zu", worst->line,
		 worst->e.pincode, first->line);
	return -1;
}

int catalog_csv_pincodes(const char *data, size_t len, struct pincode_row **rows_out, size_t *n_out,
			 char *err, size_t cap)
{
	struct csv_reader rd;
	struct csv_record rec;
	struct pincode_row *rows = NULL;
	size_t n = 0, rows_cap = 0;
	int rc;

	*rows_out = NULL;
	*n_out = 0;
	csv_reader_init(&rd, data, len);
	csv_record_init(&rec);
	if (read_header(&rd, &rec, pincode_header, NFIELDS(pincode_header), err, cap))
		goto out_fail;
	while ((rc = csv_next(&rd, &rec, err, cap)) == 1) {
		if (n == CATALOG_MAX_IMPORT_ROWS) {
			fmt_into(err, cap, "line %zu: more than %d rows in one import", rec.line,
				 CATALOG_MAX_IMPORT_ROWS);
			goto out_fail;
		}
		rows = grow_rows(rows, n, &rows_cap, sizeof(*rows));
		memset(&rows[n], 0, sizeof(rows[n]));
		if (pincode_from_record(&rec, &rows[n++], err, cap))
			goto out_fail;
	}
	if (rc < 0 || pincode_dupes(rows, n, err, cap))
		goto out_fail;
	csv_record_release(&rec);
	*rows_out = rows;
	*n_out = n;
	return 0;
out_fail:
	csv_record_release(&rec);
	free(rows);
	return -1;
}
