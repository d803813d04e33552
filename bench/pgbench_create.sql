-- pgbench script for `make bench`: the statements apotheca's COD create
-- (one SKU of the 100 bench SKUs) writes on PostgreSQL, as its log shows
-- them — the order row with its answer and the customer's JSON, its line,
-- charge and first history row, the stock ledger row and the guarded stock
-- UPDATE — in one transaction, on the database the bench server used
-- (same schema, indexes and triggers; the line's insert finds the product,
-- which apotheca holds in memory). scripts/bench.sh runs it after the
-- PostgreSQL scenarios: apotheca's create against this rate is what the
-- server adds to the database's own work. pgbench sends each statement in
-- a round trip of its own (-M prepared: the variables are bound as
-- parameters), where apotheca pipelines them into three.
\set sku random(1, 100)
BEGIN;
INSERT INTO orders (order_id, hex_id, merchant_id, merchant_order_id, dialect, request_hash, response, payment_method, payment_id, status_id, subtitle, ever_confirmed, coupon_code, mrp_total, offered_total, discount_total, vas_total, shipping, payable, flagged, user_json, address_json, extra_json, pincode, eta_from, eta_to, tracking_code, delivery_partner, carrier_tracking_code, pay_deadline, created, updated, status_changed)
  SELECT id, substr(md5(id), 1, 24), 'demo', 'pgbench-' || id, 'pharmacy', md5('request' || id) || md5(id), '{"order_id":"' || id || '","merchant_order_id":"pgbench-' || id || '"}', 'COD', NULL, 15, NULL, 1, NULL, 4000, 3000, 0, 9900, 0, 12900, NULL, '{"email":"a@example.com","mobile":"9611002324","first_name":"A","last_name":"B","address":{"pincode":"560103","contact_number":"9611002324","name":"A B","street1":"x","street2":"","type":"home"}}', '{"pincode":"560103","contact_number":"9611002324","name":"A B","street1":"x","street2":"","type":"home"}', NULL, '560103', 1796326405, 1796499205, substr(md5('t' || id), 1, 16), NULL, NULL, NULL, 1796153605, 1796153605, 1796153605
  FROM (SELECT 'PO9' || lpad(nextval('pgbench_create_ids')::text, 13, '0') AS id) n
  RETURNING oid, order_id \gset
INSERT INTO order_lines (oid, pos, pid, sku_id, name, qty, cancelled_qty, reserved_qty, mrp, offered, discounted, rx_required, pack_size_label, sku_type, extra_json)
  SELECT :oid, 0, pid, sku_id, name, 1, 0, 1, 4000, 3000, 3000, 0, 'strip', 'otc', NULL FROM products WHERE merchant_id = '' AND sku_id = 'BENCH' || :sku
  RETURNING pid \gset
INSERT INTO order_charges (oid, pos, type, display_text, amount) VALUES (:oid, 0, 'handling_fee', 'REDISTRIBUTIONTEST', 9900);
INSERT INTO order_history (oid, from_status, to_status, actor, note, at) VALUES (:oid, NULL, 15, 'merchant', NULL, 1796153605);
INSERT INTO stock_ledger (pid, delta_on_hand, delta_reserved, reason, order_id, at) VALUES (:pid, 0, 1, 'reserve', :order_id, 1796153605);
WITH g AS (UPDATE products SET reserved = reserved + 1, last_movement = 1796153605 WHERE pid = :pid AND merchant_id = '' AND on_hand - reserved >= 1 RETURNING 1) SELECT 1 / count(*) FROM g;
COMMIT;
