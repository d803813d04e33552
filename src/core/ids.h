/*
 * Identifiers: the rule for client-chosen ids, and order ids ("PO" + 14 digits), 24-hex ids, tracking codes.
 * Random parts come from the kernel (getrandom), so ids are unpredictable
 * and unique with overwhelming probability; storage's unique constraints
 * catch the rest and the caller retries.
 */
#ifndef APO_IDS_H
#define APO_IDS_H

#include <stddef.h>

#define ORDER_ID_LEN 16 /* "PO" + 14 digits */
#define HEX_ID_LEN 24
#define TRACKING_CODE_LEN 16 /* base32 of 80 random bits */

/* Fills buf (ORDER_ID_LEN + 1 bytes) with "PO" and 14 random digits. */
void ids_order_id(char buf[ORDER_ID_LEN + 1]);

/* Fills buf (HEX_ID_LEN + 1 bytes) with 24 random lowercase hex digits. */
void ids_hex_id(char buf[HEX_ID_LEN + 1]);

/* Fills buf (TRACKING_CODE_LEN + 1) with a URL-safe code of 80 random bits. */
void ids_tracking_code(char buf[TRACKING_CODE_LEN + 1]);

/* Fills out with n random bytes from the kernel; aborts if it cannot. */
void ids_random(void *out, size_t n);

/* True when s is "PO" + 14 digits. */
int ids_is_order_id(const char *s);

/* True when s is 24 lowercase hex digits. */
int ids_is_hex_id(const char *s);

/*
 * The one rule for names chosen by clients (merchant ids, SKU ids,
 * merchant_order_id): 1..max characters of [A-Za-z0-9_.-], and not "." or
 * "..", which would be path dot-segments in the URLs they end up in.
 */
int ids_is_ident(const char *s, size_t max);

/* True when s is "." or "..": never an id, in either dialect. */
int ids_is_dot_segment(const char *s);

#endif
