/*
 * Failed-login throttle: counts authentication failures per client address
 * and refuses further attempts from an address that failed too often, so
 * guessing logistics secrets costs the guesser time rather than the server
 * CPU. Addresses are kept in a fixed table (THROTTLE_SLOTS); when it is
 * full, the entry whose window is oldest makes room. Thread-safe.
 */
#ifndef APO_AUTH_THROTTLE_H
#define APO_AUTH_THROTTLE_H

#include <stdint.h>

/* This many failed guesses within THROTTLE_WINDOW_S blocks the address... */
#define THROTTLE_MAX_FAILURES 20
/* ...until the window, which starts at its first failure, ends. */
#define THROTTLE_WINDOW_S 60
#define THROTTLE_SLOTS 1024
#define THROTTLE_ADDR_CAP 46

/*
 * 0 when addr may try to authenticate at time now (seconds); else the
 * number of seconds until it may (for Retry-After), at least 1.
 */
int64_t throttle_wait(const char *addr, int64_t now);

/* Records one failed attempt by addr at time now. */
void throttle_fail(const char *addr, int64_t now);

/* Forgets every address (tests). */
void throttle_reset(void);

#endif
