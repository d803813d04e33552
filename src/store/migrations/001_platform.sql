-- The platform: merchants, catalog with stock and its ledger, coupons,
-- pincodes, idempotency keys. Portable SQL for SQLite and PostgreSQL:
-- {{ID}} becomes each backend's auto-increment primary key; money is BIGINT
-- paise; times are BIGINT epoch seconds; booleans are INTEGER 0/1.

CREATE TABLE merchants (
	id TEXT PRIMARY KEY,
	name TEXT NOT NULL UNIQUE,
	display_name TEXT,
	jwt_public_key TEXT,
	logistics_secret_hash TEXT,
	payment_base_url TEXT,
	payment_auth_header TEXT,
	payment_auth_value TEXT,
	payment_aggregator TEXT,
	webhook_url TEXT,
	webhook_auth_header TEXT,
	webhook_auth_value TEXT,
	webhook_signing_secret TEXT,
	payment_window_s BIGINT NOT NULL DEFAULT 1800,
	active INTEGER NOT NULL DEFAULT 1,
	created BIGINT NOT NULL,
	updated BIGINT NOT NULL
);

CREATE TABLE merchant_charges (
	merchant_id TEXT NOT NULL REFERENCES merchants(id),
	pos INTEGER NOT NULL,
	type TEXT NOT NULL,
	display_text TEXT NOT NULL,
	amount BIGINT NOT NULL CHECK (amount >= 0),
	below BIGINT,
	PRIMARY KEY (merchant_id, pos)
);

-- One table for both catalogs: merchant_id '' is the platform catalog the
-- pharmacy dialect sells from; a merchant id is that merchant's own
-- logistics catalog. Stock lives on the row so one conditional UPDATE both
-- checks and reserves it; the CHECK is the last line against overselling.
CREATE TABLE products (
	pid {{ID}},
	merchant_id TEXT NOT NULL DEFAULT '',
	sku_id TEXT NOT NULL,
	hex_id TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL DEFAULT '',
	mrp BIGINT NOT NULL DEFAULT 0,
	price BIGINT NOT NULL DEFAULT 0,
	pack_size_label TEXT NOT NULL DEFAULT '',
	sku_type TEXT NOT NULL DEFAULT '',
	rx_required INTEGER NOT NULL DEFAULT 0,
	active INTEGER NOT NULL DEFAULT 1,
	gtin TEXT,
	weight BIGINT,
	dimensions TEXT,
	on_hand BIGINT NOT NULL DEFAULT 0,
	reserved BIGINT NOT NULL DEFAULT 0,
	inbound BIGINT NOT NULL DEFAULT 0,
	on_hold BIGINT NOT NULL DEFAULT 0,
	last_movement BIGINT,
	created BIGINT NOT NULL,
	updated BIGINT NOT NULL,
	UNIQUE (merchant_id, sku_id),
	CHECK (reserved >= 0 AND on_hand >= reserved)
);

-- Every stock movement, for audit: on_hand and reserved deltas.
CREATE TABLE stock_ledger (
	id {{ID}},
	pid BIGINT NOT NULL REFERENCES products(pid),
	delta_on_hand BIGINT NOT NULL,
	delta_reserved BIGINT NOT NULL,
	reason TEXT NOT NULL,
	order_id TEXT,
	at BIGINT NOT NULL
);
CREATE INDEX stock_ledger_pid ON stock_ledger (pid, id);

CREATE TABLE coupons (
	code TEXT PRIMARY KEY,
	kind TEXT NOT NULL CHECK (kind IN ('percent', 'flat')),
	-- percent: hundredths of a percent (6600 = 66%); flat: paise
	value BIGINT NOT NULL CHECK (value >= 0),
	max_discount BIGINT,
	min_cart_value BIGINT,
	valid_from BIGINT,
	valid_to BIGINT,
	usage_limit BIGINT,
	used_count BIGINT NOT NULL DEFAULT 0,
	merchant_id TEXT,
	created BIGINT NOT NULL,
	updated BIGINT NOT NULL
);

CREATE TABLE pincodes (
	pincode TEXT PRIMARY KEY,
	serviceable INTEGER NOT NULL,
	eta_min_days BIGINT,
	eta_max_days BIGINT,
	updated BIGINT NOT NULL
);

-- Idempotency-Key replays (SPEC §1). state: 'running' or 'done'.
CREATE TABLE idempotency_keys (
	merchant_id TEXT NOT NULL,
	method TEXT NOT NULL,
	route TEXT NOT NULL,
	idem_key TEXT NOT NULL,
	request_hash TEXT NOT NULL,
	state TEXT NOT NULL,
	status INTEGER,
	body TEXT,
	created BIGINT NOT NULL,
	PRIMARY KEY (merchant_id, method, route, idem_key)
);
