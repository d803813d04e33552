-- pgbench script for `make bench`: one durable order transaction (an order
-- row and three item rows), the PostgreSQL baseline create order is held
-- against. Tables come from scripts/bench.sh.
\set ref random(1, 1000000000)
BEGIN;
INSERT INTO raw_orders(ref, amount, status, created) VALUES (:client_id || '-' || :ref || '-' || random(), 12900, 15, now()) RETURNING id \gset
INSERT INTO raw_items VALUES (:id, 'A', 1, 3000), (:id, 'B', 1, 3000), (:id, 'C', 1, 3000);
END;
