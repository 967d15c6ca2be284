-- A retried POST with the same key, from the same caller, within 24 h returns the first answer. Stored here, in the
-- order database, so every gateway and order-service instance sees the same keys.
CREATE TABLE idempotency_keys (
  customer      VARCHAR(128) NOT NULL,
  idem_key      VARCHAR(255) NOT NULL,
  request_hash  VARCHAR(64)  NOT NULL,
  status_code   INT          NOT NULL,
  response      VARCHAR(100000) NOT NULL,
  created_at    BIGINT       NOT NULL,
  PRIMARY KEY (customer, idem_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
