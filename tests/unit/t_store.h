/*
 * Scratch databases for the unit tests that need storage: t_store_open()
 * makes a migrated SQLite database in a new file under /tmp and
 * t_store_close() closes it and removes the file with its -wal, -shm and
 * -commits companions; t_merchant() and t_product() add the rows most tests start
 * from. Include after t.h.
 */
#ifndef APO_T_STORE_H
#define APO_T_STORE_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/catalog.h"
#include "core/merchant.h"
#include "store/repo_catalog.h"
#include "store/repo_merchants.h"
#include "store/store.h"
#include "base/xalloc.h"

#define T_STORE_PATH_CAP 64

/*
 * A new migrated database whose file name is written to path; NULL (a
 * failed check) when it cannot be made. The caller closes it with
 * t_store_close().
 */
static inline struct store *t_store_open(const char *tag, char path[T_STORE_PATH_CAP])
{
	snprintf(path, T_STORE_PATH_CAP, "/tmp/apotheca-test-%s-XXXXXX", tag);
	int fd = mkstemp(path);
	if (fd < 0) {
		perror("mkstemp");
		t_fail++;
		return NULL;
	}
	close(fd);
	struct store *s = store_open(path);
	CHECK(s != NULL);
	if (s)
		CHECK_INT(store_migrate(s), APO_OK);
	return s;
}

/* Closes s (may be NULL) and removes its files. */
static inline void t_store_close(struct store *s, const char *path)
{
	char side[T_STORE_PATH_CAP + 16];
	if (s)
		store_close(s);
	unlink(path);
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-commits", path);
	unlink(side);
}

/* Registers merchant id (its name the same) with nothing else set. */
static inline void t_merchant(struct store_conn *c, const char *id)
{
	struct merchant m;
	merchant_init(&m);
	m.id = xstrdup(id);
	m.name = xstrdup(id);
	CHECK_INT(merchant_save(c, &m, 0), APO_OK);
	merchant_release(&m);
}

/*
 * An active platform-catalog product with on_hand units and the given
 * descriptive fields (pack and type may be NULL); returns its pid.
 */
static inline int64_t t_product_full(struct store_conn *c, const char *sku, const char *name,
				     const char *pack, const char *type, int64_t mrp,
				     int64_t price, int rx, int64_t on_hand)
{
	struct product p;
	int created;
	product_init(&p);
	p.merchant_id = xstrdup("");
	p.sku_id = xstrdup(sku);
	p.name = xstrdup(name);
	p.pack_size_label = pack ? xstrdup(pack) : NULL;
	p.sku_type = type ? xstrdup(type) : NULL;
	p.mrp = mrp;
	p.price = price;
	p.rx_required = rx;
	p.active = 1;
	p.on_hand = on_hand;
	CHECK_INT(product_upsert(c, &p, 1, &created), APO_OK);
	product_release(&p);
	product_init(&p);
	CHECK_INT(product_load(c, "", sku, &p), APO_OK);
	int64_t pid = p.pid;
	product_release(&p);
	return pid;
}

/* An active platform-catalog product named after its SKU, mrp = price; returns its pid. */
static inline int64_t t_product(struct store_conn *c, const char *sku, int64_t price, int rx,
				int64_t on_hand)
{
	return t_product_full(c, sku, sku, NULL, NULL, price, price, rx, on_hand);
}

#endif
