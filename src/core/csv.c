/*
 * The strict CSV reader (see csv.h). One pass over the bytes, one field at
 * a time, copying field text into the record's buffer.
 */
#include <stdint.h>
#include <string.h>

#include "core/csv.h"
#include "base/banned.h"

void csv_reader_init(struct csv_reader *r, const char *data, size_t len)
{
	r->data = data;
	r->len = len;
	r->pos = 0;
	r->line = 1;
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		r->pos = 3;
}

void csv_record_init(struct csv_record *rec)
{
	memset(rec, 0, sizeof(*rec));
	buf_init(&rec->text);
}

void csv_record_release(struct csv_record *rec)
{
	buf_release(&rec->text);
	csv_record_init(rec);
}

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t len;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		len = 2, cp = s[0] & 0x1Fu;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		len = 3, cp = s[0] & 0x0Fu;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		len = 4, cp = s[0] & 0x07u;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3Fu);
	}
	/* Overlong forms, UTF-16 surrogates and beyond U+10FFFF. */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return len;
}

static int utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	while (n) {
		size_t k = utf8_seq(p, n);
		if (!k)
			return 0;
		p += k;
		n -= k;
	}
	return 1;
}

static int fail(const struct csv_record *rec, char *err, size_t cap, const char *why)
{
	fmt_into(err, cap, "line %zu: %s", rec->line, why);
	return -1;
}

/* True at a record end: "\n" or "\r\n". Sets *skip to its length. */
static int at_eol(const struct csv_reader *r, size_t *skip)
{
	if (r->data[r->pos] == '\n')
		return *skip = 1, 1;
	if (r->data[r->pos] == '\r' && r->pos + 1 < r->len && r->data[r->pos + 1] == '\n')
		return *skip = 2, 1;
	return 0;
}

/* Reads a quoted field's content after its opening quote. */
static int read_quoted(struct csv_reader *r, struct csv_record *rec, char *err, size_t cap)
{
	for (;;) {
		if (r->pos >= r->len)
			return fail(rec, err, cap, "a quoted field is not closed");
		char c = r->data[r->pos];
		if (c == '"') {
			if (r->pos + 1 < r->len && r->data[r->pos + 1] == '"') {
				buf_addch(&rec->text, '"');
				r->pos += 2;
				continue;
			}
			r->pos++;
			return 0;
		}
		if (c == '\0')
			return fail(rec, err, cap, "a field contains a NUL byte");
		if (c == '\n')
			r->line++;
		buf_addch(&rec->text, c);
		r->pos++;
	}
}

/* Reads an unquoted field up to a separator or the end of the record. */
static int read_plain(struct csv_reader *r, struct csv_record *rec, char *err, size_t cap)
{
	while (r->pos < r->len) {
		char c = r->data[r->pos];
		if (c == ',' || c == '\n' || c == '\r')
			return 0;
		if (c == '"')
			return fail(
			    rec, err, cap,
			    "a quote inside an unquoted field (quote the field, double the quote)");
		if (c == '\0')
			return fail(rec, err, cap, "a field contains a NUL byte");
		buf_addch(&rec->text, c);
		r->pos++;
	}
	return 0;
}

int csv_next(struct csv_reader *r, struct csv_record *rec, char *err, size_t cap)
{
	size_t skip;

	buf_reset(&rec->text);
	rec->nfields = 0;
	while (r->pos < r->len && at_eol(r, &skip)) {
		r->pos += skip;
		r->line++;
	}
	rec->line = r->line;
	if (r->pos >= r->len)
		return 0;
	size_t offs[CSV_MAX_FIELDS];
	for (;;) {
		if (rec->nfields == CSV_MAX_FIELDS)
			return fail(rec, err, cap, "too many fields");
		size_t start = rec->text.len;
		int quoted = r->pos < r->len && r->data[r->pos] == '"';
		if (quoted)
			r->pos++;
		if ((quoted ? read_quoted : read_plain)(r, rec, err, cap))
			return -1;
		size_t flen = rec->text.len - start;
		if (flen > CSV_MAX_FIELD_LEN)
			return fail(rec, err, cap, "a field is too long");
		if (!utf8_valid(rec->text.data + start, flen))
			return fail(rec, err, cap, "text is not valid UTF-8");
		buf_addch(&rec->text, '\0');
		offs[rec->nfields] = start;
		rec->lens[rec->nfields++] = flen;
		if (r->pos >= r->len)
			break;
		if (r->data[r->pos] == ',') {
			r->pos++;
			continue;
		}
		if (at_eol(r, &skip)) {
			r->pos += skip;
			r->line++;
			break;
		}
		if (r->data[r->pos] == '\r')
			return fail(rec, err, cap, "a carriage return not followed by a line feed");
		return fail(rec, err, cap,
			    "text after a closing quote (expected ',' or a line end)");
	}
	/* The buffer may have moved while it grew: point into it only now. */
	for (size_t i = 0; i < rec->nfields; i++)
		rec->fields[i] = rec->text.data + offs[i];
	return 1;
}

int csv_record_is(const struct csv_record *rec, const char *const *names, size_t n)
{
	if (rec->nfields != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (strcmp(rec->fields[i], names[i]) != 0)
			return 0;
	return 1;
}
