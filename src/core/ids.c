/*
 * Identifiers (see ids.h). Each kind of id is the key of a unique index,
 * orders' among them; a random key sends every insert to its own leaf page
 * of that index, which once the table outgrows the page cache is a page
 * read and a page write per index per order. So ids begin with the clock
 * and those made in the same second sit side by side in their index (the
 * layout of MongoDB's ObjectId, which the logistics dialect's ids already
 * follow). Unguessability, where an id needs it, is in the random part.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "core/ids.h"
#include "base/clock.h"
#include "base/digest.h"
#include "base/log.h"
#include "base/banned.h"

/* Order ids: PO, IDS_ORDER_CLOCK_DIGITS of the clock, IDS_ORDER_COUNTER_DIGITS of a counter. */
#define IDS_ORDER_CLOCK_DIGITS 5
#define IDS_ORDER_CLOCK_FIRST 10000 /* no leading zero after PO */
#define IDS_ORDER_CLOCK_SPAN 90000  /* seconds before the clock part comes round */
#define IDS_ORDER_COUNTER_DIGITS 9
#define IDS_ORDER_COUNTER_SPAN 1000000000ULL
/* Hex ids: 4 bytes of the clock, IDS_PROCESS_BYTES of this process, 3 of a counter. */
#define IDS_PROCESS_BYTES 5
#define IDS_HEX_COUNTER_MASK 0xffffffU
/* Tracking codes: IDS_CODE_CLOCK_CHARS base32 characters of the clock, then random ones. */
#define IDS_CODE_CLOCK_CHARS 3

/* Drawn once per process: what keeps two processes' ids apart. */
static pthread_once_t process_once = PTHREAD_ONCE_INIT;
static unsigned char process_bytes[IDS_PROCESS_BYTES];
static atomic_uint_fast32_t hex_counter;
static atomic_uint_fast64_t order_counter;

static void process_setup(void)
{
	uint32_t h;
	uint64_t o;
	ids_random(process_bytes, sizeof(process_bytes));
	ids_random(&h, sizeof(h));
	ids_random(&o, sizeof(o));
	atomic_store(&hex_counter, h);
	atomic_store(&order_counter, o % IDS_ORDER_COUNTER_SPAN);
}

/* The clock, never before the epoch (a clock set wrong must not underflow). */
static uint64_t clock_seconds(void)
{
	int64_t t = now_epoch();
	return t > 0 ? (uint64_t)t : 0;
}

void ids_random(void *out, size_t n)
{
	unsigned char *p = out;
	while (n) {
		ssize_t got = getrandom(p, n, 0);
		if (got <= 0) {
			log_error("getrandom failed", NULL);
			abort();
		}
		p += got;
		n -= (size_t)got;
	}
}

void ids_order_id(char buf[ORDER_ID_LEN + 1])
{
	pthread_once(&process_once, process_setup);
	uint64_t clock = IDS_ORDER_CLOCK_FIRST + clock_seconds() % IDS_ORDER_CLOCK_SPAN;
	uint64_t n = atomic_fetch_add(&order_counter, 1) % IDS_ORDER_COUNTER_SPAN;
	buf[0] = 'P';
	buf[1] = 'O';
	for (size_t i = 0; i < IDS_ORDER_COUNTER_DIGITS; i++, n /= 10)
		buf[ORDER_ID_LEN - 1 - i] = (char)('0' + n % 10);
	for (size_t i = 0; i < IDS_ORDER_CLOCK_DIGITS; i++, clock /= 10)
		buf[2 + IDS_ORDER_CLOCK_DIGITS - 1 - i] = (char)('0' + clock % 10);
	buf[ORDER_ID_LEN] = '\0';
}

void ids_hex_id(char buf[HEX_ID_LEN + 1])
{
	unsigned char b[HEX_ID_LEN / 2];
	pthread_once(&process_once, process_setup);
	uint32_t clock = (uint32_t)clock_seconds();
	uint32_t n = (uint32_t)atomic_fetch_add(&hex_counter, 1) & IDS_HEX_COUNTER_MASK;
	for (size_t i = 0; i < 4; i++)
		b[i] = (unsigned char)(clock >> (24 - 8 * i));
	memcpy(b + 4, process_bytes, IDS_PROCESS_BYTES);
	for (size_t i = 0; i < 3; i++)
		b[4 + IDS_PROCESS_BYTES + i] = (unsigned char)(n >> (16 - 8 * i));
	hex_encode(b, sizeof(b), buf);
}

void ids_tracking_code(char buf[TRACKING_CODE_LEN + 1])
{
	/* Crockford-style base32 without look-alikes, 5 bits a character:
	 * 15 bits of the clock (seconds, coming round every nine hours),
	 * then 13 x 5 = 65 random bits. */
	static const char alphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";
	unsigned char r[TRACKING_CODE_LEN];
	uint64_t clock = clock_seconds();
	ids_random(r, sizeof(r));
	for (size_t i = 0; i < IDS_CODE_CLOCK_CHARS; i++)
		r[IDS_CODE_CLOCK_CHARS - 1 - i] = (unsigned char)(clock >> (5 * i));
	for (size_t i = 0; i < TRACKING_CODE_LEN; i++)
		buf[i] = alphabet[r[i] & 31];
	buf[TRACKING_CODE_LEN] = '\0';
}

int ids_is_order_id(const char *s)
{
	if (!s || strlen(s) != ORDER_ID_LEN || s[0] != 'P' || s[1] != 'O')
		return 0;
	for (size_t i = 2; i < ORDER_ID_LEN; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

int ids_is_hex_id(const char *s)
{
	if (!s || strlen(s) != HEX_ID_LEN)
		return 0;
	for (size_t i = 0; i < HEX_ID_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

int ids_is_dot_segment(const char *s)
{
	return s && (strcmp(s, ".") == 0 || strcmp(s, "..") == 0);
}

int ids_is_ident(const char *s, size_t max)
{
	size_t len = s ? strlen(s) : 0;
	if (len == 0 || len > max || ids_is_dot_segment(s))
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return 0;
	}
	return 1;
}
