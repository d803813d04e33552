/*
 * Time zones from TZif data without touching the process's TZ (see tz.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/tz.h"
#include "base/buf.h"
#include "base/xalloc.h"
#include "base/banned.h"

#define TZ_DIR "/usr/share/zoneinfo"
/* Bounds on what a TZif file may declare (real zones have a few hundred). */
#define TZ_MAX_TIMES 4096
#define TZ_MAX_TYPES 256
#define TZ_MAX_CHARS 512
#define TZ_MAX_FOOTER 128
#define TZ_HOUR 3600

struct tz_type {
	int32_t utoff;
	char abbr[TZ_MAX_ABBR];
};

/* One end of daylight saving in a POSIX rule: Mm.w.d/time. */
struct tz_rule_end {
	int month, week, wday; /* 1-12, 1-5 (5 = last), 0-6 (Sunday = 0) */
	int32_t secs;	       /* local time of day of the change */
};

struct tz_zone {
	char name[TZ_MAX_NAME + 1];
	const char *display;
	int64_t *times; /* transition instants, ascending */
	unsigned char *idx;
	size_t ntimes;
	struct tz_type types[TZ_MAX_TYPES];
	size_t ntypes;
	/* The footer's rule, for instants past the last transition. */
	int has_rule, rule_dst;
	struct tz_type std, dst;
	struct tz_rule_end start, end;
};

static const struct {
	const char *name, *display, *abbr;
	int32_t utoff;
} builtin[] = {
    {"Asia/Kolkata", "India Standard Time", "IST", 19800},
    {"Asia/Calcutta", "India Standard Time", "IST", 19800},
    {"UTC", "Coordinated Universal Time", "UTC", 0},
    {"Etc/UTC", "Coordinated Universal Time", "UTC", 0},
};

void tz_offset_text(int32_t utoff, char *out, size_t cap)
{
	int32_t a = utoff < 0 ? -utoff : utoff;
	fmt_into(out, cap, "%c%02d:%02d", utoff < 0 ? '-' : '+', (int)(a / 3600),
		 (int)(a / 60 % 60));
}

/* Names as the tz database spells them; no way out of the zone directory. */
static int name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > TZ_MAX_NAME || s[0] == '/' || strstr(s, ".."))
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '/' || c == '_' || c == '-' || c == '+' || c == '.'))
			return 0;
	}
	return 1;
}

/* An abbreviation worth showing; digits-only ones ("+04") become "UTC+04:00". */
static void set_abbr(struct tz_type *t, const char *s, size_t len)
{
	int alpha = len >= 2;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z')))
			alpha = 0;
	if (alpha && len < sizeof(t->abbr)) {
		memcpy(t->abbr, s, len);
		t->abbr[len] = '\0';
		return;
	}
	char off[16];
	tz_offset_text(t->utoff, off, sizeof(off));
	fmt_into(t->abbr, sizeof(t->abbr), "UTC%s", t->utoff ? off : "");
}

static int64_t be(const unsigned char *p, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	/* Sign-extend 32-bit values. */
	if (n == 4)
		return (int64_t)(int32_t)(uint32_t)v;
	return (int64_t)v;
}

/* ---- the POSIX TZ rule of the footer ("GMT0BST,M3.5.0/1,M10.5.0") ---- */

static const char *rule_name(const char *p, const char **start, size_t *len)
{
	if (*p == '<') {
		const char *q = strchr(p, '>');
		if (!q)
			return NULL;
		*start = p + 1;
		*len = (size_t)(q - p - 1);
		return q + 1;
	}
	*start = p;
	while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))
		p++;
	*len = (size_t)(p - *start);
	return *len >= 3 ? p : NULL;
}

/* [+-]hh[:mm[:ss]] as seconds. */
static const char *rule_time(const char *p, int32_t *out)
{
	int sign = 1;
	long part[3] = {0, 0, 0};
	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	for (int k = 0; k < 3; k++) {
		if (*p < '0' || *p > '9')
			return k == 0 ? NULL : p;
		long v = 0;
		while (*p >= '0' && *p <= '9' && v < 1000)
			v = v * 10 + (*p++ - '0');
		part[k] = v;
		if (*p != ':' || k == 2)
			break;
		p++;
	}
	if (part[0] > 167 || part[1] > 59 || part[2] > 59)
		return NULL;
	*out = (int32_t)(sign * (part[0] * 3600 + part[1] * 60 + part[2]));
	return p;
}

