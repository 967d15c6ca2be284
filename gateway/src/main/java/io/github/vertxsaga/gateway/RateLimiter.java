package io.github.vertxsaga.gateway;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Token buckets by key (a user, or a client address before login): each holds up to {@code burst} tokens and
 * refills at {@code rate}. Buckets idle long enough to be full again are forgotten, so memory follows active
 * clients, and a flood of new keys is capped. Per gateway instance: with N gateways a client gets N times the rate.
 */
final class RateLimiter {
  static final int MAX_BUCKETS = 100_000;

  /** A rate in tokens per millisecond and a burst. */
  record Limit(double perMs, int burst) {
    static Limit perSecond(int rate, int burst) {
      return new Limit(rate / 1000.0, burst);
    }

    static Limit perMinute(int rate, int burst) {
      return new Limit(rate / 60_000.0, burst);
    }
  }

  private static final class Bucket {
    double tokens;
    long updatedAt;

    Bucket(double tokens, long now) {
      this.tokens = tokens;
      this.updatedAt = now;
    }
  }

  private final Limit limit;
  private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

  RateLimiter(Limit limit) {
    this.limit = limit;
  }

  /** 0 when the request may pass (a token is taken), else how long until one is available. */
  long retryAfterMs(String key, long now) {
    if (buckets.size() >= MAX_BUCKETS && !buckets.containsKey(key)) {
      forgetIdle(now);
      if (buckets.size() >= MAX_BUCKETS) {
        key = "overflow"; // too many distinct clients at once: they share one bucket rather than growing the map
      }
    }
    Bucket bucket = buckets.computeIfAbsent(key, k -> new Bucket(limit.burst(), now));
    synchronized (bucket) {
      bucket.tokens = Math.min(limit.burst(), bucket.tokens + (now - bucket.updatedAt) * limit.perMs());
      bucket.updatedAt = now;
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return 0;
      }
      return (long) Math.ceil((1 - bucket.tokens) / limit.perMs());
    }
  }

  /** Drops buckets that would be full by now: forgetting them changes nothing for their clients. */
  void forgetIdle(long now) {
    long refillMs = (long) Math.ceil(limit.burst() / limit.perMs());
    buckets.entrySet().removeIf(entry -> now - entry.getValue().updatedAt > refillMs);
  }
}
