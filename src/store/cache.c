/*
 * The read cache (see cache.h): one hash map per family under its own
 * mutex, the versions each map belongs to, and the track answers. Entries
 * are copied out under the lock (merchants are shared by reference count
 * instead, being large and read whole), so nothing a caller holds is freed
 * under it when a family is dropped.
 *
 * Not for deciding anything: what a request does with what it read is
 * the caller's business. Stock is held only for PostgreSQL quotes, briefly
 * (cache_stock); nothing that reserves reads it.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "store/cache.h"
#include "store/repo_catalog.h"
#include "store/repo_merchants.h"
#include "store/store.h"
#include "base/xalloc.h"
#include "core/merchant.h"
#include "base/banned.h"

#define CACHE_BUCKETS 4096

struct centry {
	struct centry *next;
	uint64_t hash;
	int found;	/* 0: remembered as missing, val is NULL */
	void *val;	/* owned, freed by the map's free_val */
	char key[];
};

struct cmap {
	pthread_mutex_t lock;
	int64_t version; /* of the data held; -1 until the first sync */
	size_t n;
	void (*free_val)(void *);
	struct centry *b[CACHE_BUCKETS];
};

/* A merchant shared by reference count. */
struct cmerchant {
	struct merchant m; /* first: cache_merchant_put() casts back */
	atomic_int refs;
};

struct ctrack {
	int64_t oid, version, merchants_version;
	int64_t checked_ms;   /* when its version was last confirmed */
	uint64_t checked_gen; /* store_local_writes() then */
	char *body;
	size_t len;
};

/* Available units as one read saw them (PostgreSQL quotes, cache_stock). */
struct cstock {
	int64_t avail;
	int64_t read_ms;   /* when the read started */
	uint64_t read_gen; /* store_local_writes() then */
};

static void merchant_unref(void *p);
static void coupon_free(void *p);
static void track_free(void *p);

static struct cmap maps[CACHE_NFAMILIES] = {
    [CACHE_MERCHANTS] = {PTHREAD_MUTEX_INITIALIZER, -1, 0, merchant_unref, {0}},
    [CACHE_CATALOG] = {PTHREAD_MUTEX_INITIALIZER, -1, 0, free, {0}},
    [CACHE_COUPONS] = {PTHREAD_MUTEX_INITIALIZER, -1, 0, coupon_free, {0}},
    [CACHE_PINCODES] = {PTHREAD_MUTEX_INITIALIZER, -1, 0, free, {0}},
};
/* version here is unused: each answer carries its order's version. */
static struct cmap tracks = {PTHREAD_MUTEX_INITIALIZER, 0, 0, track_free, {0}};
/* version here is unused: each entry carries when it was read. */
static struct cmap stocks = {PTHREAD_MUTEX_INITIALIZER, 0, 0, free, {0}};

/* The trust window (trusted_now()), shared by every thread. */
static pthread_mutex_t sync_lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t synced_ms = -1;
static uint64_t synced_gen;

/* SQLite: what this thread's connection saw at its last version read. */
static _Thread_local const struct store_conn *seen_conn;
static _Thread_local int64_t seen_data_version = -1;
static _Thread_local uint64_t seen_gen;
static _Thread_local unsigned seen_epoch;
static atomic_uint epoch; /* bumped by cache_clear(): every thread reads again */

static atomic_ullong n_hits, n_misses, n_syncs, n_drops;

