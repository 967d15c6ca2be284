package io.github.vertxsaga.systemtests.process;

import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Optional;

/**
 * What the gateway writes to its log about an instance, in one place: the tests read the log to see what the gateway
 * decided (found, gone, breaker open, retried elsewhere), since it has no endpoint that says so.
 */
public final class GatewayLog {
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");

  private GatewayLog() {
  }

  /** The gateway learnt of the instance from discovery. */
  public static String instanceFound(ServiceProcess instance) {
    return "instance found service=" + instance.service().serviceName() + " endpoint=" + instance.address();
  }

  /** The instance's record is gone and the gateway forgot it. */
  public static String instanceGone(ServiceProcess instance) {
    return "instance gone service=" + instance.service().serviceName() + " endpoint=" + instance.address();
  }

  public static String breakerOpen(ServiceProcess instance) {
    return "circuit breaker " + instance.service().serviceName() + "@" + instance.address() + " OPEN";
  }

  /** A request routed to the instance failed there and was tried on another one. */
  public static String failedOn(ServiceProcess instance) {
    return "failed on " + instance.address() + " (";
  }

  /** Waits until the gateway routes to each of the instances. */
  public static void awaitKnows(ServiceProcess gateway, ServiceProcess... instances) {
    for (ServiceProcess instance : instances) {
      gateway.awaitLog(instanceFound(instance), Duration.ofSeconds(30));
    }
  }

  /** When (by the gateway's log clock) the last line containing {@code text} was written. */
  public static Optional<LocalTime> lastTime(ServiceProcess gateway, String text) {
    List<String> lines = gateway.logLines().stream().filter(line -> line.contains(text)).toList();
    return lines.isEmpty() ? Optional.empty() : Optional.of(time(lines.get(lines.size() - 1)));
  }

  public static Optional<LocalTime> firstTime(ServiceProcess gateway, String text) {
    return gateway.logLine(text).map(GatewayLog::time);
  }

  /** Milliseconds from {@code from} to {@code to} on the same (local) clock; the processes log local time. */
  public static long millisBetween(LocalTime from, LocalTime to) {
    return Math.floorMod(Duration.between(from, to).toMillis(), Duration.ofDays(1).toMillis());
  }

  private static LocalTime time(String line) {
    return LocalTime.parse(line.substring(0, 12), TIME);
  }
}
