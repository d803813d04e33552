/*
 * The strict CSV reader and the catalog import formats built on it: every
 * RFC 4180 form is read exactly, every malformed one is refused naming the
 * line it starts on, and a bad catalog row names its line and field.
 */
#include <stdint.h>
#include <stdlib.h>

#include "core/catalog_csv.h"
#include "core/csv.h"
#include "t.h"

/* Reads all records of text; returns the count, or -1 with err set. */
static int read_all(const char *text, struct csv_record *last, char *err, size_t cap)
{
	struct csv_reader rd;
	int n = 0, rc;
	csv_reader_init(&rd, text, strlen(text));
	while ((rc = csv_next(&rd, last, err, cap)) == 1)
		n++;
	return rc < 0 ? -1 : n;
}

static void test_plain_and_quoted(void)
{
	struct csv_reader rd;
	struct csv_record rec;
	char err[160];
	const char *text = "a,b,c\r\n"
			   "\"x, y\",\"say \"\"hi\"\"\",\n"
			   "\"two\nlines\",,\"\"\n"
			   "last,row";
	csv_reader_init(&rd, text, strlen(text));
	csv_record_init(&rec);

	CHECK_INT(csv_next(&rd, &rec, err, sizeof(err)), 1);
	CHECK_INT(rec.nfields, 3);
	CHECK_STR(rec.fields[0], "a");
	CHECK_STR(rec.fields[2], "c");
	CHECK_INT(rec.line, 1);

	CHECK_INT(csv_next(&rd, &rec, err, sizeof(err)), 1);
	CHECK_INT(rec.nfields, 3);
	CHECK_STR(rec.fields[0], "x, y");
	CHECK_STR(rec.fields[1], "say \"hi\"");
	CHECK_STR(rec.fields[2], "");
	CHECK_INT(rec.line, 2);

	CHECK_INT(csv_next(&rd, &rec, err, sizeof(err)), 1);
	CHECK_INT(rec.nfields, 3);
	CHECK_STR(rec.fields[0], "two\nlines");
	CHECK_INT(rec.lens[0], 9);
	CHECK_STR(rec.fields[1], "");
	CHECK_STR(rec.fields[2], "");
	CHECK_INT(rec.line, 3);

	/* The quoted line break moved the physical line on by one. */
	CHECK_INT(csv_next(&rd, &rec, err, sizeof(err)), 1);
	CHECK_INT(rec.line, 5);
	CHECK_STR(rec.fields[1], "row");
	CHECK_INT(csv_next(&rd, &rec, err, sizeof(err)), 0);
	csv_record_release(&rec);
}

static void test_bom_blank_lines_and_trailing_comma(void)
{
	struct csv_reader rd;
	struct csv_record rec;
	char err[160];
	const char *text = "\xEF\xBB\xBFh1,h2\n\n\r\nv1,\n\n";
	csv_reader_init(&rd, text, strlen(text));
	csv_record_init(&rec);
	CHECK_INT(csv_next(&rd, &rec, err, sizeof(err)), 1);
	CHECK_STR(rec.fields[0], "h1");
	CHECK_INT(csv_next(&rd, &rec, err, sizeof(err)), 1);
	CHECK_INT(rec.line, 4);
	CHECK_INT(rec.nfields, 2);
	CHECK_STR(rec.fields[0], "v1");
	CHECK_STR(rec.fields[1], "");
	CHECK_INT(csv_next(&rd, &rec, err, sizeof(err)), 0);
	/* Nothing at all is no record, not an empty one. */
	CHECK_INT(read_all("", &rec, err, sizeof(err)), 0);
	CHECK_INT(read_all("\n\n", &rec, err, sizeof(err)), 0);
	/* A final comma at the very end of the input is one more empty field. */
	csv_reader_init(&rd, "a,", 2);
	CHECK_INT(csv_next(&rd, &rec, err, sizeof(err)), 1);
	CHECK_INT(rec.nfields, 2);
	CHECK_STR(rec.fields[1], "");
	CHECK_INT(csv_next(&rd, &rec, err, sizeof(err)), 0);
	csv_record_release(&rec);
}

