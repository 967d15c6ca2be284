CREATE TABLE orders (
  id          VARCHAR(36) PRIMARY KEY,
  customer    VARCHAR(128) NOT NULL,
  status      VARCHAR(16) NOT NULL,
  items       VARCHAR(100000) NOT NULL,
  reason      VARCHAR(500),
  version     BIGINT NOT NULL,
  created_at  BIGINT NOT NULL,
  updated_at  BIGINT NOT NULL
);
CREATE INDEX orders_status_created ON orders (status, created_at);
CREATE INDEX orders_created ON orders (created_at);
