/*
 * The logistics dialect's lenient readers: "not set" in all the forms
 * plugins use, numbers as strings, ids as numbers, weights rounded, and
 * everything else refused rather than guessed.
 */
#include <jansson.h>

#include "api/logistics.h"
#include "t.h"

static json_t *obj(const char *text)
{
	json_t *j = json_loads(text, JSON_ALLOW_NUL, NULL);
	CHECK(j != NULL);
	return j;
}

static void test_absent(void)
{
	json_t *j =
	    obj("{\"n\": null, \"f\": false, \"e\": \"\", \"t\": true, \"z\": 0, \"s\": \" \"}");
	CHECK(logi_absent(json_object_get(j, "missing")));
	CHECK(logi_absent(json_object_get(j, "n")));
	CHECK(logi_absent(json_object_get(j, "f")));
	CHECK(logi_absent(json_object_get(j, "e")));
	CHECK(!logi_absent(json_object_get(j, "t")));
	CHECK(!logi_absent(json_object_get(j, "z")));
	CHECK(!logi_absent(json_object_get(j, "s")));
	json_decref(j);
}

static void test_str(void)
{
	json_t *j = obj("{\"s\": \"abc\", \"i\": 560001, \"neg\": -5, \"f\": false, \"r\": 1.5, "
			"\"a\": [], \"long\": \"abcdef\", \"nul\": \"a\\u0000b\"}");
	const char *s = NULL;
	CHECK_INT(logi_str(j, "s", 10, &s), 0);
	CHECK_STR(s, "abc");
	CHECK_INT(logi_str(j, "i", 10, &s), 0);
	CHECK_STR(s, "560001");
	CHECK(json_is_string(json_object_get(j, "i"))); /* stored as text from now on */
	CHECK_INT(logi_str(j, "neg", 10, &s), 0);
	CHECK_STR(s, "-5");
	CHECK_INT(logi_str(j, "f", 10, &s), 1);
	CHECK_INT(logi_str(j, "missing", 10, &s), 1);
	CHECK_INT(logi_str(j, "r", 10, &s), -1);
	CHECK_INT(logi_str(j, "a", 10, &s), -1);
	CHECK_INT(logi_str(j, "long", 5, &s), -1);
	CHECK_INT(logi_str(j, "nul", 10, &s), -1);
	json_decref(j);
}

static void test_int(void)
{
	json_t *j =
	    obj("{\"i\": 2, \"s\": \"2\", \"r\": 2.0, \"frac\": 1.5, \"big\": 1001, "
		"\"neg\": \"-1\", \"junk\": \"2x\", \"sp\": \" 2\", \"b\": true, \"huge\": 1e300, "
		"\"f\": false}");
	int64_t v = 0;
	CHECK_INT(logi_int(j, "i", 1, 1000, &v), 0);
	CHECK_INT(v, 2);
	v = 0;
	CHECK_INT(logi_int(j, "s", 1, 1000, &v), 0);
	CHECK_INT(v, 2);
	v = 0;
	CHECK_INT(logi_int(j, "r", 1, 1000, &v), 0);
	CHECK_INT(v, 2);
	CHECK_INT(logi_int(j, "frac", 1, 1000, &v), -1);
	CHECK_INT(logi_int(j, "big", 1, 1000, &v), -1);
	CHECK_INT(logi_int(j, "neg", 1, 1000, &v), -1);
	CHECK_INT(logi_int(j, "junk", 1, 1000, &v), -1);
	CHECK_INT(logi_int(j, "sp", 1, 1000, &v), -1);
	CHECK_INT(logi_int(j, "b", 1, 1000, &v), -1);
	CHECK_INT(logi_int(j, "huge", 1, 1000, &v), -1);
	CHECK_INT(logi_int(j, "f", 1, 1000, &v), 1);
	json_decref(j);
}

static void test_grams_and_decimals(void)
{
	json_t *j = obj("{\"i\": 250, \"s\": \"250.5\", \"c\": \"0,4\", \"r\": 99.4, \"neg\": -1, "
			"\"txt\": \"1kg\", \"exp\": \"1e3\", \"dot\": \".5\", \"two\": \"1.2.3\", "
			"\"big\": 1e12}");
	int64_t g = 0;
	double d = 0;
	CHECK_INT(logi_grams(j, "i", &g), 0);
	CHECK_INT(g, 250);
	CHECK_INT(logi_grams(j, "s", &g), 0);
	CHECK_INT(g, 251);
	CHECK_INT(logi_grams(j, "c", &g), 0);
	CHECK_INT(g, 0);
	CHECK_INT(logi_grams(j, "r", &g), 0);
	CHECK_INT(g, 99);
	CHECK_INT(logi_grams(j, "neg", &g), -1);
	CHECK_INT(logi_grams(j, "txt", &g), -1);
	CHECK_INT(logi_grams(j, "exp", &g), -1);
	CHECK_INT(logi_grams(j, "dot", &g), -1);
	CHECK_INT(logi_grams(j, "two", &g), -1);
	CHECK_INT(logi_grams(j, "big", &g), -1);
	CHECK_INT(logi_grams(j, "missing", &g), 1);
	CHECK_INT(logi_decimal("10,25", 5, &d), 0);
	CHECK(d == 10.25);
	CHECK_INT(logi_decimal("", 0, &d), -1);
	CHECK_INT(logi_decimal("1.", 2, &d), -1);
	CHECK_INT(logi_decimal("nan", 3, &d), -1);
	CHECK_INT(logi_decimal("0x10", 4, &d), -1);
	json_decref(j);
}

static void test_money(void)
{
	json_t *j =
	    obj("{\"s\": \"10.50\", \"n\": 3, \"f\": false, \"bad\": \"1.234\", \"neg\": -1}");
	int64_t p = 0;
	CHECK_INT(logi_money(j, "s", &p), 0);
	CHECK_INT(p, 1050);
	CHECK_INT(logi_money(j, "n", &p), 0);
	CHECK_INT(p, 300);
	CHECK_INT(logi_money(j, "f", &p), 1);
	CHECK_INT(logi_money(j, "bad", &p), -1);
	CHECK_INT(logi_money(j, "neg", &p), -1);
	json_decref(j);
}

static void test_ids_names_times(void)
{
	char name[] = "ab\xc3\xa9"
		      "cd"; /* "abécd": é is two bytes at 2..3 */
	CHECK(logi_id_valid("SKU 12/A"));
	CHECK(logi_id_valid("4711"));
	CHECK(!logi_id_valid(""));
	CHECK(!logi_id_valid(NULL));
	CHECK(!logi_id_valid("tab\there"));
	CHECK(!logi_id_valid("0123456789012345678901234567890123456789012345678901234567890123x"));
	logi_utf8_cut(name, 3); /* would split é: cut before it */
	CHECK_STR(name, "ab");
	json_t *t = logi_time(0);
	CHECK(json_is_null(t));
	json_decref(t);
	t = logi_time(1714557600);
	CHECK_STR(json_string_value(t), "2024-05-01T10:00:00Z");
	json_decref(t);
}

int main(void)
{
	test_absent();
	test_str();
	test_int();
	test_grams_and_decimals();
	test_money();
	test_ids_names_times();
	T_DONE();
}
