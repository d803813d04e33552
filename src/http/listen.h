/*
 * The listening socket: resolves the configured listen address (localhost,
 * IPv4 or IPv6), binds and listens, and tells the configuration which port
 * it got, so tracking URLs follow the real address when no public URL is
 * configured. Not for accepting connections: libmicrohttpd does that.
 */
#ifndef APO_LISTEN_H
#define APO_LISTEN_H

#include <stddef.h>

struct config;

/* Pending connections the kernel queues before accept(). */
#define LISTEN_BACKLOG 1024

/*
 * Opens a listening TCP socket on c's address. On success returns the
 * descriptor, sets c->port to the bound port (when 0 was asked for) and
 * fills in c->public_url's default (config_default_public_url). On failure
 * returns -1 with why (cap bytes) saying what went wrong.
 */
int listen_open(struct config *c, char *why, size_t cap);

#endif
