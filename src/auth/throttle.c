/*
 * Failed-login throttle (see throttle.h): one mutex over a small table;
 * only failures and the check before each Basic-auth attempt touch it.
 */
#include <pthread.h>
#include <string.h>

#include "auth/throttle.h"
#include "base/buf.h"
#include "base/banned.h"

struct slot {
	char addr[THROTTLE_ADDR_CAP];
	int64_t start; /* first failure of the current window; 0: empty */
	int failures;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct slot slots[THROTTLE_SLOTS];

static struct slot *find(const char *addr)
{
	for (size_t i = 0; i < THROTTLE_SLOTS; i++)
		if (slots[i].start && strcmp(slots[i].addr, addr) == 0)
			return &slots[i];
	return NULL;
}

int64_t throttle_wait(const char *addr, int64_t now)
{
	int64_t wait = 0;
	pthread_mutex_lock(&lock);
	struct slot *s = find(addr);
	if (s && s->failures >= THROTTLE_MAX_FAILURES && now < s->start + THROTTLE_WINDOW_S)
		wait = s->start + THROTTLE_WINDOW_S - now;
	pthread_mutex_unlock(&lock);
	return wait;
}

void throttle_fail(const char *addr, int64_t now)
{
	pthread_mutex_lock(&lock);
	struct slot *s = find(addr);
	if (!s) {
		/* An empty slot, or else the one with the oldest window. */
		s = &slots[0];
		for (size_t i = 0; i < THROTTLE_SLOTS && s->start; i++)
			if (!slots[i].start || slots[i].start < s->start)
				s = &slots[i];
		fmt_into(s->addr, sizeof(s->addr), "%s", addr);
		s->start = 0;
	}
	if (!s->start || now >= s->start + THROTTLE_WINDOW_S) {
		s->start = now;
		s->failures = 0;
	}
	s->failures++;
	pthread_mutex_unlock(&lock);
}

void throttle_reset(void)
{
	pthread_mutex_lock(&lock);
	memset(slots, 0, sizeof(slots));
	pthread_mutex_unlock(&lock);
}
