-- The operators' order search (GET /admin/v1/orders?q=...) and lists, and
-- console sign-in sessions. A search key is matched exactly or as a prefix,
-- which each backend answers as a range scan of one index per key:
-- PostgreSQL compares the keys byte-wise (COLLATE "C") so that a prefix is
-- a range whatever the database's locale; SQLite's BINARY collation
-- already is. SQLite's UNIQUE index on order_id serves its search as is.
{{postgres:CREATE INDEX orders_search_order_id ON orders ((order_id COLLATE "C"));}}
CREATE INDEX orders_search_ref ON orders ((merchant_order_id{{postgres: COLLATE "C"}}));
-- Phone: the pharmacy dialect's user.mobile, the logistics customer's
-- phoneNumber; email: either dialect's email, lower-cased.
CREATE INDEX orders_search_mobile ON orders (({{sqlite:json_extract(user_json, '$.mobile')}}{{postgres:(user_json::json ->> 'mobile') COLLATE "C"}}));
CREATE INDEX orders_search_phone ON orders (({{sqlite:json_extract(user_json, '$.phoneNumber')}}{{postgres:(user_json::json ->> 'phoneNumber') COLLATE "C"}}));
CREATE INDEX orders_search_email ON orders (({{sqlite:lower(json_extract(user_json, '$.email'))}}{{postgres:lower(user_json::json ->> 'email') COLLATE "C"}}));
-- Results come newest first, (created, oid) descending; each filter has an
-- index in that order, so a page is read straight off it however many
-- orders the filter matches, and a time window is a range of it.
CREATE INDEX orders_created ON orders (created, oid);
CREATE INDEX orders_merchant_created ON orders (merchant_id, created, oid);
CREATE INDEX orders_status_created ON orders (status_id, created, oid);
CREATE INDEX orders_merchant_status_created ON orders (merchant_id, status_id, created, oid);
CREATE INDEX orders_flagged_created ON orders (created, oid) WHERE flagged IS NOT NULL;
-- Deliveries paged newest first within a state.
CREATE INDEX outbox_state_id ON outbox (state, id);

-- Console sessions: the SHA-256 of the cookie's random token (the token
-- itself is never stored), the session's CSRF token, and its expiry.
CREATE TABLE console_sessions (
	token_hash TEXT PRIMARY KEY,
	csrf TEXT NOT NULL,
	created BIGINT NOT NULL,
	expires BIGINT NOT NULL
);
CREATE INDEX console_sessions_expires ON console_sessions (expires);
