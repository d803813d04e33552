/*
 * Time zones for times apotheca shows to people (the public tracking page):
 * the UTC offset and abbreviation in force at an instant, in a zone named
 * by its IANA name and resolved once at start-up.
 *
 * Why not localtime_r(): it reads the process-wide TZ, so one zone would
 * leak into every other use of local time and changing it while threads
 * run is undefined. Here a zone is plain data read from the system's TZif
 * files (RFC 8536, under $TZDIR or /usr/share/zoneinfo), its transitions
 * and the POSIX rule in its footer for instants past them; local time is
 * gmtime_r() of the instant plus the offset. Asia/Kolkata (apotheca's
 * default; India has kept UTC+05:30 without daylight saving since 1945),
 * its old name Asia/Calcutta, and UTC are built in and need no files.
 *
 * A loaded zone is read-only, so any number of threads may use it.
 */
#ifndef APO_TZ_H
#define APO_TZ_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Longest zone name accepted ("America/Argentina/ComodRivadavia" fits). */
#define TZ_MAX_NAME 64
/* Longest abbreviation kept ("IST", "BST", "+0545"). */
#define TZ_MAX_ABBR 16
/* Largest TZif file read; real ones are under 4 KiB. */
#define TZ_MAX_FILE (256 * 1024)
/* The zone used when none is configured. */
#define TZ_DEFAULT "Asia/Kolkata"

struct tz_zone;

/* Local time at an instant in a zone. */
struct tz_local {
	struct tm tm;		/* the local wall-clock time (tm_gmtoff unused) */
	int32_t utoff;		/* seconds east of UTC: 19800 for IST */
	char abbr[TZ_MAX_ABBR]; /* "IST", "BST"; "UTC+04:00" where the zone has none */
};

/*
 * Resolves name (an IANA name such as "Asia/Kolkata" or "Europe/London")
 * to a zone. NULL with a reason in err when the name is malformed or no
 * such zone is installed. The caller frees it with tz_free().
 */
struct tz_zone *tz_load(const char *name, char *err, size_t cap);

/* The built-in Asia/Kolkata zone: static, never freed. */
const struct tz_zone *tz_default(void);

/* Frees z; NULL is fine (the default zone is never freed). */
void tz_free(struct tz_zone *z);

/* The IANA name z was loaded by. */
const char *tz_name(const struct tz_zone *z);

/*
 * What to call the zone on a page: "India Standard Time" for Asia/Kolkata
 * (and its old name), "Coordinated Universal Time" for UTC, else the IANA
 * name.
 */
const char *tz_display(const struct tz_zone *z);

/* Fills *out with the local time of t (epoch seconds) in z; -1 when t is out of range. */
int tz_local(const struct tz_zone *z, int64_t t, struct tz_local *out);

/* Writes an offset as "+05:30" (out holds at least 8 bytes). */
void tz_offset_text(int32_t utoff, char *out, size_t cap);

#endif
