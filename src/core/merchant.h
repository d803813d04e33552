/*
 * A merchant partner as the domain sees it: identity, the keys it
 * authenticates with, and where its payment API and webhook receiver live.
 * Plain data; loading and saving is store/repo_merchants.h's job.
 */
#ifndef APO_MERCHANT_H
#define APO_MERCHANT_H

#include <stddef.h>
#include <stdint.h>

#define MERCHANT_MAX_ID 64
#define MERCHANT_MAX_NAME 128
#define MERCHANT_MAX_CHARGES 16
#define MERCHANT_DEFAULT_PAYMENT_WINDOW_S 1800
/* Limits of the customer help contact (merchant_help_*_valid). */
#define MERCHANT_MAX_HELP_URL 512
#define MERCHANT_MAX_EMAIL 254
#define MERCHANT_MAX_PHONE 32
#define MERCHANT_MIN_PHONE_DIGITS 3
#define MERCHANT_MAX_PHONE_DIGITS 15

/* A fixed charge; applies always (below < 0) or when the cart is below it. */
struct charge_rule {
	char *type;
	char *display_text;
	int64_t amount; /* paise */
	int64_t below;	/* paise threshold on the offered subtotal, or -1 */
};

/* Its text fields are listed once, in merchant_text_fields(): add new ones there too. */
struct merchant {
	char *id;
	char *name;
	char *display_name;
	char *jwt_public_key;	     /* PEM, or NULL */
	char *logistics_secret_hash; /* see auth/secret.h, or NULL */
	char *payment_base_url;
	char *payment_auth_header;
	char *payment_auth_value;
	char *payment_aggregator;
	char *webhook_url;
	char *webhook_auth_header;
	char *webhook_auth_value;
	char *webhook_signing_secret;
	/*
	 * How logistics events reach webhook_url: 0 one envelope object per
	 * request (the default), 1 JSON arrays of up to 100 envelopes.
	 */
	int webhook_batch;
	/* Where customers get help (the tracking page shows each one given). */
	char *help_url;	  /* https URL, or NULL */
	char *help_email; /* e-mail address, or NULL */
	char *help_phone; /* phone number as it is to be shown, or NULL */
	int64_t payment_window_s;
	int active;
	int64_t created, updated;
	struct charge_rule charges[MERCHANT_MAX_CHARGES];
	size_t ncharges;
};

/* Zeroes m with the SPEC defaults (active, 30-minute payment window). */
void merchant_init(struct merchant *m);

/* Frees every string and charge m owns; m is re-initialised. */
void merchant_release(struct merchant *m);

/* How many text fields (owned strings) a merchant has. */
#define MERCHANT_TEXT_FIELDS 16

/*
 * The one list of a merchant's text fields: points fields[] at m->id, name,
 * display_name, jwt_public_key, logistics_secret_hash, the four payment_*
 * fields, the four webhook_* fields, then help_url, help_email and
 * help_phone, always in that order. merchant_release() frees them by it and
 * storage loads them by it.
 */
void merchant_text_fields(struct merchant *m, char **fields[MERCHANT_TEXT_FIELDS]);

/* True when s is a valid merchant id: 1..64 of [A-Za-z0-9_.-]. */
int merchant_id_valid(const char *s);

/* An https:// URL without spaces, quotes or angle brackets. */
int merchant_help_url_valid(const char *s);

/* A plain e-mail address: local@domain.tld, no spaces, quotes or brackets. */
int merchant_help_email_valid(const char *s);

/*
 * A phone number as people write it: digits with spaces, '-', '(' ')' and
 * an optional leading '+'; 3 to 15 digits (short help lines and E.164).
 */
int merchant_help_phone_valid(const char *s);

/* The number to dial for a valid phone: its '+' (if any) and digits. */
void merchant_help_phone_dial(const char *s, char *out, size_t cap);

#endif
