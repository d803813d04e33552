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
#define PRODUCT_MAX_LABEL 128 /* pack_size_label */
#define PRODUCT_MAX_TYPE 64   /* sku_type */
#define PINCODE_LEN 6
#define COUPON_MAX_CODE 64

/* The most units one product may hold, and the longest ETA in days. */
#define CATALOG_MAX_STOCK INT64_C(1000000000)
#define CATALOG_MAX_ETA_DAYS 365

/* The most rows one import (CSV file or request) may carry. */
#define CATALOG_MAX_IMPORT_ROWS 100000

/* A percent coupon's largest value: 100% in hundredths of a percent. */
#define COUPON_PERCENT_MAX 10000

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

/*
 * Validation shared by every way a catalog value comes in (admin JSON, CSV
 * imports, the demo). Each returns 0 when the value may be stored, or -1
 * with a message for the operator in err (cap bytes) naming the field.
 *
 * product_check: sku_id valid; name 1..PRODUCT_MAX_NAME bytes; mrp and
 * price 0..MONEY_MAX with price <= mrp; label and type within their limits;
 * on_hand 0..CATALOG_MAX_STOCK.
 * coupon_check: code valid; a percent value 0.01..100 (1..10000 hundredths),
 * a flat value 0.01..MONEY_MAX; max_discount and min_cart_value 0..MONEY_MAX
 * when set; valid_from <= valid_to when both are set; usage_limit >= 0.
 * pincode_check: the pincode valid; day counts 0..CATALOG_MAX_ETA_DAYS and
 * eta_min_days <= eta_max_days when both are set.
 */
int product_check(const struct product *p, char *err, size_t cap);
int coupon_check(const struct coupon *c, char *err, size_t cap);
int pincode_check(const struct pincode_entry *p, char *err, size_t cap);

/*
 * Coupon codes are case-insensitive: they are stored and looked up in
 * upper case. coupon_code_valid() is true for 1..COUPON_MAX_CODE of
 * [A-Za-z0-9_.-]; coupon_code_upper() upper-cases s in place.
 */
int coupon_code_valid(const char *s);
void coupon_code_upper(char *s);

/* "percent" / "flat", and back: 0 on success, -1 for any other text. */
const char *coupon_kind_name(enum coupon_kind k);
int coupon_kind_parse(const char *s, enum coupon_kind *out);

/* Reads "true"/"false"/"1"/"0" (any case): 0 and *out set, or -1. */
int catalog_parse_bool(const char *s, int *out);

#endif
