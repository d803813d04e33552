/*
 * The clocks and the one way a time is written out (ISO 8601, UTC).
 * Times in the database and on the wire are seconds since the epoch
 * (now_epoch); the outbox schedules in milliseconds (now_ms); durations
 * are measured on the monotonic clock (now_ns).
 */
#ifndef APO_BASE_CLOCK_H
#define APO_BASE_CLOCK_H

#include <stdint.h>

/* Seconds since the epoch (the wall clock). */
int64_t now_epoch(void);

/* Milliseconds since the epoch (the wall clock). */
int64_t now_ms(void);

/* Nanoseconds on the monotonic clock: for durations only. */
int64_t now_ns(void);

/* Room for iso8601_utc()'s text, with its NUL. */
#define ISO8601_CAP 32

/*
 * Writes epoch second t as "2026-01-31T18:30:00Z" into out. -1 (out empty)
 * when t is outside what the C library can break down.
 */
int iso8601_utc(int64_t t, char out[ISO8601_CAP]);

#endif
