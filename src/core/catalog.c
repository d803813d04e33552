/*
 * Catalog value helpers (see catalog.h).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/catalog.h"
#include "base/strnum.h"
#include "core/ids.h"
#include "core/money.h"
#include "base/buf.h"
#include "base/banned.h"

int64_t product_available(const struct product *p)
{
	int64_t a = p->on_hand - p->reserved;
	return a > 0 ? a : 0;
}

void product_init(struct product *p)
{
	memset(p, 0, sizeof(*p));
	p->active = 1;
	p->weight = CATALOG_NONE;
	p->last_movement = CATALOG_NONE;
}

void product_release(struct product *p)
{
	free(p->merchant_id);
	free(p->sku_id);
	free(p->hex_id);
	free(p->name);
	free(p->pack_size_label);
	free(p->sku_type);
	free(p->gtin);
	free(p->dimensions);
	product_init(p);
}

void coupon_init(struct coupon *c)
{
	memset(c, 0, sizeof(*c));
	c->max_discount = c->min_cart_value = CATALOG_NONE;
	c->valid_from = c->valid_to = c->usage_limit = CATALOG_NONE;
}

void coupon_release(struct coupon *c)
{
	free(c->code);
	free(c->merchant_id);
	coupon_init(c);
}

int pincode_valid(const char *s)
{
	if (!s || strlen(s) != PINCODE_LEN || s[0] < '1' || s[0] > '9')
		return 0;
	for (size_t i = 1; i < PINCODE_LEN; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

int sku_id_valid(const char *s)
{
	return ids_is_ident(s, SKU_MAX_ID);
}

int product_check(const struct product *p, char *err, size_t cap)
{
	size_t name_len = p->name ? strlen(p->name) : 0;
	if (!sku_id_valid(p->sku_id))
		return fmt_into(err, cap, "sku_id must be 1-%d of [A-Za-z0-9_.-]", SKU_MAX_ID), -1;
	if (name_len == 0 || name_len > PRODUCT_MAX_NAME)
		return fmt_into(err, cap, "name must be 1-%d characters", PRODUCT_MAX_NAME), -1;
	if (p->mrp < 0 || p->mrp > MONEY_MAX)
		return fmt_into(err, cap, "mrp must be a money amount"), -1;
	if (p->price < 0 || p->price > MONEY_MAX)
		return fmt_into(err, cap, "price must be a money amount"), -1;
	if (p->price > p->mrp)
		return fmt_into(err, cap, "price must not exceed mrp"), -1;
	if (p->pack_size_label && strlen(p->pack_size_label) > PRODUCT_MAX_LABEL)
		return fmt_into(err, cap, "pack_size_label must be at most %d characters",
				PRODUCT_MAX_LABEL),
		       -1;
	if (p->sku_type && strlen(p->sku_type) > PRODUCT_MAX_TYPE)
		return fmt_into(err, cap, "sku_type must be at most %d characters",
				PRODUCT_MAX_TYPE),
		       -1;
	if (p->on_hand < 0 || p->on_hand > CATALOG_MAX_STOCK)
		return fmt_into(err, cap, "stock must be an integer 0..%lld",
				(long long)CATALOG_MAX_STOCK),
		       -1;
	return 0;
}

int coupon_check(const struct coupon *c, char *err, size_t cap)
{
	if (!coupon_code_valid(c->code))
		return fmt_into(err, cap, "code must be 1-%d of [A-Za-z0-9_.-]", COUPON_MAX_CODE),
		       -1;
	if (c->kind == COUPON_PERCENT && (c->value < 1 || c->value > COUPON_PERCENT_MAX))
		return fmt_into(
			   err, cap,
			   "a percent coupon's value must be 0.01..100 (at most two decimals)"),
		       -1;
	if (c->kind == COUPON_FLAT && (c->value < 1 || c->value > MONEY_MAX))
		return fmt_into(err, cap, "a flat coupon's value must be a money amount above 0"),
		       -1;
	if (c->max_discount != CATALOG_NONE && (c->max_discount < 0 || c->max_discount > MONEY_MAX))
		return fmt_into(err, cap, "max_discount must be a money amount"), -1;
	if (c->min_cart_value != CATALOG_NONE &&
	    (c->min_cart_value < 0 || c->min_cart_value > MONEY_MAX))
		return fmt_into(err, cap, "min_cart_value must be a money amount"), -1;
	if (c->valid_from != CATALOG_NONE && c->valid_to != CATALOG_NONE &&
	    c->valid_from > c->valid_to)
		return fmt_into(err, cap, "valid_from must not be after valid_to"), -1;
	if (c->usage_limit != CATALOG_NONE && c->usage_limit < 0)
		return fmt_into(err, cap, "usage_limit must be an integer >= 0"), -1;
	return 0;
}

int pincode_check(const struct pincode_entry *p, char *err, size_t cap)
{
	if (!pincode_valid(p->pincode))
		return fmt_into(err, cap, "pincode must be 6 digits, the first 1-9"), -1;
	if (p->eta_min_days != CATALOG_NONE &&
	    (p->eta_min_days < 0 || p->eta_min_days > CATALOG_MAX_ETA_DAYS))
		return fmt_into(err, cap, "eta_min_days must be an integer 0..%d",
				CATALOG_MAX_ETA_DAYS),
		       -1;
	if (p->eta_max_days != CATALOG_NONE &&
	    (p->eta_max_days < 0 || p->eta_max_days > CATALOG_MAX_ETA_DAYS))
		return fmt_into(err, cap, "eta_max_days must be an integer 0..%d",
				CATALOG_MAX_ETA_DAYS),
		       -1;
	if (p->eta_min_days != CATALOG_NONE && p->eta_max_days != CATALOG_NONE &&
	    p->eta_min_days > p->eta_max_days)
		return fmt_into(err, cap, "eta_min_days must not exceed eta_max_days"), -1;
	return 0;
}

int coupon_code_valid(const char *s)
{
	/* The same alphabet as SKU ids, with its own length limit. */
	return s && strlen(s) <= COUPON_MAX_CODE && sku_id_valid(s);
}

void coupon_code_upper(char *s)
{
	for (; s && *s; s++)
		if (*s >= 'a' && *s <= 'z')
			*s = (char)(*s - 'a' + 'A');
}

const char *coupon_kind_name(enum coupon_kind k)
{
	return k == COUPON_FLAT ? "flat" : "percent";
}

int coupon_kind_parse(const char *s, enum coupon_kind *out)
{
	if (s && strcmp(s, "percent") == 0)
		return *out = COUPON_PERCENT, 0;
	if (s && strcmp(s, "flat") == 0)
		return *out = COUPON_FLAT, 0;
	return -1;
}

int catalog_parse_bool(const char *s, int *out)
{
	if (!s)
		return -1;
	if (strcasecmp(s, "true") == 0 || strcmp(s, "1") == 0)
		return *out = 1, 0;
	if (strcasecmp(s, "false") == 0 || strcmp(s, "0") == 0)
		return *out = 0, 0;
	return -1;
}
