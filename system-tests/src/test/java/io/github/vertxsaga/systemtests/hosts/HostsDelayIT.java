package io.github.vertxsaga.systemtests.hosts;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.vertxsaga.platform.testing.Eventually;
import io.github.vertxsaga.systemtests.process.Service;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link Hosts#slow} on two hosts, measured with UDP round trips ({@link UdpEcho}): from one host to the other, as
 * the services talk, and from the test JVM to a host, as the clients do. Whether by netem or by the delay line, each
 * packet is held the delay ± the jitter once on its way, so every round trip is at least twice the delay less the
 * jitter longer than on the plain network; every probe still comes back; and once healed the delay is gone.
 */
@DisplayName("A slow network between the test hosts")
class HostsDelayIT {
  private static final int DELAY_MS = 50;
  private static final int JITTER_MS = 10;
  private static final int PROBES = 30;
  private static final int PORT = 7007;

  @RegisterExtension
  static final Hosts hosts = new Hosts();

  @Test
  @DisplayName("50 ms ± 10 ms holds every packet both ways, host to host and test JVM to host, loses none, and heals")
  void delaysEveryPacketBothWaysAndHeals() throws Exception {
    Hosts.Host echo = hosts.add("echo");
    Hosts.Host prober = hosts.add("prober");
    InetSocketAddress echoAt = new InetSocketAddress(echo.address(), PORT);
    Process server = java(echo, "serve", echo.address(), String.valueOf(PORT));
    try {
      Eventually.until("the echo listens on " + echoAt, Duration.ofSeconds(30),
          () -> !UdpEcho.probe(echoAt, 1).contains(-1L));
      Trips plain = Trips.measure(prober, echoAt);
      String applied = hosts.slow(DELAY_MS, JITTER_MS, 0);
      Trips slow = Trips.measure(prober, echoAt);
      hosts.healRules();
      Trips healed = Trips.measure(prober, echoAt);
      System.out.printf("slow network (%s), round trips of %d UDP probes, min/median/mean/max ms:%n", applied,
          PROBES);
      System.out.printf("  plain   %s%n  slow    %s%n  healed  %s%n", plain, slow, healed);

      long atLeast = 2L * (DELAY_MS - JITTER_MS) * 1_000;
      for (Trips trips : List.of(plain, slow, healed)) {
        assertThat(trips.hostToHost()).as("host-to-host probes, a lost one negative").allMatch(micros -> micros >= 0);
        assertThat(trips.jvmToHost()).as("test-JVM-to-host probes, a lost one negative").allMatch(micros -> micros >= 0);
      }
      assertThat(slow.hostToHost()).as("host-to-host round trips (µs) with the delay")
          .allMatch(micros -> micros >= atLeast);
      assertThat(slow.jvmToHost()).as("test-JVM-to-host round trips (µs) with the delay")
          .allMatch(micros -> micros >= atLeast);
      assertThat(mean(slow.hostToHost()) - mean(plain.hostToHost())).as("added to a host-to-host round trip (µs)")
          .isGreaterThanOrEqualTo(atLeast);
      assertThat(mean(slow.jvmToHost()) - mean(plain.jvmToHost())).as("added to a test-JVM-to-host round trip (µs)")
          .isGreaterThanOrEqualTo(atLeast);
      assertThat(median(healed.hostToHost())).as("host-to-host median round trip (µs) once healed")
          .isLessThan(DELAY_MS * 1_000L);
      assertThat(median(healed.jvmToHost())).as("test-JVM-to-host median round trip (µs) once healed")
          .isLessThan(DELAY_MS * 1_000L);
    } finally {
      server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  /** The round trips of one phase, in µs, a lost probe {@code -n}. */
  private record Trips(List<Long> hostToHost, List<Long> jvmToHost) {
    static Trips measure(Hosts.Host prober, InetSocketAddress echoAt) throws Exception {
      Process probe = java(prober, "probe", echoAt.getHostString(), String.valueOf(echoAt.getPort()),
          String.valueOf(PROBES));
      List<Long> jvmToHost = UdpEcho.probe(echoAt, PROBES);
      if (!probe.waitFor(PROBES * UdpEcho.ANSWER_LIMIT_MS / 1_000 + 60, TimeUnit.SECONDS)) {
        probe.destroyForcibly();
        throw new IllegalStateException("the prober in " + prober.name() + " did not finish");
      }
      String output = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      List<Long> hostToHost = new ArrayList<>();
      for (String line : output.lines().toList()) {
        if (line.startsWith("rtt ")) {
          hostToHost.add(Long.parseLong(line.substring(4)));
        } else if (line.startsWith("lost ")) {
          hostToHost.add(-Long.parseLong(line.substring(5)));
        }
      }
      assertThat(hostToHost).as("the prober's answers: " + output).hasSize(PROBES);
      return new Trips(hostToHost, jvmToHost);
    }

    @Override
    public String toString() {
      return "host to host " + figures(hostToHost) + ", test JVM to host " + figures(jvmToHost);
    }

    private static String figures(List<Long> micros) {
      List<Long> sorted = micros.stream().sorted().toList();
      return String.format("%.1f/%.1f/%.1f/%.1f", sorted.get(0) / 1e3, median(micros) / 1e3, mean(micros) / 1e3,
          sorted.get(sorted.size() - 1) / 1e3);
    }
  }

  /** A JVM running {@link UdpEcho} in {@code host}: the prober's output is read when it ends, the echo's logged. */
  private static Process java(Hosts.Host host, String... args) {
    Path target = Service.projectRoot().resolve("system-tests/target");
    List<String> command = new ArrayList<>(host.commandPrefix());
    command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:TieredStopAtLevel=1", "-cp", target.resolve("test-classes").toString(), UdpEcho.class.getName()));
    command.addAll(List.of(args));
    try {
      ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
      if (args[0].equals("serve")) {
        Path logs = Files.createDirectories(target.resolve("system-test-logs/HostsDelayIT"));
        builder.redirectOutput(logs.resolve("udp-echo-" + host.name() + ".log").toFile());
      }
      return builder.start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static long mean(List<Long> micros) {
    return (long) micros.stream().mapToLong(Long::longValue).average().orElse(0);
  }

  private static long median(List<Long> micros) {
    List<Long> sorted = micros.stream().sorted().toList();
    return sorted.get(sorted.size() / 2);
  }
}
