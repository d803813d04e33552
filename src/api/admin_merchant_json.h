/*
 * The admin API's JSON form of a merchant, shared by the admin routes and
 * the CLI's `merchant add` (which reads the same JSON from a file).
 */
#ifndef APO_ADMIN_MERCHANT_JSON_H
#define APO_ADMIN_MERCHANT_JSON_H

#include <jansson.h>
#include <stddef.h>

struct merchant;

/*
 * Applies the members present in j to m. With creating != 0, id and name
 * are required. A "logistics_secret" is hashed before it is kept. Returns 0,
 * or -1 with a message for the client in err.
 */
int merchant_from_json(struct merchant *m, const json_t *j, int creating, char *err,
		       size_t cap);

/* The merchant as the admin API shows it: no secret is ever included. A new reference. */
json_t *merchant_to_json(const struct merchant *m);

#endif
