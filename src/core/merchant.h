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

/* A fixed charge; applies always (below < 0) or when the cart is below it. */
struct charge_rule {
	char *type;
	char *display_text;
	int64_t amount; /* paise */
	int64_t below;	/* paise threshold on the offered subtotal, or -1 */
};

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

/* True when s is a valid merchant id: 1..64 of [A-Za-z0-9_.-]. */
int merchant_id_valid(const char *s);

#endif
