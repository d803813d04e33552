/*
 * Merchant <-> admin JSON (see admin_merchant_json.h).
 */
#include <stdlib.h>
#include <string.h>

#include "api/admin_merchant_json.h"
#include "auth/jwt.h"
#include "auth/secret.h"
#include "core/merchant.h"
#include "http/jsonx.h"
#include "outbound/url.h"
#include "base/buf.h"
#include "base/xalloc.h"
#include "base/banned.h"

#define MERCHANT_MAX_TEXT 512
#define MERCHANT_MAX_PEM 8192
#define MERCHANT_MAX_WINDOW_S (7 * 86400)

/* Outbound URLs follow outbound/url.h; err says which field and why. */
static int url_ok_or_err(const char *field, const char *u, char *err, size_t cap)
{
	char why[160];
	if (url_check(u, NULL, why, sizeof(why)) == 0)
		return 0;
	fmt_into(err, cap, "%s: %s", field, why);
	return -1;
}

/* Sets *field from member key of obj if present; -1 on a wrong type. */
static int take_str(const json_t *obj, const char *key, size_t max, char **field, char *err,
		    size_t cap)
{
	const char *s;
	const json_t *v = json_object_get(obj, key);
	if (v && json_is_null(v)) {
		free(*field);
		*field = NULL;
		return 0;
	}
	int rc = jx_str(obj, key, max, &s);
	if (rc < 0) {
		fmt_into(err, cap, "%s must be a string of at most %zu characters", key, max);
		return -1;
	}
	if (rc == 0) {
		free(*field);
		*field = xstrdup(s);
	}
	return 0;
}

static int take_charges(struct merchant *m, const json_t *arr, char *err, size_t cap)
{
	size_t i;
	const json_t *ch;
	if (!json_is_array(arr) || json_array_size(arr) > MERCHANT_MAX_CHARGES) {
		fmt_into(err, cap, "charges must be an array of at most %d rules",
			 MERCHANT_MAX_CHARGES);
		return -1;
	}
	for (i = 0; i < m->ncharges; i++) {
		free(m->charges[i].type);
		free(m->charges[i].display_text);
	}
	m->ncharges = 0;
	json_array_foreach(arr, i, ch)
	{
		const char *type, *text;
		int64_t amount, below = -1;
		if (!json_is_object(ch) || jx_str(ch, "type", 64, &type) != 0 ||
		    jx_money(ch, "amount", &amount) > 0) {
			fmt_into(err, cap,
				 "charges[%zu] needs type (string) and amount (money), optional below",
				 i);
			return -1;
		}
		if (jx_money(ch, "amount", &amount) < 0 || jx_money(ch, "below", &below) < 0) {
			fmt_into(err, cap,
				 "charges[%zu]: amount or below is invalid: a non-negative amount "
				 "with at most two decimals",
				 i);
			return -1;
		}
		if (jx_str(ch, "display_text", 128, &text) != 0)
			text = type;
		struct charge_rule *rule = &m->charges[m->ncharges++];
		rule->type = xstrdup(type);
		rule->display_text = xstrdup(text);
		rule->amount = amount;
		rule->below = below;
	}
	return 0;
}

