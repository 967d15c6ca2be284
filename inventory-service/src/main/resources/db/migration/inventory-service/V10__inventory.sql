-- Stock is never negative: the CHECKs are the last line of defence; reservations use conditional updates.
CREATE TABLE inventory_items (
  sku         VARCHAR(64) PRIMARY KEY,
  available   BIGINT NOT NULL CHECK (available >= 0),
  reserved    BIGINT NOT NULL CHECK (reserved >= 0),
  created_at  BIGINT NOT NULL,
  updated_at  BIGINT NOT NULL
);

-- What inventory did for each order: RESERVED, REJECTED, RELEASED, or CANCELLED (cancel seen before any reservation).
CREATE TABLE reservations (
  order_id    VARCHAR(64) PRIMARY KEY,
  status      VARCHAR(16) NOT NULL,
  items       VARCHAR(100000) NOT NULL,
  reason      VARCHAR(500),
  version     BIGINT NOT NULL,
  updated_at  BIGINT NOT NULL
);