static void test_malformed(void)
{
	static const struct {
		const char *text;
		const char *want;
	} bad[] = {
	    {"ok\nab\"c\n", "line 2: a quote inside an unquoted field"},
	    {"ok\n\"abc\"x\n", "line 2: text after a closing quote"},
	    {"ok\nok\n\"never closed\n,\n", "line 3: a quoted field is not closed"},
	    {"a\rb\n", "line 1: a carriage return not followed by a line feed"},
	    {"ok\n\xC3\x28\n", "line 2: text is not valid UTF-8"},
	    {"ok\n\xED\xA0\x80\n", "line 2: text is not valid UTF-8"}, /* a surrogate */
	    {"ok\n\xC0\xAF\n", "line 2: text is not valid UTF-8"},     /* overlong '/' */
	};
	struct csv_record rec;
	char err[160];
	csv_record_init(&rec);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CHECK_INT(read_all(bad[i].text, &rec, err, sizeof(err)), -1);
		if (strncmp(err, bad[i].want, strlen(bad[i].want)) != 0)
			CHECK_STR(err, bad[i].want);
	}
	/* A NUL byte inside the given length. */
	struct csv_reader rd;
	csv_reader_init(&rd, "a\0b\n", 4);
	CHECK_INT(csv_next(&rd, &rec, err, sizeof(err)), -1);
	/* Too many fields, and a field too long. */
	struct buf big;
	buf_init(&big);
	for (int i = 0; i <= CSV_MAX_FIELDS; i++)
		buf_adds(&big, i ? ",x" : "x");
	CHECK_INT(read_all(big.data, &rec, err, sizeof(err)), -1);
	CHECK_STR(err, "line 1: too many fields");
	buf_reset(&big);
	for (int i = 0; i <= CSV_MAX_FIELD_LEN; i++)
		buf_addch(&big, 'y');
	CHECK_INT(read_all(big.data, &rec, err, sizeof(err)), -1);
	CHECK_STR(err, "line 1: a field is too long");
	buf_release(&big);
	/* Multi-byte UTF-8 is fine. */
	CHECK_INT(read_all("\xE2\x82\xB9 157,\xF0\x9F\x92\x8A\n", &rec, err, sizeof(err)), 1);
	csv_record_release(&rec);
}

#define SKU_HEADER "sku_id,name,mrp,price,pack_size_label,sku_type,prescription_required,stock\n"