static const char *rule_end(const char *p, struct tz_rule_end *e)
{
	char *end;
	if (*p++ != 'M')
		return NULL; /* Jn and n forms are not used by the tz database's zones */
	long v[3];
	for (int k = 0; k < 3; k++) {
		v[k] = strtol(p, &end, 10);
		if (end == p || (k < 2 && *end != '.'))
			return NULL;
		p = end + (k < 2);
	}
	if (v[0] < 1 || v[0] > 12 || v[1] < 1 || v[1] > 5 || v[2] < 0 || v[2] > 6)
		return NULL;
	e->month = (int)v[0];
	e->week = (int)v[1];
	e->wday = (int)v[2];
	e->secs = 2 * TZ_HOUR;
	if (*p == '/' && !(p = rule_time(p + 1, &e->secs)))
		return NULL;
	return p;
}

/* Parses the footer; on anything unexpected the zone simply has no rule. */
static void rule_parse(struct tz_zone *z, const char *p)
{
	const char *s;
	size_t len;
	int32_t off;
	if (!(p = rule_name(p, &s, &len)) || !(p = rule_time(p, &off)))
		return;
	z->std.utoff = -off; /* POSIX offsets count west */
	set_abbr(&z->std, s, len);
	if (*p == '\0') {
		z->has_rule = 1;
		return;
	}
	if (!(p = rule_name(p, &s, &len)))
		return;
	z->dst.utoff = z->std.utoff + TZ_HOUR;
	if (*p != ',' && *p != '\0') {
		if (!(p = rule_time(p, &off)))
			return;
		z->dst.utoff = -off;
	}
	set_abbr(&z->dst, s, len);
	if (*p != ',' || !(p = rule_end(p + 1, &z->start)) || *p != ',' ||
	    !(p = rule_end(p + 1, &z->end)) || *p != '\0')
		return;
	z->has_rule = z->rule_dst = 1;
}

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int month_days(int64_t y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return days[m - 1] + (m == 2 && leap);
}

/* The UTC instant of a rule's change in year y, utoff being the offset before it. */
static int64_t rule_instant(const struct tz_rule_end *e, int64_t y, int32_t utoff)
{
	int64_t first = days_from_civil(y, e->month, 1);
	int wday1 = (int)(((first % 7) + 11) % 7); /* 1970-01-01 was a Thursday */
	int day = 1 + (e->wday - wday1 + 7) % 7 + (e->week - 1) * 7;
	while (day > month_days(y, e->month))
		day -= 7;
	return (days_from_civil(y, e->month, day)) * 86400 + e->secs - utoff;
}

static const struct tz_type *rule_type(const struct tz_zone *z, int64_t t)
{
	if (!z->rule_dst)
		return &z->std;
	time_t tt = (time_t)(t + z->std.utoff);
	struct tm tm;
	if (!gmtime_r(&tt, &tm))
		return &z->std;
	int64_t y = (int64_t)tm.tm_year + 1900;
	int64_t on = rule_instant(&z->start, y, z->std.utoff);
	int64_t off = rule_instant(&z->end, y, z->dst.utoff);
	int in_dst = on < off ? (t >= on && t < off) : !(t >= off && t < on);
	return in_dst ? &z->dst : &z->std;
}

/* ---- TZif files ---- */

static unsigned char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	unsigned char *data = xmalloc(TZ_MAX_FILE);
	*len = fread(data, 1, TZ_MAX_FILE, f);
	int bad = ferror(f) || !feof(f); /* error, or larger than any zone */
	fclose(f);
	if (bad) {
		free(data);
		return NULL;
	}
	return data;
}

struct tzif_counts {
	size_t isut, isstd, leap, time, type, chr;
};

static int tzif_header(const unsigned char *p, size_t len, struct tzif_counts *c)
{
	if (len < 44 || memcmp(p, "TZif", 4) != 0)
		return -1;
	c->isut = (size_t)be(p + 20, 4);
	c->isstd = (size_t)be(p + 24, 4);
	c->leap = (size_t)be(p + 28, 4);
	c->time = (size_t)be(p + 32, 4);
	c->type = (size_t)be(p + 36, 4);
	c->chr = (size_t)be(p + 40, 4);
	if (c->time > TZ_MAX_TIMES || c->type == 0 || c->type > TZ_MAX_TYPES ||
	    c->chr > TZ_MAX_CHARS || c->leap > TZ_MAX_TIMES || c->isut > TZ_MAX_TYPES ||
	    c->isstd > TZ_MAX_TYPES)
		return -1;
	return 0;
}

static size_t tzif_block_len(const struct tzif_counts *c, size_t tsize)
{
	return c->time * tsize + c->time + c->type * 6 + c->chr + c->leap * (tsize + 4) + c->isstd +
	       c->isut;
}

