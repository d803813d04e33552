/*
 * Catalog values: products (with their stock counters), coupons and
 * pincode entries, as plain data shared by pricing, the dialects and
 * storage. The platform catalog that the pharmacy dialect sells from has
 * merchant_id "" ; a logistics merchant's own catalog has its id.
 */
#ifndef APO_CATALOG_H
#define APO_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#define SKU_MAX_ID 64
#define PRODUCT_MAX_NAME 256
#define PINCODE_LEN 6
#define COUPON_MAX_CODE 64

/* Absent optional integers are stored as -1. */
#define CATALOG_NONE (-1)

struct product {
	int64_t pid; /* storage row id */
	char *merchant_id; /* "" for the platform catalog */
	char *sku_id;
	char *hex_id; /* 24 lowercase hex, the logistics dialect's id */
	char *name;
	int64_t mrp;   /* paise per unit */
	int64_t price; /* offered (selling) price, paise per unit */
	char *pack_size_label;
	char *sku_type;
	int rx_required;
	int active;
	char *gtin;	   /* or NULL */
	int64_t weight;	   /* grams, or CATALOG_NONE */
	char *dimensions;  /* "W x H x D", or NULL */
	int64_t on_hand;   /* units physically held */
	int64_t reserved;  /* units promised to open orders */
	int64_t inbound;
	int64_t on_hold;
	int64_t last_movement; /* epoch seconds, or CATALOG_NONE */
	int64_t created, updated;
};

enum coupon_kind { COUPON_PERCENT, COUPON_FLAT };

struct coupon {
	char *code;
	enum coupon_kind kind;
	int64_t value;		/* percent: hundredths of a percent (6600 = 66%); flat: paise */
	int64_t max_discount;	/* paise, or CATALOG_NONE */
	int64_t min_cart_value; /* paise on the offered subtotal, or CATALOG_NONE */
	int64_t valid_from;	/* epoch seconds, or CATALOG_NONE */
	int64_t valid_to;	/* epoch seconds, or CATALOG_NONE */
	int64_t usage_limit;	/* or CATALOG_NONE */
	int64_t used_count;
	char *merchant_id; /* NULL: any merchant */
};

struct pincode_entry {
	char pincode[PINCODE_LEN + 1];
	int serviceable;
	int64_t eta_min_days; /* or CATALOG_NONE */
	int64_t eta_max_days; /* or CATALOG_NONE */
};

/* Available units: on_hand - reserved (never negative). */
int64_t product_available(const struct product *p);

void product_init(struct product *p);
void product_release(struct product *p);
void coupon_init(struct coupon *c);
void coupon_release(struct coupon *c);

/* True for 6 digits whose first is 1-9. */
int pincode_valid(const char *s);

/* True for 1..SKU_MAX_ID of [A-Za-z0-9_.-]. */
int sku_id_valid(const char *s);

#endif