static void test_sku_file(void)
{
	struct sku_row *rows;
	size_t n;
	char err[320];
	const char *good = SKU_HEADER
	    "747985,\"A to Z NS+ Tablet with Lycopene, Multivitamins & Multiminerals\",155,141,"
	    "strip of 15 tablets,otc,false,50\n"
	    "9187,Allegra 180mg Tablet,275.11,253,strip of 10 tablets,allopathy,TRUE,\n";
	CHECK_INT(catalog_csv_skus(good, strlen(good), &rows, &n, err, sizeof(err)), 0);
	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK_STR(rows[0].p.name,
			  "A to Z NS+ Tablet with Lycopene, Multivitamins & Multiminerals");
		CHECK_INT(rows[0].p.mrp, 15500);
		CHECK_INT(rows[0].p.price, 14100);
		CHECK_INT(rows[0].p.on_hand, 50);
		CHECK_INT(rows[0].set_stock, 1);
		CHECK_INT(rows[0].line, 2);
		CHECK_STR(rows[0].p.merchant_id, "");
		CHECK_INT(rows[1].p.mrp, 27511);
		CHECK_INT(rows[1].p.rx_required, 1);
		CHECK_INT(rows[1].set_stock, 0);
		CHECK_INT(rows[1].line, 3);
	}
	catalog_sku_rows_free(rows, n);

	static const struct {
		const char *text;
		const char *want;
	} bad[] = {
	    {"", "line 1: the header must be exactly sku_id,name,mrp,price,"},
	    {"sku_id,name\n", "line 1: the header must be exactly"},
	    {SKU_HEADER "1,a,10,9,p,t,false,1\n2,b,10,9.999,p,t,false,1\n",
	     "line 3: price must be a money amount"},
	    {SKU_HEADER "1,a,-10,9,p,t,false,1\n", "line 2: mrp must be a money amount"},
	    {SKU_HEADER "1,a,10,11,p,t,false,1\n", "line 2: price must not exceed mrp"},
	    {SKU_HEADER "1,a,10,9,p,t,maybe,1\n", "line 2: prescription_required must be"},
	    {SKU_HEADER "1,a,10,9,p,t,false,-1\n", "line 2: stock must be an integer"},
	    {SKU_HEADER "1,a,10,9,p,t,false,1.5\n", "line 2: stock must be an integer"},
	    {SKU_HEADER "bad id,a,10,9,p,t,false,1\n", "line 2: sku_id must be"},
	    {SKU_HEADER "1,,10,9,p,t,false,1\n", "line 2: name must be"},
	    {SKU_HEADER "1,a,10,9,p,t,false\n", "line 2: expected 8 fields, found 7"},
	    {SKU_HEADER "1,a,10,9,p,t,false,1\n2,b,1,1,p,t,0,1\n1,c,1,1,p,t,0,1\n",
	     "line 4: sku_id 1 already appears on line 2"},
	    {SKU_HEADER "1,\"a,10,9,p,t,false,1\n", "line 2: a quoted field is not closed"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		rows = (struct sku_row *)1;
		CHECK_INT(
		    catalog_csv_skus(bad[i].text, strlen(bad[i].text), &rows, &n, err, sizeof(err)),
		    -1);
		CHECK(rows == NULL);
		if (strncmp(err, bad[i].want, strlen(bad[i].want)) != 0)
			CHECK_STR(err, bad[i].want);
	}
}

static void test_pincode_file(void)
{
	struct pincode_row *rows;
	size_t n;
	char err[320];
	const char *good = "pincode,serviceable,eta_min_days,eta_max_days\r\n"
			   "560103,true,2,4\r\n"
			   "999999,0,,\r\n";
	CHECK_INT(catalog_csv_pincodes(good, strlen(good), &rows, &n, err, sizeof(err)), 0);
	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK_STR(rows[0].e.pincode, "560103");
		CHECK_INT(rows[0].e.serviceable, 1);
		CHECK_INT(rows[0].e.eta_min_days, 2);
		CHECK_INT(rows[0].e.eta_max_days, 4);
		CHECK_INT(rows[1].e.serviceable, 0);
		CHECK_INT(rows[1].e.eta_min_days, CATALOG_NONE);
	}
	free(rows);
	static const struct {
		const char *text;
		const char *want;
	} bad[] = {
	    {"pincode,serviceable,eta_min_days,eta_max_days\n012345,true,1,2\n",
	     "line 2: pincode must be"},
	    {"pincode,serviceable,eta_min_days,eta_max_days\n560103,true,5,2\n",
	     "line 2: eta_min_days must not exceed eta_max_days"},
	    {"pincode,serviceable,eta_min_days,eta_max_days\n560103,yes,1,2\n",
	     "line 2: serviceable must be"},
	    {"pincode,serviceable,eta_min_days,eta_max_days\n560103,1,,\n110001,1,,\n560103,0,,\n",
	     "line 4: pincode 560103 already appears on line 2"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CHECK_INT(catalog_csv_pincodes(bad[i].text, strlen(bad[i].text), &rows, &n, err,
					       sizeof(err)),
			  -1);
		if (strncmp(err, bad[i].want, strlen(bad[i].want)) != 0)
			CHECK_STR(err, bad[i].want);
	}
}

int main(void)
{
	test_plain_and_quoted();
	test_bom_blank_lines_and_trailing_comma();
	test_malformed();
	test_sku_file();
	test_pincode_file();
	T_DONE();
}