/* "help": {url, email, phone}: each a string, or null to remove it. */
static int take_help(struct merchant *m, const json_t *help, char *err, size_t cap)
{
	if (!json_is_object(help))
		return fmt_into(err, cap, "help must be an object {url, email, phone}"), -1;
	const char *key;
	const json_t *v;
	json_object_foreach((json_t *)help, key, v)
	{
		if (strcmp(key, "url") && strcmp(key, "email") && strcmp(key, "phone"))
			return fmt_into(err, cap, "help.%s is not a help contact (url, email, phone)",
					key),
			       -1;
	}
	if (take_str(help, "url", MERCHANT_MAX_HELP_URL, &m->help_url, err, cap) ||
	    take_str(help, "email", MERCHANT_MAX_EMAIL, &m->help_email, err, cap) ||
	    take_str(help, "phone", MERCHANT_MAX_PHONE, &m->help_phone, err, cap))
		return -1;
	char **fields[] = {&m->help_url, &m->help_email, &m->help_phone};
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (*fields[i] && !**fields[i]) { /* "" removes it, as null does */
			free(*fields[i]);
			*fields[i] = NULL;
		}
	}
	if (m->help_url && !merchant_help_url_valid(m->help_url))
		return fmt_into(err, cap, "help.url must be an https:// URL without spaces or quotes"),
		       -1;
	if (m->help_email && !merchant_help_email_valid(m->help_email))
		return fmt_into(err, cap, "help.email must be an e-mail address"), -1;
	if (m->help_phone && !merchant_help_phone_valid(m->help_phone))
		return fmt_into(err, cap,
				"help.phone must be a phone number: 3-15 digits with optional "
				"leading +, spaces, '-' or parentheses"),
		       -1;
	return 0;
}

/* "webhook.batch": true for arrays of envelopes, false (or null) for one per request. */
static int take_batch(struct merchant *m, const json_t *hook, char *err, size_t cap)
{
	const json_t *v = json_object_get(hook, "batch");
	int batch;
	if (!v)
		return 0;
	if (json_is_null(v)) {
		m->webhook_batch = 0;
		return 0;
	}
	if (jx_bool(hook, "batch", &batch) != 0)
		return fmt_into(err, cap,
				"webhook.batch must be a boolean: true sends logistics events as "
				"arrays of up to 100, false one event per request"),
		       -1;
	m->webhook_batch = batch;
	return 0;
}

int merchant_from_json(struct merchant *m, const json_t *j, int creating, char *err, size_t cap)
{
	const json_t *pay = json_object_get(j, "payment_api"), *hook = json_object_get(j, "webhook");
	const char *secret;
	int64_t window;
	int active;

	err[0] = '\0';
	if (creating) {
		if (take_str(j, "id", MERCHANT_MAX_ID, &m->id, err, cap) || !merchant_id_valid(m->id))
			return fmt_into(err, cap, "id is required: 1-64 of [A-Za-z0-9_.-]"), -1;
	}
	if (take_str(j, "name", MERCHANT_MAX_NAME, &m->name, err, cap) ||
	    take_str(j, "display_name", MERCHANT_MAX_TEXT, &m->display_name, err, cap) ||
	    take_str(j, "jwt_public_key", MERCHANT_MAX_PEM, &m->jwt_public_key, err, cap))
		return -1;
	if (!m->name || !*m->name)
		return fmt_into(err, cap, "name is required"), -1;
	if (m->jwt_public_key && !jwt_public_key_valid(m->jwt_public_key))
		return fmt_into(err, cap, "jwt_public_key must be an RSA public key in PEM"), -1;
	int rc = jx_str(j, "logistics_secret", SECRET_MAX_LEN, &secret);
	if (rc < 0 || (rc == 0 && strlen(secret) < 8))
		return fmt_into(err, cap, "logistics_secret must be a string of 8-256 characters"),
		       -1;
	if (rc == 0) {
		char hash[SECRET_HASH_CAP];
		if (secret_hash(secret, hash))
			return fmt_into(err, cap, "cannot hash logistics_secret"), -1;
		free(m->logistics_secret_hash);
		m->logistics_secret_hash = xstrdup(hash);
	}
	if (pay && !json_is_null(pay)) {
		if (!json_is_object(pay) ||
		    take_str(pay, "base_url", MERCHANT_MAX_TEXT, &m->payment_base_url, err, cap) ||
		    take_str(pay, "auth_header", 128, &m->payment_auth_header, err, cap) ||
		    take_str(pay, "auth_value", MERCHANT_MAX_TEXT, &m->payment_auth_value, err, cap) ||
		    take_str(pay, "aggregator", 128, &m->payment_aggregator, err, cap))
			return err[0] ? -1 : (fmt_into(err, cap, "payment_api must be an object"), -1);
		if (m->payment_base_url &&
		    url_ok_or_err("payment_api.base_url", m->payment_base_url, err, cap))
			return -1;
	}
	if (hook && !json_is_null(hook)) {
		if (!json_is_object(hook) ||
		    take_str(hook, "url", MERCHANT_MAX_TEXT, &m->webhook_url, err, cap) ||
		    take_str(hook, "auth_header", 128, &m->webhook_auth_header, err, cap) ||
		    take_str(hook, "auth_value", MERCHANT_MAX_TEXT, &m->webhook_auth_value, err, cap) ||
		    take_str(hook, "signing_secret", SECRET_MAX_LEN, &m->webhook_signing_secret, err,
			     cap))
			return err[0] ? -1 : (fmt_into(err, cap, "webhook must be an object"), -1);
		if (m->webhook_url && url_ok_or_err("webhook.url", m->webhook_url, err, cap))
			return -1;
		if (take_batch(m, hook, err, cap))
			return -1;
	}
	const json_t *help = json_object_get(j, "help");
	if (help && !json_is_null(help) && take_help(m, help, err, cap))
		return -1;
	if (help && json_is_null(help)) {
		free(m->help_url);
		free(m->help_email);
		free(m->help_phone);
		m->help_url = m->help_email = m->help_phone = NULL;
	}
	const json_t *charges = json_object_get(j, "charges");
	if (charges && !json_is_null(charges) && take_charges(m, charges, err, cap))
		return -1;
	rc = jx_int(j, "payment_window_s", 1, MERCHANT_MAX_WINDOW_S, &window);
	if (rc < 0)
		return fmt_into(err, cap, "payment_window_s must be an integer 1..604800"), -1;
	if (rc == 0)
		m->payment_window_s = window;
	rc = jx_bool(j, "active", &active);
	if (rc < 0)
		return fmt_into(err, cap, "active must be a boolean"), -1;
	if (rc == 0)
		m->active = active;
	return 0;
}

