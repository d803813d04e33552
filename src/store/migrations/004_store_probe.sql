-- One row that /readyz rewrites after a storage failure, to learn whether
-- the database can write again (store_ready).

CREATE TABLE store_probe (
	id INTEGER PRIMARY KEY,
	at BIGINT NOT NULL
);

INSERT INTO store_probe (id, at) VALUES (1, 0);
