-- The relay asks, every pass, which undelivered rows wait for a retry (they hold back the later rows of their stream).
-- Without this index that question read every undelivered row, or the whole table, once or once per candidate row;
-- with it, only the rows that wait, which are few.
CREATE INDEX outbox_waiting ON outbox (delivered_at, dead_at, next_attempt_at);
