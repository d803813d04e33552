/*
 * Carriers' own tracking pages: which URL shows a carrier's tracking number
 * to the customer. A table of URL templates keyed by carrier name — the
 * large Indian carriers built in, more (or replacements) from the operator
 * (APOTHECA_CARRIER_URLS, read once at start-up) — and the link for one
 * parcel. Read-only once built, so every thread may use it.
 *
 * Names match loosely, as operators type them: case, spaces and punctuation
 * do not count ("Blue Dart", "BlueDart" and "blue-dart" are one carrier).
 */
#ifndef APO_CARRIER_H
#define APO_CARRIER_H

#include <stddef.h>

/* Carriers in one table (built in and configured). */
#define CARRIER_MAX 48
/* Longest carrier name and URL template accepted. */
#define CARRIER_MAX_NAME 64
#define CARRIER_MAX_TEMPLATE 512
/* Room for a finished link: the template with an encoded tracking number. */
#define CARRIER_URL_CAP 1024
/* Where a template takes the tracking number. */
#define CARRIER_CODE_MARK "{code}"

struct carrier_url {
	char key[CARRIER_MAX_NAME + 1]; /* the name, lower-cased, letters and digits only */
	char *tmpl;			/* https URL, "{code}" at most once; NULL: no link */
};

struct carrier_table {
	struct carrier_url c[CARRIER_MAX];
	size_t n;
};

/* Fills t with the built-in carriers (docs/api/track.md lists them). */
void carrier_table_init(struct carrier_table *t);

/* Frees every template t owns; t is left empty. */
void carrier_table_release(struct carrier_table *t);

/*
 * Adds the operator's list "Name=https://...{code}...,Name2=..." to t. An
 * entry replaces a carrier of the same name (built in or earlier); an empty
 * template ("Name=") removes the link for that carrier. Returns 0, or -1
 * with a reason in err (nothing is added then): a template must be an
 * https:// URL of at most CARRIER_MAX_TEMPLATE bytes without spaces or
 * quotes, with "{code}" at most once.
 */
int carrier_table_add_list(struct carrier_table *t, const char *list, char *err, size_t cap);

/*
 * Writes the carrier's tracking page for code into out: the template with
 * "{code}" replaced by the percent-encoded code (a template without the
 * mark is the carrier's tracking form, used as it is). Returns 0, or -1
 * when the carrier has no template, either argument is NULL or empty, or
 * the link does not fit.
 */
int carrier_tracking_url(const struct carrier_table *t, const char *carrier, const char *code,
			 char *out, size_t cap);

#endif
