-- The order book shared by both dialects, its lines, history, payments,
-- refunds, prescriptions, and the durable outbox of outbound calls.

CREATE TABLE orders (
	oid {{ID}},
	order_id TEXT NOT NULL UNIQUE,          -- PO + 14 digits
	hex_id TEXT NOT NULL UNIQUE,            -- 24 lowercase hex
	merchant_id TEXT NOT NULL REFERENCES merchants(id),
	merchant_order_id TEXT NOT NULL,
	dialect TEXT NOT NULL CHECK (dialect IN ('pharmacy', 'logistics')),
	request_hash TEXT,                      -- of the create body, for retries
	response TEXT,                          -- the create answer's data, for retries
	payment_method TEXT,                    -- COD | ONLINE (pharmacy)
	payment_id BIGINT,
	status_id INTEGER NOT NULL,
	subtitle TEXT,
	ever_confirmed INTEGER NOT NULL DEFAULT 0,
	coupon_code TEXT,
	mrp_total BIGINT NOT NULL DEFAULT 0,
	offered_total BIGINT NOT NULL DEFAULT 0,
	discount_total BIGINT NOT NULL DEFAULT 0,
	vas_total BIGINT NOT NULL DEFAULT 0,
	shipping BIGINT NOT NULL DEFAULT 0,
	payable BIGINT NOT NULL DEFAULT 0,
	flagged TEXT,
	user_json TEXT,
	address_json TEXT,
	extra_json TEXT,                        -- logistics order fields
	pincode TEXT,
	eta_from BIGINT,
	eta_to BIGINT,
	tracking_code TEXT UNIQUE,
	delivery_partner TEXT,
	carrier_tracking_code TEXT,
	pay_deadline BIGINT,
	created BIGINT NOT NULL,
	updated BIGINT NOT NULL,
	status_changed BIGINT NOT NULL
);
CREATE UNIQUE INDEX orders_merchant_ref ON orders (merchant_id, merchant_order_id)
	WHERE dialect = 'pharmacy';
CREATE INDEX orders_merchant_status ON orders (merchant_id, status_id, oid);
CREATE INDEX orders_status ON orders (status_id, oid);
CREATE INDEX orders_deadline ON orders (pay_deadline) WHERE status_id = 180;

CREATE TABLE order_lines (
	oid BIGINT NOT NULL REFERENCES orders(oid),
	pos INTEGER NOT NULL,
	pid BIGINT REFERENCES products(pid),
	sku_id TEXT NOT NULL,
	name TEXT NOT NULL DEFAULT '',
	qty BIGINT NOT NULL,
	cancelled_qty BIGINT NOT NULL DEFAULT 0,
	reserved_qty BIGINT NOT NULL DEFAULT 0,
	mrp BIGINT NOT NULL DEFAULT 0,
	offered BIGINT NOT NULL DEFAULT 0,
	discounted BIGINT NOT NULL DEFAULT 0,
	rx_required INTEGER NOT NULL DEFAULT 0,
	pack_size_label TEXT NOT NULL DEFAULT '',
	sku_type TEXT NOT NULL DEFAULT '',
	extra_json TEXT,
	PRIMARY KEY (oid, pos)
);

CREATE TABLE order_charges (
	oid BIGINT NOT NULL REFERENCES orders(oid),
	pos INTEGER NOT NULL,
	type TEXT NOT NULL,
	display_text TEXT NOT NULL,
	amount BIGINT NOT NULL,
	PRIMARY KEY (oid, pos)
);

CREATE TABLE order_history (
	id {{ID}},
	oid BIGINT NOT NULL REFERENCES orders(oid),
	from_status INTEGER,
	to_status INTEGER NOT NULL,
	actor TEXT NOT NULL,
	note TEXT,
	at BIGINT NOT NULL
);
CREATE INDEX order_history_oid ON order_history (oid, id);

CREATE TABLE prescriptions (
	id {{ID}},
	oid BIGINT NOT NULL REFERENCES orders(oid),
	url TEXT NOT NULL,
	status TEXT NOT NULL DEFAULT 'Pending',
	created_ms BIGINT NOT NULL
);
CREATE INDEX prescriptions_oid ON prescriptions (oid);

CREATE TABLE payments (
	id {{ID}},
	oid BIGINT NOT NULL REFERENCES orders(oid),
	transaction_id TEXT NOT NULL,
	amount BIGINT NOT NULL,
	status TEXT NOT NULL,
	at BIGINT NOT NULL
);
CREATE INDEX payments_oid ON payments (oid);

CREATE TABLE refunds (
	refund_id TEXT PRIMARY KEY,
	oid BIGINT NOT NULL REFERENCES orders(oid),
	transaction_id TEXT,
	amount BIGINT NOT NULL,
	type TEXT NOT NULL,
	reason TEXT,
	state TEXT NOT NULL DEFAULT 'pending',   -- pending | done
	created BIGINT NOT NULL,
	completed BIGINT
);
CREATE INDEX refunds_oid ON refunds (oid);

-- Durable outbox: written in the same transaction as the change it
-- announces, delivered by background workers. kind: 'refund' | 'webhook'.
-- state: 'pending' | 'done' | 'failed'. seq orders events of one order_key.
CREATE TABLE outbox (
	id {{ID}},
	kind TEXT NOT NULL,
	merchant_id TEXT NOT NULL,
	order_key TEXT,
	event_type TEXT,
	payload TEXT NOT NULL,
	state TEXT NOT NULL DEFAULT 'pending',
	attempts INTEGER NOT NULL DEFAULT 0,
	next_at BIGINT NOT NULL,
	lease_until BIGINT NOT NULL DEFAULT 0,
	first_at BIGINT NOT NULL,
	last_error TEXT,
	delivered_at BIGINT
);
CREATE INDEX outbox_due ON outbox (state, next_at);
CREATE INDEX outbox_order ON outbox (order_key, id);

-- A sequence for payment ids handed to ONLINE orders.
CREATE TABLE counters (
	name TEXT PRIMARY KEY,
	value BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('payment_id', 2946453);
