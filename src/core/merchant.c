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

void merchant_text_fields(struct merchant *m, char **fields[MERCHANT_TEXT_FIELDS])
{
	char **all[MERCHANT_TEXT_FIELDS] = {&m->id,
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
					    &m->webhook_signing_secret,
					    &m->help_url,
					    &m->help_email,
					    &m->help_phone};
	memcpy(fields, all, sizeof(all));
}

void merchant_release(struct merchant *m)
{
	char **text[MERCHANT_TEXT_FIELDS];
	merchant_text_fields(m, text);
	for (size_t i = 0; i < MERCHANT_TEXT_FIELDS; i++)
		free(*text[i]);
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

/* Characters never accepted in a contact shown as a link. */
static int contact_char_ok(char c)
{
	return (unsigned char)c > ' ' && (unsigned char)c < 0x7f && c != '"' && c != '\'' &&
	       c != '<' && c != '>' && c != '\\' && c != '`';
}

int merchant_help_url_valid(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n <= 8 || n > MERCHANT_MAX_HELP_URL || strncmp(s, "https://", 8) != 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!contact_char_ok(s[i]))
			return 0;
	return 1;
}

int merchant_help_email_valid(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	const char *at = n ? strchr(s, '@') : NULL;
	if (!at || at == s || n > MERCHANT_MAX_EMAIL || strchr(at + 1, '@'))
		return 0;
	const char *dot = strrchr(at + 1, '.');
	if (!dot || dot == at + 1 || dot[1] == '\0')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!contact_char_ok(s[i]) || s[i] == ',' || s[i] == ';' || s[i] == '?' ||
		    s[i] == '&' || s[i] == '/' || s[i] == ':')
			return 0;
	return 1;
}

int merchant_help_phone_valid(const char *s)
{
	size_t n = s ? strlen(s) : 0, digits = 0;
	if (n == 0 || n > MERCHANT_MAX_PHONE)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c >= '0' && c <= '9')
			digits++;
		else if (!(c == ' ' || c == '-' || c == '(' || c == ')' || (c == '+' && i == 0)))
			return 0;
	}
	return digits >= MERCHANT_MIN_PHONE_DIGITS && digits <= MERCHANT_MAX_PHONE_DIGITS;
}

void merchant_help_phone_dial(const char *s, char *out, size_t cap)
{
	size_t k = 0;
	for (; s && *s && k + 1 < cap; s++)
		if ((*s >= '0' && *s <= '9') || *s == '+')
			out[k++] = *s;
	if (cap)
		out[k] = '\0';
}
