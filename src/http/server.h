/*
 * The HTTP server: libmicrohttpd with epoll and a thread pool, one request
 * context per request, dispatch through the app's router, one JSON access
 * line per request, and the watcher thread that enforces the connection
 * deadlines (docs/SECURITY.md). It only serves: the application (src/app.c)
 * starts and stops it, hands it the API dialects, and runs everything else.
 */
#ifndef APO_SERVER_H
#define APO_SERVER_H

struct app;
struct dialect;
struct server;

/*
 * Opens the listener on app->cfg's address and starts serving app->router.
 * dialects (NULL-terminated, kept by the server) are the APIs whose error
 * shape a request takes when its path begins with their prefix, even when
 * no route matches; plain_dialect answers every other path. Returns the
 * running server, or NULL (logged) when it cannot listen or start. The
 * caller owns it and ends it with server_stop().
 */
struct server *server_start(struct app *app, const struct dialect *const *dialects);

/*
 * The graceful half of a stop: closes the listening socket, so a load
 * balancer's new connections are refused at once and go to another
 * process, then waits (up to 20 s) for every request already begun
 * (offloaded ones included) to be answered, with "Connection: close", and
 * for connections already accepted to bring their first request or close.
 * A request arriving later on a kept-alive connection still runs if it
 * comes before server_stop().
 */
void server_drain(struct server *s);

/*
 * Stops the daemon and the watcher thread and frees s. Every request handed
 * to an offload pool must have finished first (offload_stop()).
 */
void server_stop(struct server *s);

/* The dialect used for paths outside any API prefix (JSON errors). */
extern const struct dialect plain_dialect;

#endif
