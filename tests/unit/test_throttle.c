/*
 * The failed-login throttle: blocks after THROTTLE_MAX_FAILURES in a
 * window, says how long to wait, forgets at the window's end, and keeps
 * addresses apart.
 */
#include "auth/throttle.h"
#include "t.h"

static void test_blocks_then_forgets(void)
{
	throttle_reset();
	for (int i = 0; i < THROTTLE_MAX_FAILURES; i++) {
		CHECK_INT(throttle_wait("10.0.0.1", 1000), 0);
		throttle_fail("10.0.0.1", 1000);
	}
	CHECK_INT(throttle_wait("10.0.0.1", 1000), THROTTLE_WINDOW_S);
	CHECK_INT(throttle_wait("10.0.0.1", 1000 + THROTTLE_WINDOW_S - 1), 1);
	CHECK_INT(throttle_wait("10.0.0.2", 1000), 0);
	CHECK_INT(throttle_wait("10.0.0.1", 1000 + THROTTLE_WINDOW_S), 0);
	throttle_fail("10.0.0.1", 1000 + THROTTLE_WINDOW_S);
	CHECK_INT(throttle_wait("10.0.0.1", 1000 + THROTTLE_WINDOW_S), 0);
}

static void test_full_table_makes_room(void)
{
	char addr[32];
	throttle_reset();
	for (int i = 0; i < THROTTLE_SLOTS + 10; i++) {
		snprintf(addr, sizeof(addr), "10.1.%d.%d", i / 256, i % 256);
		throttle_fail(addr, 2000 + i);
	}
	for (int i = 0; i < THROTTLE_MAX_FAILURES; i++)
		throttle_fail("192.0.2.1", 5000);
	CHECK(throttle_wait("192.0.2.1", 5000) > 0);
}

int main(void)
{
	test_blocks_then_forgets();
	test_full_table_makes_room();
	T_DONE();
}
