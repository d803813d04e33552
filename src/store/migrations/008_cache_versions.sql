-- What the in-memory cache (src/store/cache.c) needs to know whether what
-- it holds is still current, in every process sharing the database.
--
-- cache_versions: one row per cached family, bumped by triggers in the
-- transaction that changes the family's source tables, so a reader that
-- sees the new data also sees the new version. Stock (on_hand, reserved)
-- and a coupon's used_count are left out on purpose: they change with
-- every order, are never served from the cache, and bumping one shared
-- row on every order would make every create wait for the others.
--
-- orders.version: bumped whenever the order or anything its track answer
-- shows changes. Lines and charges are inserted only together with their
-- order, or after the old ones were deleted (the DELETE bumps), so their
-- INSERTs need no trigger.

CREATE TABLE cache_versions (
	family TEXT PRIMARY KEY,
	version BIGINT NOT NULL DEFAULT 0
);
INSERT INTO cache_versions (family) VALUES ('merchants');
INSERT INTO cache_versions (family) VALUES ('catalog');
INSERT INTO cache_versions (family) VALUES ('coupons');
INSERT INTO cache_versions (family) VALUES ('pincodes');

ALTER TABLE orders ADD COLUMN version BIGINT NOT NULL DEFAULT 0;

{{sqlite:
CREATE TRIGGER cache_merchants_ins AFTER INSERT ON merchants BEGIN
	UPDATE cache_versions SET version = version + 1 WHERE family = 'merchants'; END;
CREATE TRIGGER cache_merchants_upd AFTER UPDATE ON merchants BEGIN
	UPDATE cache_versions SET version = version + 1 WHERE family = 'merchants'; END;
CREATE TRIGGER cache_merchants_del AFTER DELETE ON merchants BEGIN
	UPDATE cache_versions SET version = version + 1 WHERE family = 'merchants'; END;
CREATE TRIGGER cache_charges_ins AFTER INSERT ON merchant_charges BEGIN
	UPDATE cache_versions SET version = version + 1 WHERE family = 'merchants'; END;
CREATE TRIGGER cache_charges_upd AFTER UPDATE ON merchant_charges BEGIN
	UPDATE cache_versions SET version = version + 1 WHERE family = 'merchants'; END;
CREATE TRIGGER cache_charges_del AFTER DELETE ON merchant_charges BEGIN
	UPDATE cache_versions SET version = version + 1 WHERE family = 'merchants'; END;

CREATE TRIGGER cache_products_ins AFTER INSERT ON products WHEN NEW.merchant_id = '' BEGIN
	UPDATE cache_versions SET version = version + 1 WHERE family = 'catalog'; END;
CREATE TRIGGER cache_products_upd AFTER UPDATE OF merchant_id, sku_id, name, mrp, price,
	pack_size_label, sku_type, rx_required, active ON products
	WHEN NEW.merchant_id = '' OR OLD.merchant_id = '' BEGIN
	UPDATE cache_versions SET version = version + 1 WHERE family = 'catalog'; END;
CREATE TRIGGER cache_products_del AFTER DELETE ON products WHEN OLD.merchant_id = '' BEGIN
	UPDATE cache_versions SET version = version + 1 WHERE family = 'catalog'; END;

CREATE TRIGGER cache_coupons_ins AFTER INSERT ON coupons BEGIN
	UPDATE cache_versions SET version = version + 1 WHERE family = 'coupons'; END;
CREATE TRIGGER cache_coupons_upd AFTER UPDATE OF code, kind, value, max_discount,
	min_cart_value, valid_from, valid_to, usage_limit, merchant_id ON coupons BEGIN
	UPDATE cache_versions SET version = version + 1 WHERE family = 'coupons'; END;
CREATE TRIGGER cache_coupons_del AFTER DELETE ON coupons BEGIN
	UPDATE cache_versions SET version = version + 1 WHERE family = 'coupons'; END;

CREATE TRIGGER cache_pincodes_ins AFTER INSERT ON pincodes BEGIN
	UPDATE cache_versions SET version = version + 1 WHERE family = 'pincodes'; END;
CREATE TRIGGER cache_pincodes_upd AFTER UPDATE ON pincodes BEGIN
	UPDATE cache_versions SET version = version + 1 WHERE family = 'pincodes'; END;
CREATE TRIGGER cache_pincodes_del AFTER DELETE ON pincodes BEGIN
	UPDATE cache_versions SET version = version + 1 WHERE family = 'pincodes'; END;

CREATE TRIGGER order_version_upd AFTER UPDATE ON orders WHEN NEW.version = OLD.version BEGIN
	UPDATE orders SET version = OLD.version + 1 WHERE oid = NEW.oid; END;
CREATE TRIGGER order_version_lines_upd AFTER UPDATE ON order_lines BEGIN
	UPDATE orders SET version = version + 1 WHERE oid = NEW.oid; END;
CREATE TRIGGER order_version_lines_del AFTER DELETE ON order_lines BEGIN
	UPDATE orders SET version = version + 1 WHERE oid = OLD.oid; END;
CREATE TRIGGER order_version_charges_upd AFTER UPDATE ON order_charges BEGIN
	UPDATE orders SET version = version + 1 WHERE oid = NEW.oid; END;
CREATE TRIGGER order_version_charges_del AFTER DELETE ON order_charges BEGIN
	UPDATE orders SET version = version + 1 WHERE oid = OLD.oid; END;
CREATE TRIGGER order_version_history_ins AFTER INSERT ON order_history BEGIN
	UPDATE orders SET version = version + 1 WHERE oid = NEW.oid; END;
CREATE TRIGGER order_version_payments_ins AFTER INSERT ON payments BEGIN
	UPDATE orders SET version = version + 1 WHERE oid = NEW.oid; END;
CREATE TRIGGER order_version_payments_upd AFTER UPDATE ON payments BEGIN
	UPDATE orders SET version = version + 1 WHERE oid = NEW.oid; END;
CREATE TRIGGER order_version_refunds_ins AFTER INSERT ON refunds BEGIN
	UPDATE orders SET version = version + 1 WHERE oid = NEW.oid; END;
CREATE TRIGGER order_version_refunds_upd AFTER UPDATE ON refunds BEGIN
	UPDATE orders SET version = version + 1 WHERE oid = NEW.oid; END;
CREATE TRIGGER order_version_rx_ins AFTER INSERT ON prescriptions BEGIN
	UPDATE orders SET version = version + 1 WHERE oid = NEW.oid; END;
CREATE TRIGGER order_version_rx_upd AFTER UPDATE ON prescriptions BEGIN
	UPDATE orders SET version = version + 1 WHERE oid = NEW.oid; END;
}}
{{postgres:
CREATE FUNCTION cache_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE cache_versions SET version = version + 1 WHERE family = TG_ARGV[0];
	RETURN NULL;
END $$;
CREATE TRIGGER cache_merchants AFTER INSERT OR UPDATE OR DELETE ON merchants
	FOR EACH STATEMENT EXECUTE FUNCTION cache_bump('merchants');
CREATE TRIGGER cache_charges AFTER INSERT OR UPDATE OR DELETE ON merchant_charges
	FOR EACH STATEMENT EXECUTE FUNCTION cache_bump('merchants');
CREATE TRIGGER cache_products AFTER INSERT OR DELETE OR UPDATE OF merchant_id, sku_id, name,
	mrp, price, pack_size_label, sku_type, rx_required, active ON products
	FOR EACH STATEMENT EXECUTE FUNCTION cache_bump('catalog');
CREATE TRIGGER cache_coupons AFTER INSERT OR DELETE OR UPDATE OF code, kind, value,
	max_discount, min_cart_value, valid_from, valid_to, usage_limit, merchant_id ON coupons
	FOR EACH STATEMENT EXECUTE FUNCTION cache_bump('coupons');
CREATE TRIGGER cache_pincodes AFTER INSERT OR UPDATE OR DELETE ON pincodes
	FOR EACH STATEMENT EXECUTE FUNCTION cache_bump('pincodes');

CREATE FUNCTION order_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.version = OLD.version THEN
		NEW.version := OLD.version + 1;
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER order_version BEFORE UPDATE ON orders
	FOR EACH ROW EXECUTE FUNCTION order_version_bump();

-- An order row this transaction already wrote is new (nobody can have
-- seen it) or had its version bumped by order_version_bump(): another row
-- version of orders, with an entry in each of its indexes, would buy
-- nothing, so only a row last written by another transaction is bumped.
CREATE FUNCTION order_version_child() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	id BIGINT;
BEGIN
	IF TG_OP = 'DELETE' THEN
		id := OLD.oid;
	ELSE
		id := NEW.oid;
	END IF;
	UPDATE orders SET version = version + 1
	 WHERE oid = id AND xmin::text::bigint <> txid_current() % 4294967296;
	RETURN NULL;
END $$;
CREATE TRIGGER order_version_lines AFTER UPDATE OR DELETE ON order_lines
	FOR EACH ROW EXECUTE FUNCTION order_version_child();
CREATE TRIGGER order_version_charges AFTER UPDATE OR DELETE ON order_charges
	FOR EACH ROW EXECUTE FUNCTION order_version_child();
CREATE TRIGGER order_version_history AFTER INSERT ON order_history
	FOR EACH ROW EXECUTE FUNCTION order_version_child();
CREATE TRIGGER order_version_payments AFTER INSERT OR UPDATE ON payments
	FOR EACH ROW EXECUTE FUNCTION order_version_child();
CREATE TRIGGER order_version_refunds AFTER INSERT OR UPDATE ON refunds
	FOR EACH ROW EXECUTE FUNCTION order_version_child();
CREATE TRIGGER order_version_rx AFTER INSERT OR UPDATE ON prescriptions
	FOR EACH ROW EXECUTE FUNCTION order_version_child();
}}
