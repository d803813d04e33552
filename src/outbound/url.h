/*
 * Outbound URL rules: which merchant URLs apotheca will call, and which
 * addresses it will connect to. URLs are parsed with libcurl's URL API
 * (the same parser that later sends the request), never by prefix.
 *
 * A URL is accepted when it is at most URL_MAX_LEN bytes, has no user or
 * password part, and is either https:// to any host, or http:// to a
 * loopback literal (127.0.0.0/8, [::1]) or `localhost` (plain HTTP only
 * ever stays on this machine). An https URL whose host is an IP literal in
 * a private, link-local, loopback or otherwise non-public range is refused
 * unless private addresses are allowed (url_allow_private).
 *
 * At connect time, url_addr_allowed() applies the same rule to the address
 * the name resolved to, so a public-looking name cannot lead inside.
 */
#ifndef APO_OUTBOUND_URL_H
#define APO_OUTBOUND_URL_H

#include <stddef.h>
#include <sys/socket.h>

#define URL_MAX_LEN 2048

/* Allows https to private, link-local and loopback addresses (0: refuse, the default). */
void url_allow_private(int allow);

/*
 * Parses url by the rules above. 0 when it is acceptable (*https says
 * whether it is https; may be NULL); -1 with the reason in err (cap bytes).
 */
int url_check(const char *url, int *https, char *err, size_t cap);

/*
 * True when apotheca may connect to sa for a URL of that kind: for plain
 * http only loopback; for https any public address, and non-public ones
 * only when allowed.
 */
int url_addr_allowed(const struct sockaddr *sa, int https);

#endif