/* Reads one data block (v1 with 4-byte times, v2+ with 8-byte ones). */
static int tzif_block(struct tz_zone *z, const unsigned char *p, const struct tzif_counts *c,
		      size_t tsize)
{
	const unsigned char *idx = p + c->time * tsize, *types = idx + c->time;
	const char *chars = (const char *)(types + c->type * 6);
	z->times = xcalloc(c->time + 1, sizeof(*z->times));
	z->idx = xcalloc(c->time + 1, 1);
	z->ntimes = c->time;
	for (size_t i = 0; i < c->time; i++) {
		z->times[i] = be(p + i * tsize, tsize);
		z->idx[i] = idx[i];
		if (idx[i] >= c->type || (i && z->times[i] <= z->times[i - 1]))
			return -1;
	}
	z->ntypes = c->type;
	for (size_t i = 0; i < c->type; i++) {
		const unsigned char *t = types + i * 6;
		size_t at = t[5];
		if (at >= c->chr)
			return -1;
		z->types[i].utoff = (int32_t)be(t, 4);
		set_abbr(&z->types[i], chars + at, strnlen(chars + at, c->chr - at));
	}
	return 0;
}

static int tzif_parse(struct tz_zone *z, const unsigned char *p, size_t len)
{
	struct tzif_counts c;
	if (tzif_header(p, len, &c))
		return -1;
	size_t v1 = 44 + tzif_block_len(&c, 4);
	if (v1 > len)
		return -1;
	if (p[4] == '\0') /* version 1: no 64-bit data, no footer */
		return tzif_block(z, p + 44, &c, 4);
	const unsigned char *q = p + v1;
	if (tzif_header(q, len - v1, &c))
		return -1;
	size_t v2 = 44 + tzif_block_len(&c, 8);
	if (v2 > len - v1 || tzif_block(z, q + 44, &c, 8))
		return -1;
	/* The footer: "\n<POSIX TZ string>\n". */
	const char *f = (const char *)q + v2, *limit = (const char *)p + len;
	if (f < limit && *f == '\n') {
		const char *nl = memchr(f + 1, '\n', (size_t)(limit - f - 1));
		if (nl && nl - f - 1 <= TZ_MAX_FOOTER) {
			char rule[TZ_MAX_FOOTER + 1];
			memcpy(rule, f + 1, (size_t)(nl - f - 1));
			rule[nl - f - 1] = '\0';
			rule_parse(z, rule);
		}
	}
	return 0;
}

struct tz_zone *tz_load(const char *name, char *err, size_t cap)
{
	if (!name || !name_ok(name)) {
		fmt_into(err, cap, "not a time zone name (such as Asia/Kolkata)");
		return NULL;
	}
	struct tz_zone *z = xcalloc(1, sizeof(*z));
	fmt_into(z->name, sizeof(z->name), "%s", name);
	z->display = z->name;
	for (size_t i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++) {
		if (strcmp(builtin[i].name, name) != 0)
			continue;
		z->display = builtin[i].display;
		z->std.utoff = builtin[i].utoff;
		set_abbr(&z->std, builtin[i].abbr, strlen(builtin[i].abbr));
		z->has_rule = 1;
		return z;
	}
	const char *dir = getenv("TZDIR");
	char path[512];
	size_t len = 0;
	fmt_into(path, sizeof(path), "%s/%s", dir && *dir ? dir : TZ_DIR, name);
	unsigned char *data = read_file(path, &len);
	if (!data || tzif_parse(z, data, len)) {
		fmt_into(err, cap, "no time zone %s is installed (%s)", name, path);
		free(data);
		tz_free(z);
		return NULL;
	}
	free(data);
	return z;
}

static const struct tz_zone kolkata = {
    .name = "Asia/Kolkata",
    .display = "India Standard Time",
    .has_rule = 1,
    .std = {.utoff = 19800, .abbr = "IST"},
};

const struct tz_zone *tz_default(void)
{
	return &kolkata;
}

void tz_free(struct tz_zone *z)
{
	if (!z || z == &kolkata)
		return;
	free(z->times);
	free(z->idx);
	free(z);
}

const char *tz_name(const struct tz_zone *z)
{
	return z->name;
}

const char *tz_display(const struct tz_zone *z)
{
	return z->display;
}

/* The type in force at t: RFC 8536 §3.2 (type 0 before the first change). */
static const struct tz_type *type_at(const struct tz_zone *z, int64_t t)
{
	if (z->ntimes == 0)
		return z->has_rule ? rule_type(z, t) : &z->types[0];
	if (t < z->times[0])
		return &z->types[0];
	if (t >= z->times[z->ntimes - 1] && z->has_rule)
		return rule_type(z, t);
	size_t lo = 0, hi = z->ntimes; /* times[lo] <= t < times[hi] */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (z->times[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return &z->types[z->idx[lo]];
}

int tz_local(const struct tz_zone *z, int64_t t, struct tz_local *out)
{
	const struct tz_type *ty = type_at(z, t);
	time_t tt = (time_t)(t + ty->utoff);
	memset(out, 0, sizeof(*out));
	if (!gmtime_r(&tt, &out->tm))
		return -1;
	out->utoff = ty->utoff;
	fmt_into(out->abbr, sizeof(out->abbr), "%s", ty->abbr);
	return 0;
}
