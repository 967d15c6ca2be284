-- The W3C trace context of the transaction that wrote the row (the request's or the consumed event's trace), kept
-- beside the event rather than in it: each delivery attempt is a span of its own, a child of this one, and the relay
-- puts that attempt's traceparent into the envelope it sends. Null for rows written before tracing.
ALTER TABLE outbox ADD COLUMN traceparent VARCHAR(55);
ALTER TABLE outbox ADD COLUMN tracestate VARCHAR(512);
