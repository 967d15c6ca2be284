-- pgbench script for bin/bench: the short write transactions of one order through the saga, as the services issue
-- them (same tables, indexes, statements and order), so PostgreSQL's own rate reads against the saga's. One run of
-- this script is one order: 5 commits. Tables live in two schemas of one database (pgbench connects to one), which
-- the saga keeps in two databases. Relay reads (SELECT of due rows) are left out: they are batched and read-only.
-- Run with -M prepared (the services use prepared statements through pgjdbc). PgbenchScriptTest (system-tests) fails
-- when a statement here is no longer one the services issue, or a table or column it names is not in the migrations.
\set sku random(1, 100)
\set now random(1700000000000, 1800000000000)

-- order-service, POST /api/orders: the order and its OrderPlaced outbox row, in one transaction
BEGIN;
INSERT INTO orders.orders (id, customer, status, items, reason, version, created_at, updated_at)
  VALUES (gen_random_uuid()::text, 'bench', 'PENDING', '[{"sku":"BENCH-' || :sku || '","quantity":1}]', NULL, 1, :now, :now)
  RETURNING id AS order_id \gset
INSERT INTO orders.outbox (event_id, event_type, aggregate_id, destination, envelope, created_at, next_attempt_at,
                           traceparent, tracestate)
  VALUES (gen_random_uuid()::text, 'OrderPlaced', :order_id, 'inventory.events', repeat('x', 520), :now, :now,
          '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00', NULL)
  RETURNING id AS placed_row \gset
COMMIT;

-- inventory-service inbox: record the event, reserve the stock, remember the reservation, emit InventoryReserved
BEGIN;
INSERT INTO inventory.inbox (consumer, event_id, event_type, received_at)
  VALUES ('inventory-service', gen_random_uuid()::text, 'OrderPlaced', :now) ON CONFLICT DO NOTHING;
SELECT order_id, status, items, version FROM inventory.reservations WHERE order_id = :order_id FOR UPDATE;
SAVEPOINT before_reserving;
UPDATE inventory.inventory_items SET available = available - 1, reserved = reserved + 1, updated_at = :now
  WHERE sku = 'BENCH-' || :sku AND available >= 1;
INSERT INTO inventory.reservations (order_id, status, items, reason, version, updated_at)
  VALUES (:order_id, 'RESERVED', '[{"sku":"BENCH-' || :sku || '","quantity":1}]', NULL, 1, :now);
INSERT INTO inventory.outbox (event_id, event_type, aggregate_id, destination, envelope, created_at, next_attempt_at,
                              traceparent, tracestate)
  VALUES (gen_random_uuid()::text, 'InventoryReserved', :order_id, 'orders.events', repeat('x', 560), :now, :now,
          '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00', NULL)
  RETURNING id AS reserved_row \gset
COMMIT;

-- order-service relay: OrderPlaced acknowledged
BEGIN;
UPDATE orders.outbox SET delivered_at = CAST(EXTRACT(EPOCH FROM CURRENT_TIMESTAMP) * 1000 AS BIGINT), delivered_by = 1
  WHERE id IN (:placed_row) AND delivered_at IS NULL
  AND EXISTS (SELECT 1 FROM orders.outbox_relay_lease WHERE service = 'order-service' AND token = 1);
COMMIT;

-- order-service inbox: record the event, settle the order CONFIRMED (OrderConfirmed has no destination: no row)
BEGIN;
INSERT INTO orders.inbox (consumer, event_id, event_type, received_at)
  VALUES ('order-service', gen_random_uuid()::text, 'InventoryReserved', :now) ON CONFLICT DO NOTHING;
SELECT id, customer, status, items, reason, version, created_at, updated_at FROM orders.orders
  WHERE id = :order_id FOR UPDATE;
UPDATE orders.orders SET status = 'CONFIRMED', reason = NULL, version = 2, updated_at = :now WHERE id = :order_id;
COMMIT;

-- inventory-service relay: InventoryReserved acknowledged
BEGIN;
UPDATE inventory.outbox SET delivered_at = CAST(EXTRACT(EPOCH FROM CURRENT_TIMESTAMP) * 1000 AS BIGINT), delivered_by = 1
  WHERE id IN (:reserved_row) AND delivered_at IS NULL
  AND EXISTS (SELECT 1 FROM inventory.outbox_relay_lease WHERE service = 'inventory-service' AND token = 1);
COMMIT;
