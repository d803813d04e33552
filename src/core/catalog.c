/*
 * Catalog value helpers (see catalog.h).
 */
#include <stdlib.h>
#include <string.h>

#include "core/catalog.h"
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
	size_t len = s ? strlen(s) : 0;
	if (len == 0 || len > SKU_MAX_ID)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return 0;
	}
	return 1;
}
