-- Which relay may deliver the service's outbox: a lease held by one relay instance, with its expiry in the database's
-- own clock (ms since the epoch), since the hosts' clocks differ. Each takeover bumps the fencing token; every write a
-- relay makes names its token, so a relay that lost the lease (frozen, partitioned) can no longer record anything.
CREATE TABLE outbox_relay_lease (
  service     VARCHAR(64) PRIMARY KEY,
  holder      VARCHAR(36),
  token       BIGINT      NOT NULL DEFAULT 0,
  expires_at  BIGINT      NOT NULL DEFAULT 0,
  acquired_at BIGINT
);

-- The lease token under which a row was recorded delivered: in delivered_at order it never decreases.
ALTER TABLE outbox ADD COLUMN delivered_by BIGINT;
