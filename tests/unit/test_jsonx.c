/*
 * Money on the wire (jx_money): a JSON amount as number or string, and
 * every negative sign refused, zero included. Writing JSON (jx_dump): the
 * same bytes as jansson's json_dumps for the same tree.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

#include "http/jsonx.h"
#include "t.h"

static int money_of(const char *doc, int64_t *out)
{
	json_t *j = json_loads(doc, 0, NULL);
	int rc = j ? jx_money(j, "a", out) : -2;
	json_decref(j);
	return rc;
}

static void test_money_accepted(void)
{
	int64_t v = -1;
	CHECK_INT(money_of("{\"a\": \"632.80\"}", &v), 0);
	CHECK_INT(v, 63280);
	CHECK_INT(money_of("{\"a\": 632.8}", &v), 0);
	CHECK_INT(v, 63280);
	CHECK_INT(money_of("{\"a\": 157}", &v), 0);
	CHECK_INT(v, 15700);
	CHECK_INT(money_of("{\"a\": \"0\"}", &v), 0);
	CHECK_INT(v, 0);
	CHECK_INT(money_of("{}", &v), 1);
	CHECK_INT(money_of("{\"a\": null}", &v), 1);
}

static void test_money_negative_refused(void)
{
	static const char *bad[] = {
	    "{\"a\": \"-0.50\"}", "{\"a\": \"256.-0\"}", "{\"a\": \"-0.01\"}", "{\"a\": \"-0\"}",
	    "{\"a\": -0.5}",	  "{\"a\": -0.01}",	 "{\"a\": -0.0}",      "{\"a\": -1}",
	    "{\"a\": \"-1\"}",	  "{\"a\": \"1.-5\"}",	 "{\"a\": true}",      "{\"a\": \"\"}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t v = 42;
		int rc = money_of(bad[i], &v);
		if (rc != -1)
			fprintf(stderr, "accepted %s\n", bad[i]);
		CHECK_INT(rc, -1);
		CHECK_INT(v, 42);
	}
}

/* jx_dumps(j) against json_dumps(j) at one precision; 1 when they agree. */
static int dumps_agree(const json_t *j, int precision)
{
	size_t len = 0;
	char *want = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION((size_t)precision));
	char *got = jx_dumps(j, precision, &len);
	int same = want && got && strcmp(got, want) == 0 && len == strlen(want);
	if (!same)
		fprintf(stderr, "precision %d: got %s, want %s\n", precision, got ? got : "(null)",
			want ? want : "(null)");
	free(want);
	free(got);
	return same;
}

static void test_dump_matches_jansson(void)
{
	static const char *docs[] = {
	    "{}",
	    "[]",
	    "[[],{},[[]],{\"a\":{}}]",
	    "{\"b\":1,\"a\":2,\"c\":[true,false,null]}",
	    "[0,-1,9223372036854775807,-9223372036854775808]",
	    "[53.38,632.8,0.01,-0.01,5.0,-0.0,0.0,0.1,1e300,1.5e-7,-2.5e-300,1e15,1e16]",
	    "[99999999999.99,999999999999.99,123456789012.345,0.3,1.23456789012345678]",
	    "[\"\",\"plain\",\"q\\\"b\\\\s/\",\"\\b\\f\\n\\r\\t\\u0001\\u001f\\u007f\"]",
	    "[\"\u20b9 \u0939\u093f\u0902\",\"\\ud83d\\ude00\",\"a\\u0000b\"]",
	    "{\"k\\\"ey\\n\":\"v\",\"\\u0001\":1,\"\u00e9\":[{\"x\":[1.25]}]}",
	};
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		json_error_t err;
		json_t *j = json_loads(docs[i], JSON_ALLOW_NUL, &err);
		CHECK(j != NULL);
		if (!j) {
			fprintf(stderr, "%s: %s\n", docs[i], err.text);
			continue;
		}
		CHECK(dumps_agree(j, 15));
		CHECK(dumps_agree(j, 17));
		CHECK(dumps_agree(j, 6));
		json_decref(j);
	}
}

/* A deterministic generator, so a failure repeats. */
static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static json_t *random_scalar(void)
{
	static const char *pieces[] = {"a", "Z", "\"", "\\", "/", "\n", "\t", "\x01", "\x1f",
				       "\x7f", " ", "\xe2\x82\xb9", "\xf0\x9f\x98\x80", "0"};
	char text[64];
	size_t len = 0;
	double d;
	switch (rng() % 7) {
	case 0:
		return json_integer((json_int_t)rng());
	case 1: /* an amount, as jx_money_value makes them */
		return jx_money_value((int64_t)(rng() % 2000000000000ull) - 1000000000000);
	case 2: /* any finite double */
		do {
			uint64_t bits = rng();
			memcpy(&d, &bits, sizeof(d));
		} while (d != d || d - d != 0);
		return json_real(d);
	case 3:
		return json_real((double)(int64_t)(rng() % 100000) / 1000.0);
	case 4: {
		size_t n = rng() % 6;
		for (size_t i = 0; i < n; i++) {
			const char *p = pieces[rng() % (sizeof(pieces) / sizeof(pieces[0]))];
			memcpy(text + len, p, strlen(p));
			len += strlen(p);
		}
		return json_stringn(text, len);
	}
	case 5:
		return json_boolean(rng() % 2);
	default:
		return json_null();
	}
}

