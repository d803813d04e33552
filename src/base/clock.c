/*
 * The clocks (see clock.h).
 */
#include <time.h>

#include "base/clock.h"
#include "base/banned.h"

int64_t now_epoch(void)
{
	return (int64_t)time(NULL);
}

int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int iso8601_utc(int64_t t, char out[ISO8601_CAP])
{
	time_t tt = (time_t)t;
	struct tm tm;
	out[0] = '\0';
	if (!gmtime_r(&tt, &tm) || !strftime(out, ISO8601_CAP, "%Y-%m-%dT%H:%M:%SZ", &tm))
		return -1;
	return 0;
}
