/*
 * Outbox delivery workers (see outbox.h).
 */
#include "out/outbox.h"
#include "base/banned.h"

int outbox_start(struct app *app)
{
	(void)app;
	return 0;
}

void outbox_stop(void)
{
}
