/*
 * The HTTP server: libmicrohttpd with epoll and a thread pool, one request
 * context per request, dispatch through the app's router, one JSON access
 * line per request, and the sweeper thread that runs background tasks.
 */
#ifndef APO_SERVER_H
#define APO_SERVER_H

struct app;

/*
 * Serves until SIGINT or SIGTERM, then stops gracefully: the listening
 * socket closes at once (new connections are refused), requests already
 * begun are answered (for up to 20 s, with "Connection: close"), and only
 * then do the workers stop. Returns 0 after a clean stop, -1 (logged) when
 * the listener cannot start.
 */
int server_run(struct app *app);

/* The dialect used for paths outside any API prefix (JSON errors). */
extern const struct dialect plain_dialect;

#endif
