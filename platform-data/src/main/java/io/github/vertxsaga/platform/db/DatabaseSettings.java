package io.github.vertxsaga.platform.db;

import io.github.vertxsaga.platform.config.Env;
import java.util.Map;

/**
 * The service's own database, as JDBC. The default is an H2 file under {@code data/<service>}.
 *
 * @param poolSize connections, and as many worker threads running JDBC ({@code DB_POOL_SIZE})
 */
public record DatabaseSettings(String url, String user, String password, int poolSize) {
  public static final int DEFAULT_POOL_SIZE = 8;

  public static DatabaseSettings from(Env env, String serviceName) {
    String url = env.string("DB_URL", defaultH2Url(serviceName));
    return new DatabaseSettings(
        url.startsWith("jdbc:h2:") ? durableH2(url) : url,
        env.string("DB_USER", url.startsWith("jdbc:h2:") ? "sa" : null),
        env.string("DB_PASSWORD", ""),
        env.integer("DB_POOL_SIZE", DEFAULT_POOL_SIZE, 1, 200));
  }

  public static String defaultH2Url(String serviceName) {
    return "jdbc:h2:file:./data/" + serviceName + "/" + serviceName;
  }

  public boolean isH2() {
    return url.startsWith("jdbc:h2:");
  }

  /**
   * H2 delays writes by 500 ms by default and loses committed work on a crash; WRITE_DELAY=0 writes each commit
   * before it returns. PostgreSQL mode keeps one SQL dialect for both databases.
   */
  static String durableH2(String url) {
    StringBuilder result = new StringBuilder(url);
    String upper = url.toUpperCase();
    appendIfMissing(result, upper, "MODE", "PostgreSQL");
    appendIfMissing(result, upper, "DATABASE_TO_LOWER", "TRUE");
    appendIfMissing(result, upper, "DEFAULT_NULL_ORDERING", "HIGH");
    appendIfMissing(result, upper, "WRITE_DELAY", "0");
    appendIfMissing(result, upper, "LOCK_TIMEOUT", "10000");
    appendIfMissing(result, upper, "DB_CLOSE_ON_EXIT", "FALSE");
    return result.toString();
  }

  /**
   * What a PostgreSQL connection is opened with, unless the URL says otherwise (its parameters win). A network keeps
   * no promise a loopback keeps: a host cut off in the middle of a transaction leaves its session open on the server
   * holding its row locks, and every other instance's transaction on those rows waits behind it; when the host comes
   * back, its own connections sit out TCP's retransmission backoff (tens of seconds after a 30 s cut) before a single
   * statement goes through. So the server ends a session idle inside a transaction for 10 s (its client is gone or
   * frozen: the statements of one transaction here follow each other at once), a lock is waited for 10 s at most, as
   * H2's LOCK_TIMEOUT, and the client gives up a read after 15 s (longer than any statement or lock wait here) and
   * the pool opens a fresh connection instead. A connection attempt made while the host is cut off waits for TCP's
   * SYN retransmissions (1, 3, 7 s ...) up to the driver's 10 s: after the heal the service then had no database for
   * up to that long, though the network was back. The attempt gives up after 2 s instead (a TCP connect within a
   * deployment takes milliseconds), and the pool's next one goes out at once on a healed network.
   */
  public static final Map<String, String> POSTGRES_PROPERTIES = Map.of(
      "options", "-c idle_in_transaction_session_timeout=10000 -c lock_timeout=10000",
      "socketTimeout", "15",
      "connectTimeout", "2",
      "tcpKeepAlive", "true");

  private static void appendIfMissing(StringBuilder url, String upper, String key, String value) {
    if (!upper.contains(";" + key + "=")) {
      url.append(';').append(key).append('=').append(value);
    }
  }

  @Override
  public String toString() {
    return "DatabaseSettings[url=" + url + ", user=" + user + ", poolSize=" + poolSize + "]";
  }
}
