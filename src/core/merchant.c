/*
 * Merchant value helpers (see merchant.h).
 */
#include <stdlib.h>
#include <string.h>

#include "core/merchant.h"
#include "base/strnum.h"
#include "core/ids.h"
#include "base/banned.h"

void merchant_init(struct merchant *m)
{
	memset(m, 0, sizeof(*m));
	m->payment_window_s = MERCHANT_DEFAULT_PAYMENT_WINDOW_S;
	m->active = 1;
}

void merchant_release(struct merchant *m)
{
	char **strs[] = {&m->id,
			 &m->name,
			 &m->display_name,
			 &m->jwt_public_key,
			 &m->logistics_secret_hash,
			 &m->payment_base_url,
			 &m->payment_auth_header,
			 &m->payment_auth_value,
			 &m->payment_aggregator,
			 &m->webhook_url,
			 &m->webhook_auth_header,
			 &m->webhook_auth_value,
			 &m->webhook_signing_secret};
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		free(*strs[i]);
	for (size_t i = 0; i < m->ncharges; i++) {
		free(m->charges[i].type);
		free(m->charges[i].display_text);
	}
	merchant_init(m);
}

int merchant_id_valid(const char *s)
{
	return ids_is_ident(s, MERCHANT_MAX_ID);
}