static json_t *random_tree(int depth)
{
	if (depth == 0 || rng() % 3 == 0)
		return random_scalar();
	size_t n = rng() % 5;
	json_t *c = rng() % 2 ? json_array() : json_object();
	for (size_t i = 0; i < n; i++) {
		json_t *v = random_tree(depth - 1);
		if (json_is_array(c)) {
			json_array_append_new(c, v);
		} else {
			char key[16];
			key[0] = (char)('a' + rng() % 26);
			key[1] = (char)(rng() % 2 ? '"' : '\x02');
			json_object_setn_new(c, key, 1 + rng() % 2, v);
		}
	}
	return c;
}

static void test_dump_matches_jansson_on_random_trees(void)
{
	int agreed = 0;
	for (int i = 0; i < 3000; i++) {
		json_t *j = json_array();
		json_array_append_new(j, random_tree(5));
		agreed += dumps_agree(j, 15) + dumps_agree(j, 17);
		json_decref(j);
	}
	CHECK_INT(agreed, 6000);
}

static void test_dump_refusals(void)
{
	struct buf b;
	json_t *s = json_string("x"), *top = json_array(), *at = top;
	buf_init(&b);
	buf_adds(&b, "kept");
	/* Only an object or an array, as json_dumps. */
	CHECK_INT(jx_dump(&b, s, 15), -1);
	CHECK(json_dumps(s, JSON_COMPACT) == NULL);
	/* Nesting past the bound (what a cycle becomes) fails and leaves b as it was. */
	for (int i = 0; i < JX_DUMP_MAX_DEPTH; i++) {
		json_t *inner = json_array();
		json_array_append_new(at, inner);
		at = inner;
	}
	CHECK_INT(jx_dump(&b, top, 15), -1);
	CHECK_STR(b.data, "kept");
	CHECK(jx_dumps(top, 15, NULL) == NULL);
	/* One level less is written whole. */
	CHECK_INT(jx_dump(&b, json_array_get(top, 0), 15), 0);
	CHECK_INT(b.len, 4 + 2 * JX_DUMP_MAX_DEPTH);
	buf_release(&b);
	json_decref(top);
	json_decref(s);
}

/* The writer's calls against the tree the same calls would build. */
static void test_writer_matches_the_tree(void)
{
	static const char *texts[] = {"plain", "q\"b\\s", "\n\x01", "\xe2\x82\xb9", NULL};
	int agreed = 0, rounds = 500;
	for (int round = 0; round < rounds; round++) {
		struct buf b;
		struct jw w;
		json_t *top = json_object(), *list = json_array();
		buf_init(&b);
		jw_init(&w, &b);
		jw_open(&w, '{');
		jw_key(&w, "list");
		jw_open(&w, '[');
		for (size_t i = 0, n = rng() % 4; i < n; i++) {
			int64_t paise = (int64_t)(rng() % 100000000) - 50000000;
			const char *t = texts[rng() % 5];
			json_t *item = json_object();
			jw_open(&w, '{');
			jw_key(&w, "amount");
			jw_money(&w, paise);
			json_object_set_new(item, "amount", jx_money_value(paise));
			jw_key(&w, "text");
			jw_str(&w, t);
			json_object_set_new(item, "text", jx_str_or_null(t));
			jw_key(&w, t ? t : "none");
			jw_open(&w, '[');
			jw_close(&w, ']');
			json_object_set_new(item, t ? t : "none", json_array());
			jw_close(&w, '}');
			json_array_append_new(list, item);
		}
		jw_close(&w, ']');
		json_object_set_new(top, "list", list);
		jw_key(&w, "n");
		jw_int(&w, round - 250);
		json_object_set_new(top, "n", json_integer(round - 250));
		jw_key(&w, "ok");
		jw_bool(&w, round % 2);
		json_object_set_new(top, "ok", json_boolean(round % 2));
		jw_key(&w, "nothing");
		jw_null(&w);
		json_object_set_new(top, "nothing", json_null());
		jw_key(&w, "empty");
		jw_open(&w, '{');
		jw_close(&w, '}');
		json_object_set_new(top, "empty", json_object());
		jw_close(&w, '}');
		char *want = jx_dumps(top, 15, NULL);
		agreed += want && strcmp(b.data, want) == 0;
		if (!want || strcmp(b.data, want) != 0)
			fprintf(stderr, "wrote %s, the tree is %s\n", b.data, want ? want : "(null)");
		free(want);
		json_decref(top);
		buf_release(&b);
	}
	CHECK_INT(agreed, rounds);
}

int main(void)
{
	test_money_accepted();
	test_money_negative_refused();
	test_dump_matches_jansson();
	test_dump_matches_jansson_on_random_trees();
	test_dump_refusals();
	test_writer_matches_the_tree();
	T_DONE();
}
