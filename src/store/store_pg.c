/*
 * The PostgreSQL backend.
 */
#include <stddef.h>

#include "store/store_backend.h"
#include "base/log.h"
#include "base/banned.h"

static struct store_conn *pg_connect(const char *url)
{
	(void)url;
	log_error("postgres backend unavailable", NULL);
	return NULL;
}

const struct store_ops store_pg_ops = {
	.name = "postgres",
	.connect = pg_connect,
};