static const char *const family_names[CACHE_NFAMILIES] = {"merchants", "catalog", "coupons",
							   "pincodes"};

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t hash_key(const char *a, const char *b)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (const char *p = a; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	h = (h ^ 0xffu) * 1099511628211ULL; /* separates ("ab","c") from ("a","bc") */
	for (const char *p = b ? b : ""; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	return h;
}

/* Keys are a and b joined by '\n' (neither may hold one). */
static int key_is(const struct centry *e, const char *a, const char *b)
{
	size_t la = strlen(a);
	return strncmp(e->key, a, la) == 0 && e->key[la] == '\n' &&
	       strcmp(e->key + la + 1, b ? b : "") == 0;
}

/* Holding m->lock. */
static struct centry *map_find(struct cmap *m, const char *a, const char *b)
{
	uint64_t h = hash_key(a, b);
	for (struct centry *e = m->b[h % CACHE_BUCKETS]; e; e = e->next)
		if (e->hash == h && key_is(e, a, b))
			return e;
	return NULL;
}

/* Holding m->lock. */
static void map_drop_all(struct cmap *m)
{
	for (size_t i = 0; i < CACHE_BUCKETS; i++) {
		struct centry *e = m->b[i];
		while (e) {
			struct centry *next = e->next;
			if (e->val)
				m->free_val(e->val);
			free(e);
			e = next;
		}
		m->b[i] = NULL;
	}
	if (m->n)
		atomic_fetch_add(&n_drops, 1);
	m->n = 0;
}

/*
 * Holding m->lock: adds (or replaces) the entry, taking val. A map that
 * would outgrow its cap starts over rather than tracking recency: the cap
 * is far above a pharmacy's catalog and only guards memory.
 */
static void map_put(struct cmap *m, size_t cap, const char *a, const char *b, int found, void *val)
{
	struct centry *old = map_find(m, a, b);
	if (old) {
		if (old->val)
			m->free_val(old->val);
		old->found = found;
		old->val = val;
		return;
	}
	if (m->n >= cap)
		map_drop_all(m);
	size_t la = strlen(a), lb = b ? strlen(b) : 0;
	struct centry *e = xmalloc(sizeof(*e) + la + lb + 2);
	memcpy(e->key, a, la);
	e->key[la] = '\n';
	memcpy(e->key + la + 1, b ? b : "", lb);
	e->key[la + lb + 1] = '\0';
	e->hash = hash_key(a, b);
	e->found = found;
	e->val = val;
	e->next = m->b[e->hash % CACHE_BUCKETS];
	m->b[e->hash % CACHE_BUCKETS] = e;
	m->n++;
}

/* --- versions ----------------------------------------------------------- */

static struct store_sql q_versions = {.sql = "SELECT family, version FROM cache_versions"};
static struct store_sql q_data_version = {.sql = "PRAGMA data_version"};

/* Reads every family's version into v. */
static enum apo_result read_versions(struct store_conn *c, int64_t *v)
{
	struct store_rows *rows;
	enum apo_result rc = store_exec(c, &q_versions, NULL, 0, &rows);
	if (rc != APO_OK)
		return rc;
	for (int f = 0; f < CACHE_NFAMILIES; f++)
		v[f] = -1;
	while (store_next(rows)) {
		const char *name = store_text(rows, 0);
		for (int f = 0; name && f < CACHE_NFAMILIES; f++)
			if (strcmp(name, family_names[f]) == 0)
				v[f] = store_int(rows, 1);
	}
	store_rows_free(rows);
	return APO_OK;
}

/* Moves each family to the version read, dropping what it held, and fills t. */
static void apply_versions(const int64_t *v, struct cache_ticket *t)
{
	for (int f = 0; f < CACHE_NFAMILIES; f++) {
		struct cmap *m = &maps[f];
		pthread_mutex_lock(&m->lock);
		/* Versions only grow; an older read (a slower thread) changes nothing. */
		if (v[f] > m->version || v[f] < 0) {
			map_drop_all(m);
			m->version = v[f];
		}
		pthread_mutex_unlock(&m->lock);
		t->v[f] = v[f];
	}
}

/* Reads every family's version and moves the families to them (a sync). */
static enum apo_result sync_versions(struct store_conn *c, struct cache_ticket *t)
{
	int64_t v[CACHE_NFAMILIES];
	enum apo_result rc = read_versions(c, v);
	if (rc != APO_OK)
		return rc;
	atomic_fetch_add(&n_syncs, 1);
	apply_versions(v, t);
	return APO_OK;
}

static void current_versions(struct cache_ticket *t)
{
	for (int f = 0; f < CACHE_NFAMILIES; f++) {
		pthread_mutex_lock(&maps[f].lock);
		t->v[f] = maps[f].version;
		pthread_mutex_unlock(&maps[f].lock);
	}
}

/*
 * SQLite: asks the connection whether any connection or process committed
 * since it last looked (PRAGMA data_version, no I/O) and reads the versions
 * only then, or after this process's own writes (gen moved).
 */
static enum apo_result sync_sqlite(struct store_conn *c, uint64_t gen, struct cache_ticket *t)
{
	int64_t dv;
	enum apo_result rc = store_query_int(c, &q_data_version, NULL, 0, &dv);
	if (rc != APO_OK)
		return rc;
	unsigned ep = atomic_load(&epoch);
	if (c == seen_conn && dv == seen_data_version && gen == seen_gen && ep == seen_epoch) {
		current_versions(t);
		return APO_OK;
	}
	if ((rc = sync_versions(c, t)) != APO_OK)
		return rc;
	seen_conn = c;
	seen_data_version = dv;
	seen_gen = gen;
	seen_epoch = ep;
	return APO_OK;
}

/*
 * Fills the ticket's own fields and answers whether the versions this
 * process holds may be trusted without asking the database: a sync less
 * than check_ms ago saw the same count of commits (store_writes_seen()),
 * so nothing was committed since by this process nor, where the count
 * covers them, by another apotheca process. Then t holds those versions.
 */
static int trusted_now(struct store *s, struct store_conn *c, int64_t check_ms,
		       struct cache_ticket *t)
{
	int others;
	t->sqlite = strcmp(store_backend_name(s), "sqlite") == 0;
	t->conn = c;
	t->snapshot = NULL;
	t->gen = store_writes_seen(c, &others);
	t->now_ms = mono_ms();
	/* SQLite without the shared count learns of other processes' commits
	 * only by asking, which costs no round trip: it asks every time. */
	t->check_ms = t->sqlite && !others ? 0 : check_ms;
	if (t->check_ms <= 0)
		return 0;
	pthread_mutex_lock(&sync_lock);
	int trusted =
	    synced_ms >= 0 && t->now_ms - synced_ms < t->check_ms && t->gen == synced_gen;
	pthread_mutex_unlock(&sync_lock);
	if (trusted)
		current_versions(t);
	return trusted;
}

/* Asks the database (the ticket's fields set by trusted_now()) and starts a window. */
static enum apo_result sync_asking(struct store_conn *c, struct cache_ticket *t)
{
	enum apo_result rc = t->sqlite ? sync_sqlite(c, t->gen, t) : sync_versions(c, t);
	if (rc != APO_OK || t->check_ms <= 0)
		return rc;
	pthread_mutex_lock(&sync_lock);
	/* The window starts when the read started: the ticket's time, taken before it. */
	if (t->now_ms >= synced_ms) {
		synced_ms = t->now_ms;
		synced_gen = t->gen;
	}
	pthread_mutex_unlock(&sync_lock);
	return APO_OK;
}

enum apo_result cache_sync(struct store *s, struct store_conn *c, int64_t check_ms,
			   struct cache_ticket *t)
{
	return trusted_now(s, c, check_ms, t) ? APO_OK : sync_asking(c, t);
}

enum apo_result cache_sync_snapshot(struct store *s, struct store_conn *c, int64_t check_ms,
				    struct cache_ticket *t)
{
	enum apo_result rc;
	if (trusted_now(s, c, check_ms, t))
		return APO_OK;
	if (!t->sqlite)
		return sync_asking(c, t);
	if ((rc = store_begin(c, STORE_TX_READ)) != APO_OK)
		return rc;
	if ((rc = sync_asking(c, t)) != APO_OK) {
		store_rollback(c);
		return rc;
	}
	t->snapshot = c;
	return APO_OK;
}

void cache_snapshot_end(struct cache_ticket *t)
{
	if (t->snapshot) {
		/* Nothing was written: a failed end only means the locks go now. */
		if (store_commit(t->snapshot) != APO_OK)
			store_rollback(t->snapshot);
		t->snapshot = NULL;
	}
}

/*
 * Holding m->lock: whether a load tagged with the ticket may be kept.
 * Only when the family still holds the version the ticket read before the
 * load; anything else may predate a change.
 */
static int may_keep(const struct cmap *m, const struct cache_ticket *t, enum cache_family f)
{
	return t->v[f] >= 0 && m->version == t->v[f];
}

/* --- merchants ---------------------------------------------------------- */

static void merchant_unref(void *p)
{
	struct cmerchant *cm = p;
	if (atomic_fetch_sub(&cm->refs, 1) == 1) {
		merchant_release(&cm->m);
		free(cm);
	}
}

void cache_merchant_put(const struct merchant *m)
{
	if (m)
		merchant_unref((void *)(uintptr_t)m);
}

enum apo_result cache_merchant(struct store_conn *c, const struct cache_ticket *t, int by_name,
			       const char *key, const struct merchant **out)
{
	struct cmap *m = &maps[CACHE_MERCHANTS];
	const char *kind = by_name ? "name" : "id";
	struct centry *e;
	enum apo_result rc;

	*out = NULL;
	if (!key || strchr(key, '\n'))
		return APO_ERR_NOT_FOUND;
	pthread_mutex_lock(&m->lock);
	if ((e = map_find(m, kind, key))) {
		rc = e->found ? APO_OK : APO_ERR_NOT_FOUND;
		if (e->found) {
			struct cmerchant *cm = e->val;
			atomic_fetch_add(&cm->refs, 1);
			*out = &cm->m;
		}
		pthread_mutex_unlock(&m->lock);
		atomic_fetch_add(&n_hits, 1);
		return rc;
	}
	pthread_mutex_unlock(&m->lock);
	atomic_fetch_add(&n_misses, 1);

	struct cmerchant *cm = xmalloc(sizeof(*cm));
	merchant_init(&cm->m);
	atomic_init(&cm->refs, 1); /* the caller's */
	rc = by_name ? merchant_load_by_name(c, key, &cm->m) : merchant_load(c, key, &cm->m);
	if (rc != APO_OK && rc != APO_ERR_NOT_FOUND) {
		merchant_unref(cm);
		return rc;
	}
	pthread_mutex_lock(&m->lock);
	if (may_keep(m, t, CACHE_MERCHANTS)) {
		if (rc == APO_OK)
			atomic_fetch_add(&cm->refs, 1); /* the map's */
		map_put(m, CACHE_MAX_ENTRIES, kind, key, rc == APO_OK, rc == APO_OK ? cm : NULL);
	}
	pthread_mutex_unlock(&m->lock);
	if (rc != APO_OK) {
		merchant_unref(cm);
		return rc;
	}
	*out = &cm->m;
	return APO_OK;
}

/* --- catalog ------------------------------------------------------------ */

/*
 * A platform SKU as held: what a quote needs (sku), and what an order line
 * copies of it (row id and descriptive text, all in one allocation).
 */
struct csku {
	struct cache_sku sku;
	int64_t pid;
	char *name, *pack_size_label, *sku_type; /* into text */
	char text[];
};

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

/* Copies s (with its NUL) to *at and moves *at past it; the copy. */
static char *text_put(char **at, const char *s)
{
	size_t n = strlen(s) + 1;
	char *to = *at;
	memcpy(to, s, n);
	*at += n;
	return to;
}

static struct csku *csku_new(const struct product *p)
{
	const char *name = or_empty(p->name), *pack = or_empty(p->pack_size_label),
		   *type = or_empty(p->sku_type);
	struct csku *v = xmalloc(sizeof(*v) + strlen(name) + strlen(pack) + strlen(type) + 3);
	char *at = v->text;
	v->sku.found = 1;
	v->sku.active = p->active;
	v->sku.rx_required = p->rx_required;
	v->sku.mrp = p->mrp;
	v->sku.price = p->price;
	v->pid = p->pid;
	v->name = text_put(&at, name);
	v->pack_size_label = text_put(&at, pack);
	v->sku_type = text_put(&at, type);
	return v;
}

/* What an order line copies of a held SKU into p (strings now p's). */
static void csku_copy(const struct csku *v, struct product *p)
{
	p->pid = v->pid;
	p->name = xstrdup(v->name);
	p->pack_size_label = xstrdup(v->pack_size_label);
	p->sku_type = xstrdup(v->sku_type);
	p->mrp = v->sku.mrp;
	p->price = v->sku.price;
	p->active = v->sku.active;
	p->rx_required = v->sku.rx_required;
}

/*
 * cache_skus(), and with products not NULL also cache_products()'s fill of
 * products[i] for the SKUs found (left as product_init() made them for
 * the rest).
 */
static enum apo_result lookup_skus(struct store_conn *c, const struct cache_ticket *t,
				   const char *const *sku_ids, size_t n, struct cache_sku *out,
				   struct product *products)
{
	struct cmap *m = &maps[CACHE_CATALOG];
	size_t nmiss = 0;

	pthread_mutex_lock(&m->lock);
	for (size_t i = 0; i < n; i++) {
		struct centry *e = map_find(m, "", sku_ids[i]);
		memset(&out[i], 0, sizeof(out[i]));
		if (e && e->found) {
			const struct csku *v = e->val;
			out[i] = v->sku;
			if (products)
				csku_copy(v, &products[i]);
		} else if (!e) {
			out[i].found = -1; /* loaded below */
			nmiss++;
		}
	}
	pthread_mutex_unlock(&m->lock);
	atomic_fetch_add(&n_hits, n - nmiss);
	if (!nmiss)
		return APO_OK;
	atomic_fetch_add(&n_misses, nmiss);

	for (size_t i = 0; i < n; i++) {
		if (out[i].found >= 0)
			continue;
		struct product p;
		product_init(&p);
		enum apo_result rc = product_load(c, "", sku_ids[i], &p);
		if (rc != APO_OK && rc != APO_ERR_NOT_FOUND) {
			product_release(&p);
			return rc;
		}
		struct csku *v = rc == APO_OK ? csku_new(&p) : NULL;
		product_release(&p);
		memset(&out[i], 0, sizeof(out[i]));
		if (v) {
			out[i] = v->sku;
			if (products)
				csku_copy(v, &products[i]);
		}
		pthread_mutex_lock(&m->lock);
		if (may_keep(m, t, CACHE_CATALOG)) {
			map_put(m, CACHE_MAX_ENTRIES, "", sku_ids[i], v != NULL, v);
			v = NULL;
		}
		pthread_mutex_unlock(&m->lock);
		free(v);
	}
	return APO_OK;
}

enum apo_result cache_skus(struct store_conn *c, const struct cache_ticket *t,
			   const char *const *sku_ids, size_t n, struct cache_sku *out)
{
	return lookup_skus(c, t, sku_ids, n, out, NULL);
}

enum apo_result cache_products(struct store_conn *c, const struct cache_ticket *t,
			       const char *const *sku_ids, size_t n, struct cache_sku *out,
			       struct product *products)
{
	return lookup_skus(c, t, sku_ids, n, out, products);
}

/* --- coupons and pincodes ----------------------------------------------- */

static void coupon_free(void *p)
{
	coupon_release(p);
	free(p);
}

static void coupon_copy(struct coupon *dst, const struct coupon *src)
{
	*dst = *src;
	dst->code = src->code ? xstrdup(src->code) : NULL;
	dst->merchant_id = src->merchant_id ? xstrdup(src->merchant_id) : NULL;
}

static struct store_sql q_coupon_used = {.sql = "SELECT used_count FROM coupons WHERE code = ?"};

/* A limited coupon's count of uses, fresh: the limit is judged on it. */
static enum apo_result fresh_used_count(struct store_conn *c, struct coupon *cp)
{
	if (cp->usage_limit == CATALOG_NONE)
		return APO_OK;
	struct store_val arg = SV_TEXT(cp->code);
	enum apo_result rc = store_query_int(c, &q_coupon_used, &arg, 1, &cp->used_count);
	if (rc != APO_OK)
		coupon_release(cp);
	return rc;
}

/* What differs between the families looked up by one key (cached_one). */
struct one_key {
	enum cache_family family;
	size_t size; /* of a kept value */
	void (*copy)(void *dst, const void *src);
	enum apo_result (*load)(struct store_conn *c, const char *key, void *out);
};

/*
 * A lookup by one key: a kept answer (found or not) is copied into out
 * (*hit 1); else the value is loaded and, when the ticket allows, kept
 * (*hit 0). Errors other than APO_ERR_NOT_FOUND are not kept.
 */
static enum apo_result cached_one(struct store_conn *c, const struct cache_ticket *t,
				  const struct one_key *f, const char *key, void *out, int *hit)
{
	struct cmap *m = &maps[f->family];
	struct centry *e;
	enum apo_result rc;

	*hit = 0;
	if (strchr(key, '\n'))
		return APO_ERR_NOT_FOUND;
	pthread_mutex_lock(&m->lock);
	if ((e = map_find(m, "", key))) {
		rc = e->found ? APO_OK : APO_ERR_NOT_FOUND;
		if (e->found)
			f->copy(out, e->val);
		pthread_mutex_unlock(&m->lock);
		atomic_fetch_add(&n_hits, 1);
		*hit = 1;
		return rc;
	}
	pthread_mutex_unlock(&m->lock);
	atomic_fetch_add(&n_misses, 1);

	rc = f->load(c, key, out);
	if (rc != APO_OK && rc != APO_ERR_NOT_FOUND)
		return rc;
	pthread_mutex_lock(&m->lock);
	if (may_keep(m, t, f->family)) {
		void *v = NULL;
		if (rc == APO_OK) {
			v = xmalloc(f->size);
			f->copy(v, out);
		}
		map_put(m, CACHE_MAX_ENTRIES, "", key, rc == APO_OK, v);
	}
	pthread_mutex_unlock(&m->lock);
	return rc;
}

/* --- stock (PostgreSQL quotes) ---------------------------------------- */

/* Holding stocks.lock: whether every SKU has units read within the bound. */
static int stock_kept(const char *const *sku_ids, size_t n, int64_t now, int64_t bound_ms,
		      uint64_t gen, int64_t *avail)
{
	for (size_t i = 0; i < n; i++) {
		struct centry *e = map_find(&stocks, "", sku_ids[i]);
		const struct cstock *cs = e ? e->val : NULL;
		if (!cs || cs->read_gen != gen || now - cs->read_ms >= bound_ms)
			return 0;
		avail[i] = cs->avail;
	}
	return 1;
}

enum apo_result cache_stock(struct store_conn *c, const struct cache_ticket *t,
			    const char *const *sku_ids, size_t n, int64_t *avail)
{
	if (t->check_ms <= 0)
		return stock_available_many(c, sku_ids, n, avail);
	/* Taken before the read: what it saw is at least this fresh. */
	uint64_t gen = store_writes_seen(c, NULL);
	int64_t now = mono_ms();
	pthread_mutex_lock(&stocks.lock);
	int kept = stock_kept(sku_ids, n, now, t->check_ms, gen, avail);
	pthread_mutex_unlock(&stocks.lock);
	if (kept) {
		atomic_fetch_add(&n_hits, 1);
		return APO_OK;
	}
	atomic_fetch_add(&n_misses, 1);
	enum apo_result rc = stock_available_many(c, sku_ids, n, avail);
	if (rc != APO_OK)
		return rc;
	pthread_mutex_lock(&stocks.lock);
	for (size_t i = 0; i < n; i++) {
		struct cstock *cs = xmalloc(sizeof(*cs));
		*cs = (struct cstock){avail[i], now, gen};
		map_put(&stocks, CACHE_MAX_ENTRIES, "", sku_ids[i], 1, cs);
	}
	pthread_mutex_unlock(&stocks.lock);
	return APO_OK;
}

static void coupon_copy_any(void *dst, const void *src)
{
	coupon_copy(dst, src);
}

static enum apo_result coupon_load_any(struct store_conn *c, const char *code, void *out)
{
	return coupon_load(c, code, out);
}

static const struct one_key coupons_key = {CACHE_COUPONS, sizeof(struct coupon), coupon_copy_any,
					   coupon_load_any};

enum apo_result cache_coupon(struct store_conn *c, const struct cache_ticket *t, const char *code,
			     struct coupon *out)
{
	int hit;
	enum apo_result rc = cached_one(c, t, &coupons_key, code, out, &hit);
	/* What was just loaded is fresh; a kept coupon's use count is read again. */
	return rc == APO_OK && hit ? fresh_used_count(c, out) : rc;
}

static void pincode_copy(void *dst, const void *src)
{
	*(struct pincode_entry *)dst = *(const struct pincode_entry *)src;
}

static enum apo_result pincode_load_any(struct store_conn *c, const char *pincode, void *out)
{
	return pincode_load(c, pincode, out);
}

static const struct one_key pincodes_key = {CACHE_PINCODES, sizeof(struct pincode_entry),
					    pincode_copy, pincode_load_any};

enum apo_result cache_pincode(struct store_conn *c, const struct cache_ticket *t,
			      const char *pincode, struct pincode_entry *out)
{
	int hit;
	return cached_one(c, t, &pincodes_key, pincode, out, &hit);
}

/* --- track answers ------------------------------------------------------ */

static void track_free(void *p)
{
	struct ctrack *tr = p;
	free(tr->body);
	free(tr);
}

/* The pharmacy dialect's references: the same rows, and the partial unique index, as order_load. */
static struct store_sql q_order_version = {
    .sql = "SELECT oid, version FROM orders WHERE merchant_id = ? AND merchant_order_id = ? "
	   "AND dialect = 'pharmacy'"};

enum apo_result cache_order_version(struct store_conn *c, const char *merchant_id,
				    const char *ref, int64_t *oid, int64_t *version)
{
	struct store_val args[] = {SV_TEXT(merchant_id), SV_TEXT(ref)};
	int64_t *const out[] = {oid, version};
	return store_query_ints(c, &q_order_version, args, 2, out, 2);
}

char *cache_track_get(const struct cache_ticket *t, const char *merchant_id, const char *ref,
		      int64_t oid, int64_t version, size_t *len)
{
	struct centry *e;
	char *body = NULL;

	if (strchr(merchant_id, '\n') || strchr(ref, '\n'))
		return NULL;
	pthread_mutex_lock(&tracks.lock);
	if ((e = map_find(&tracks, merchant_id, ref))) {
		struct ctrack *tr = e->val;
		int64_t now = mono_ms();
		int same_merchant = tr->merchants_version == t->v[CACHE_MERCHANTS];
		int trusted = version < 0 && now - tr->checked_ms < t->check_ms &&
			      tr->checked_gen == store_writes_seen(t->conn, NULL);
		int confirmed = version >= 0 && tr->oid == oid && tr->version == version;
		if (same_merchant && (trusted || confirmed)) {
			/* The version was read after the ticket's sync: what that
			 * sync saw is what it vouches for. */
			if (confirmed && t->now_ms >= tr->checked_ms) {
				tr->checked_ms = t->now_ms;
				tr->checked_gen = t->gen;
			}
			body = xmalloc(tr->len + 1);
			memcpy(body, tr->body, tr->len + 1);
			*len = tr->len;
		}
	}
	pthread_mutex_unlock(&tracks.lock);
	atomic_fetch_add(body ? &n_hits : &n_misses, 1);
	return body;
}

void cache_track_put(const struct cache_ticket *t, const char *merchant_id, const char *ref,
		     int64_t oid, int64_t version, const char *body, size_t len)
{
	if (strchr(merchant_id, '\n') || strchr(ref, '\n'))
		return;
	struct ctrack *tr = xmalloc(sizeof(*tr));
	tr->oid = oid;
	tr->version = version;
	tr->merchants_version = t->v[CACHE_MERCHANTS];
	/* Checked when the version was read, after the ticket's sync. */
	tr->checked_ms = t->now_ms;
	tr->checked_gen = t->gen;
	tr->body = xmalloc(len + 1);
	memcpy(tr->body, body, len);
	tr->body[len] = '\0';
	tr->len = len;

	pthread_mutex_lock(&maps[CACHE_MERCHANTS].lock);
	int keep = may_keep(&maps[CACHE_MERCHANTS], t, CACHE_MERCHANTS);
	pthread_mutex_unlock(&maps[CACHE_MERCHANTS].lock);
	if (!keep) {
		track_free(tr);
		return;
	}
	pthread_mutex_lock(&tracks.lock);
	struct centry *e = map_find(&tracks, merchant_id, ref);
	struct ctrack *old = e ? e->val : NULL;
	/* Never replace a newer answer with an older one. */
	if (old && old->oid == oid && old->version > version)
		track_free(tr);
	else
		map_put(&tracks, CACHE_MAX_TRACK, merchant_id, ref, 1, tr);
	pthread_mutex_unlock(&tracks.lock);
}

/* --- the rest ----------------------------------------------------------- */

void cache_clear(void)
{
	for (int f = 0; f < CACHE_NFAMILIES; f++) {
		pthread_mutex_lock(&maps[f].lock);
		map_drop_all(&maps[f]);
		maps[f].version = -1;
		pthread_mutex_unlock(&maps[f].lock);
	}
	pthread_mutex_lock(&tracks.lock);
	map_drop_all(&tracks);
	pthread_mutex_unlock(&tracks.lock);
	pthread_mutex_lock(&stocks.lock);
	map_drop_all(&stocks);
	pthread_mutex_unlock(&stocks.lock);
	pthread_mutex_lock(&sync_lock);
	synced_ms = -1;
	pthread_mutex_unlock(&sync_lock);
	atomic_fetch_add(&epoch, 1);
}

void cache_stats(struct cache_stats *out)
{
	out->hits = atomic_load(&n_hits);
	out->misses = atomic_load(&n_misses);
	out->syncs = atomic_load(&n_syncs);
	out->drops = atomic_load(&n_drops);
}
