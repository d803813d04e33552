/*
 * A strict reader of comma-separated values (RFC 4180), for the catalog
 * imports. It turns bytes into records of text fields and nothing more:
 * what a field means (a price, a pincode) is the caller's business.
 *
 * What it accepts: fields separated by ',' and records ended by "\r\n" or
 * "\n" (the last one may be unterminated); a field enclosed in double quotes
 * may hold commas, line breaks and doubled quotes ("" for one "). Spaces are
 * part of a field, as the RFC says. A UTF-8 byte order mark before the first
 * record is skipped, and so are empty lines (spreadsheets leave them at the
 * end of a file).
 *
 * What it refuses, naming the line the record starts on: a quote inside an
 * unquoted field, anything but a separator after a closing quote, a quoted
 * field still open at the end of the input, a bare carriage return, a NUL
 * byte, text that is not UTF-8, a field longer than CSV_MAX_FIELD_LEN and a
 * record of more than CSV_MAX_FIELDS fields.
 */
#ifndef APO_CSV_H
#define APO_CSV_H

#include <stddef.h>

#include "base/buf.h"

#define CSV_MAX_FIELDS 32
#define CSV_MAX_FIELD_LEN 4096

/* Reads records from a byte range the caller keeps alive and unchanged. */
struct csv_reader {
	const char *data;
	size_t len;
	size_t pos;
	size_t line; /* 1-based physical line of data[pos] */
};

/*
 * One record. fields[i] is NUL-terminated text of lens[i] bytes, valid
 * until the next csv_next() or csv_record_release() on this record.
 */
struct csv_record {
	size_t line; /* the line the record starts on */
	size_t nfields;
	const char *fields[CSV_MAX_FIELDS];
	size_t lens[CSV_MAX_FIELDS];
	struct buf text; /* owns the field bytes */
};

void csv_reader_init(struct csv_reader *r, const char *data, size_t len);

void csv_record_init(struct csv_record *rec);

/* Frees what rec owns; rec is empty and usable again. */
void csv_record_release(struct csv_record *rec);

/*
 * Reads the next record into rec. Returns 1 on a record, 0 at the end of
 * the input, or -1 on malformed input with a message in err (cap bytes)
 * that starts with "line N: "; the reader must not be used after -1.
 */
int csv_next(struct csv_reader *r, struct csv_record *rec, char *err, size_t cap);

/* True when the record's fields are exactly names[0..n) in order. */
int csv_record_is(const struct csv_record *rec, const char *const *names, size_t n);

#endif
