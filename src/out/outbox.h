/*
 * Outbox delivery workers: a small pool of threads, separate from the HTTP
 * workers and the sweeper, that claim due outbox rows (store/repo_outbox.h)
 * and deliver them — refunds to the merchant's payment API, webhooks to
 * its receiver — retrying with exponential backoff and jitter from
 * APOTHECA_RETRY_BASE_MS for 24 h, then parking them as failed.
 */
#ifndef APO_OUT_OUTBOX_H
#define APO_OUT_OUTBOX_H

struct app;

/* Starts the delivery threads; -1 (logged) when they cannot start. */
int outbox_start(struct app *app);

/* Asks the threads to stop and joins them (in-flight calls finish first). */
void outbox_stop(void);

#endif
