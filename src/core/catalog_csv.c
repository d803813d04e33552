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

/*
 * What differs between the two imports: the header, the row type, how a
 * record becomes a row, and the key a file may name only once.
 */
struct row_kind {
	const char *const *header;
	size_t nfields;
	size_t size;	      /* of one row */
	const char *key_name; /* for the repeated-key message */
	void (*init)(void *row);
	int (*parse)(const struct csv_record *rec, void *row, char *err, size_t cap);
	const char *(*key)(const void *row, size_t *line);
	void (*release)(void *rows, size_t n);
};

struct key_line {
	const char *key;
	size_t line;
};

static int cmp_key_lines(const void *a, const void *b)
{
	const struct key_line *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	if (c)
		return c;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* Refuses a file naming one key twice, at the earliest repeating line. */
static int key_dupes(const struct row_kind *k, const char *rows, size_t n, char *err, size_t cap)
{
	struct key_line *sorted = xcalloc(n ? n : 1, sizeof(*sorted));
	const struct key_line *worst = NULL, *first = NULL;
	for (size_t i = 0; i < n; i++)
		sorted[i].key = k->key(rows + i * k->size, &sorted[i].line);
	qsort(sorted, n, sizeof(*sorted), cmp_key_lines);
	for (size_t i = 1; i < n; i++)
		if (strcmp(sorted[i].key, sorted[i - 1].key) == 0 &&
		    (!worst || sorted[i].line < worst->line)) {
			worst = &sorted[i];
			first = &sorted[i - 1];
		}
	int rc = 0;
	if (worst) {
		fmt_into(err, cap, "line %zu: %s %s already appears on line %zu", worst->line,
			 k->key_name, worst->key, first->line);
		rc = -1;
	}
	free(sorted);
	return rc;
}

/* The one import: header, then at most CATALOG_MAX_IMPORT_ROWS valid rows, no key twice. */
static int read_rows(const struct row_kind *k, const char *data, size_t len, void **rows_out,
		     size_t *n_out, char *err, size_t cap)
{
	struct csv_reader rd;
	struct csv_record rec;
	char *rows = NULL;
	size_t n = 0, rows_cap = 0;
	int rc;

	*rows_out = NULL;
	*n_out = 0;
	csv_reader_init(&rd, data, len);
	csv_record_init(&rec);
	if (read_header(&rd, &rec, k->header, k->nfields, err, cap))
		goto out_fail;
	while ((rc = csv_next(&rd, &rec, err, cap)) == 1) {
		if (n == CATALOG_MAX_IMPORT_ROWS) {
			fmt_into(err, cap, "line %zu: more than %d rows in one import", rec.line,
				 CATALOG_MAX_IMPORT_ROWS);
			goto out_fail;
		}
		rows = grow_rows(rows, n, &rows_cap, k->size);
		k->init(rows + n * k->size);
		if (k->parse(&rec, rows + n++ * k->size, err, cap))
			goto out_fail;
	}
	if (rc < 0 || key_dupes(k, rows, n, err, cap))
		goto out_fail;
	csv_record_release(&rec);
	*rows_out = rows;
	*n_out = n;
	return 0;
out_fail:
	csv_record_release(&rec);
	k->release(rows, n);
	return -1;
}

static void sku_row_init(void *row)
{
	struct sku_row *r = row;
	product_init(&r->p);
	r->set_stock = 0;
}

static int sku_row_parse(const struct csv_record *rec, void *row, char *err, size_t cap)
{
	return sku_from_record(rec, row, err, cap);
}

static const char *sku_row_key(const void *row, size_t *line)
{
	const struct sku_row *r = row;
	*line = r->line;
	return r->p.sku_id;
}

static void sku_rows_release(void *rows, size_t n)
{
	catalog_sku_rows_free(rows, n);
}

static const struct row_kind sku_kind = {
    .header = sku_header,
    .nfields = NFIELDS(sku_header),
    .size = sizeof(struct sku_row),
    .key_name = "sku_id",
    .init = sku_row_init,
    .parse = sku_row_parse,
    .key = sku_row_key,
    .release = sku_rows_release,
};

int catalog_csv_skus(const char *data, size_t len, struct sku_row **rows_out, size_t *n_out,
		     char *err, size_t cap)
{
	void *rows;
	int rc = read_rows(&sku_kind, data, len, &rows, n_out, err, cap);
	*rows_out = rows;
	return rc;
}

static void pincode_row_init(void *row)
{
	memset(row, 0, sizeof(struct pincode_row));
}

static int pincode_row_parse(const struct csv_record *rec, void *row, char *err, size_t cap)
{
	return pincode_from_record(rec, row, err, cap);
}

static const char *pincode_row_key(const void *row, size_t *line)
{
	const struct pincode_row *r = row;
	*line = r->line;
	return r->e.pincode;
}

static void pincode_rows_release(void *rows, size_t n)
{
	(void)n;
	free(rows);
}

static const struct row_kind pincode_kind = {
    .header = pincode_header,
    .nfields = NFIELDS(pincode_header),
    .size = sizeof(struct pincode_row),
    .key_name = "pincode",
    .init = pincode_row_init,
    .parse = pincode_row_parse,
    .key = pincode_row_key,
    .release = pincode_rows_release,
};

int catalog_csv_pincodes(const char *data, size_t len, struct pincode_row **rows_out, size_t *n_out,
			 char *err, size_t cap)
{
	void *rows;
	int rc = read_rows(&pincode_kind, data, len, &rows, n_out, err, cap);
	*rows_out = rows;
	return rc;
}
