/*
 * Identifiers: the rule for client-chosen ids, and the ids the server makes
 * — order ids ("PO" + 14 digits), 24-hex ids, tracking codes. Each begins
 * with the clock, so ids made together sort together in their unique
 * indexes (see ids.c). Within one process the ids below never repeat (a
 * counter); between processes, and against ids made a cycle of the clock
 * ago, they are unique with overwhelming probability, and a create that
 * meets a taken id draws new ones and tries again (service/orders.c).
 * Random parts come from the kernel (getrandom). The per-process part is
 * drawn at first use: a process that forks after making ids must not make
 * more in the child.
 */
#ifndef APO_IDS_H
#define APO_IDS_H

#include <stddef.h>

#define ORDER_ID_LEN 16 /* "PO" + 14 digits */
#define HEX_ID_LEN 24
#define TRACKING_CODE_LEN 16 /* base32 of a 15-bit clock and 65 random bits */

/*
 * Fills buf (ORDER_ID_LEN + 1 bytes) with "PO" and 14 digits: five of the
 * clock (10000-99999: seconds, coming round every 25 hours; never a leading
 * zero) and nine of this process's counter, which starts at a random value.
 * Ids of one process made in the same second follow one another.
 */
void ids_order_id(char buf[ORDER_ID_LEN + 1]);

/*
 * Fills buf (HEX_ID_LEN + 1 bytes) with 24 lowercase hex digits laid out as
 * an ObjectId: 4 bytes of the clock (seconds, big-endian), 5 random bytes
 * drawn once per process, 3 bytes of a counter that starts at a random
 * value. Unique within a process unless it makes 2^24 in one second.
 */
void ids_hex_id(char buf[HEX_ID_LEN + 1]);

/*
 * Fills buf (TRACKING_CODE_LEN + 1) with a URL-safe code: three characters
 * of the clock, then 65 random bits. The public tracking page finds an
 * order by it, so the random part is what keeps codes unguessable (SPEC
 * §6 asks for at least 64 bits).
 */
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