json_t *merchant_to_json(const struct merchant *m)
{
	json_t *charges = json_array();
	for (size_t i = 0; i < m->ncharges; i++) {
		const struct charge_rule *ch = &m->charges[i];
		json_t *c = json_pack("{s:s,s:s,s:o}", "type", ch->type, "display_text",
				      ch->display_text, "amount", jx_money_value(ch->amount));
		json_object_set_new(c, "below", ch->below < 0 ? json_null() : jx_money_value(ch->below));
		json_array_append_new(charges, c);
	}
	json_t *j = json_pack("{s:s,s:s,s:o,s:o,s:b,s:{s:o,s:o,s:o,s:b},s:{s:o,s:o,s:b,s:b},s:o,s:I,s:b}",
			 "id", m->id, "name", m->name, "display_name",
			 jx_str_or_null(m->display_name), "jwt_public_key",
			 jx_str_or_null(m->jwt_public_key), "has_logistics_secret",
			 m->logistics_secret_hash != NULL, "payment_api", "base_url",
			 jx_str_or_null(m->payment_base_url), "auth_header",
			 jx_str_or_null(m->payment_auth_header), "aggregator",
			 jx_str_or_null(m->payment_aggregator), "has_auth_value",
			 m->payment_auth_value != NULL, "webhook", "url",
			 jx_str_or_null(m->webhook_url), "auth_header",
			 jx_str_or_null(m->webhook_auth_header), "has_auth_value",
			 m->webhook_auth_value != NULL, "has_signing_secret",
			 m->webhook_signing_secret != NULL, "charges", charges, "payment_window_s",
			 (json_int_t)m->payment_window_s, "active", m->active);
	json_object_set_new(json_object_get(j, "webhook"), "batch", json_boolean(m->webhook_batch));
	json_object_set_new(j, "help",
			    json_pack("{s:o,s:o,s:o}", "url", jx_str_or_null(m->help_url), "email",
				      jx_str_or_null(m->help_email), "phone",
				      jx_str_or_null(m->help_phone)));
	return j;
}
