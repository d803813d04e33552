/*
 * The ids the server makes: their formats, that one process never repeats
 * one and makes them in ascending order (what keeps inserts into their
 * unique indexes side by side), that they carry the clock where they say,
 * and that a tracking code's random part is spread over the whole alphabet.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "core/ids.h"
#include "base/xalloc.h"
#include "t.h"

#define IDS_MADE 20000
#define CODE_ALPHABET "0123456789abcdefghjkmnpqrstvwxyz"
#define CODE_CLOCK_CHARS 3

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* How often an id is below the one made before it; and whether any repeats. */
static void order_of(char **ids, size_t n, size_t *descents, size_t *repeats)
{
	*descents = *repeats = 0;
	for (size_t i = 1; i < n; i++)
		if (strcmp(ids[i], ids[i - 1]) < 0)
			(*descents)++;
	qsort(ids, n, sizeof(*ids), cmp_str);
	for (size_t i = 1; i < n; i++)
		if (strcmp(ids[i], ids[i - 1]) == 0)
			(*repeats)++;
}

/* got is want, give or take the two seconds the test may take, on a clock of modulus. */
static int within(int64_t got, int64_t want, int64_t modulus)
{
	int64_t d = ((got - want) % modulus + modulus) % modulus;
	return d <= 2 || d >= modulus - 2;
}

static void test_order_ids(void)
{
	char **ids = xcalloc(IDS_MADE, sizeof(*ids));
	int64_t before = now_epoch();
	size_t bad = 0, descents, repeats;
	for (size_t i = 0; i < IDS_MADE; i++) {
		ids[i] = xmalloc(ORDER_ID_LEN + 1);
		ids_order_id(ids[i]);
		if (!ids_is_order_id(ids[i]) || ids[i][2] == '0')
			bad++;
	}
	/* Five digits of the clock: 10000 + seconds mod 90000. */
	int64_t clock = 0;
	for (size_t k = 2; k < 7; k++)
		clock = clock * 10 + (ids[0][k] - '0');
	CHECK(within(clock - 10000, before % 90000, 90000));
	CHECK_INT(bad, 0);
	order_of(ids, IDS_MADE, &descents, &repeats);
	CHECK_INT(repeats, 0);
	/* Only the clock coming round, or the counter, can step back: once. */
	CHECK(descents <= 1);
	for (size_t i = 0; i < IDS_MADE; i++)
		free(ids[i]);
	free(ids);
}

static void test_hex_ids(void)
{
	char **ids = xcalloc(IDS_MADE, sizeof(*ids));
	int64_t before = now_epoch();
	size_t bad = 0, other_process = 0, descents, repeats;
	for (size_t i = 0; i < IDS_MADE; i++) {
		ids[i] = xmalloc(HEX_ID_LEN + 1);
		ids_hex_id(ids[i]);
		if (!ids_is_hex_id(ids[i]))
			bad++;
		/* Bytes 4..8 are this process's own. */
		if (memcmp(ids[i] + 8, ids[0] + 8, 10) != 0)
			other_process++;
	}
	CHECK_INT(bad, 0);
	CHECK_INT(other_process, 0);
	char clock[9];
	memcpy(clock, ids[0], 8);
	clock[8] = '\0';
	CHECK(within(strtoll(clock, NULL, 16), before, (int64_t)1 << 32));
	order_of(ids, IDS_MADE, &descents, &repeats);
	CHECK_INT(repeats, 0);
	CHECK(descents <= 1); /* the 3-byte counter may wrap once */
	for (size_t i = 0; i < IDS_MADE; i++)
		free(ids[i]);
	free(ids);
}

static void test_tracking_codes(void)
{
	char **codes = xcalloc(IDS_MADE, sizeof(*codes));
	size_t seen[32] = {0}, bad = 0, descents, repeats;
	int64_t before = now_epoch();
	for (size_t i = 0; i < IDS_MADE; i++) {
		codes[i] = xmalloc(TRACKING_CODE_LEN + 1);
		ids_tracking_code(codes[i]);
		if (strlen(codes[i]) != TRACKING_CODE_LEN ||
		    strspn(codes[i], CODE_ALPHABET) != TRACKING_CODE_LEN)
			bad++;
		for (size_t k = CODE_CLOCK_CHARS; k < TRACKING_CODE_LEN; k++) {
			const char *at = strchr(CODE_ALPHABET, codes[i][k]);
			if (at)
				seen[at - CODE_ALPHABET]++;
		}
	}
	CHECK_INT(bad, 0);
	int64_t clock = 0;
	for (size_t k = 0; k < CODE_CLOCK_CHARS; k++)
		clock = clock * 32 + (strchr(CODE_ALPHABET, codes[0][k]) - CODE_ALPHABET);
	CHECK(within(clock, before % 32768, 32768));
	/* 65 random bits: every character of the alphabet, about equally often
	 * (20,000 x 13 characters: ~8,125 each; a stuck bit would halve some). */
	size_t least = SIZE_MAX, most = 0;
	for (size_t s = 0; s < 32; s++) {
		least = seen[s] < least ? seen[s] : least;
		most = seen[s] > most ? seen[s] : most;
	}
	CHECK(least > 7000 && most < 9300);
	order_of(codes, IDS_MADE, &descents, &repeats);
	CHECK_INT(repeats, 0);
	for (size_t i = 0; i < IDS_MADE; i++)
		free(codes[i]);
	free(codes);
}

int main(void)
{
	test_order_ids();
	test_hex_ids();
	test_tracking_codes();
	T_DONE();
}
