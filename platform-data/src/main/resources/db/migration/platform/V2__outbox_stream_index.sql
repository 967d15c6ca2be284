-- The relay asks, per candidate row, whether an earlier row of the same stream waits for a retry.
CREATE INDEX outbox_stream ON outbox (destination, aggregate_id, id);
