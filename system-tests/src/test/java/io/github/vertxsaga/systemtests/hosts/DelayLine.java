package io.github.vertxsaga.systemtests.hosts;

import io.github.vertxsaga.platform.testing.Eventually;
import io.github.vertxsaga.systemtests.process.Service;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Network delay where the kernel has no {@code sch_netem}: {@code netdelay} (src/test/c/netdelay.c), a small
 * libnetfilter_queue program, runs in each host's namespace and holds every packet its NFQUEUE gets for the delay ±
 * the jitter before it lets it go. Packets are queued by the receiver, as they come in from the switch (from another
 * host or from the test JVM), and by the sender only for packets to the test JVM, whose namespace is the machine's
 * own and is left alone: so each packet between two hosts, or between a host and the test JVM, is delayed once,
 * by the whole delay. Queueing at the receiver rather than the sender keeps TCP's small-queue limit out of it: a
 * sender's socket is charged for its packets until they leave the host, and would send little while they are held.
 *
 * <p>The queue rules are iptables' {@code NFQUEUE} target: nftables' own {@code queue} statement needs the kernel's
 * {@code nft_queue}, which this machine's and CI's kernels do not have, while the xtables target and
 * {@code nfnetlink_queue} are built in. Each rule has {@code --queue-bypass} and each program a fail-open queue: if
 * it stops or its queue is full, packets pass undelayed rather than the network wedging, and {@link #check()} says
 * that a program stopped.
 */
final class DelayLine {
  private static final int QUEUE = 0;
  private static final String INSTALL = "apt-get install gcc libnetfilter-queue-dev iptables (bin/test installs them "
      + "when run as root)";
  private static Path program;

  private record Running(Hosts.Host host, Process process, Path log) {
  }

  private final List<Running> running = new ArrayList<>();
  private final List<List<String>> rules = new ArrayList<>();

  /**
   * Starts a delay line in each host and queues its traffic to it: {@code delayMs} ± {@code jitterMs} on each packet
   * between two of {@code hosts} or between one of them and the test JVM at {@code clientAddress}.
   */
  static DelayLine start(Collection<Hosts.Host> hosts, String clientAddress, int delayMs, int jitterMs) {
    Path binary = program();
    DelayLine line = new DelayLine();
    try {
      for (Hosts.Host host : hosts) {
        line.launch(binary, host, delayMs, jitterMs);
      }
      for (Hosts.Host host : hosts) {
        line.queue(host, "PREROUTING", "-i", "eth0");
        line.queue(host, "OUTPUT", "-o", "eth0", "-d", clientAddress);
      }
      return line;
    } catch (RuntimeException e) {
      line.stop();
      throw e;
    }
  }

  /** Fails if a delay line stopped on its own: from then on its host's packets passed undelayed. */
  void check() {
    for (Running each : running) {
      if (!each.process().isAlive()) {
        throw new IllegalStateException("the delay line in " + each.host().name() + " stopped on its own (exit "
            + each.process().exitValue() + "), so its packets passed undelayed since: " + read(each.log()));
      }
    }
  }

  /**
   * Takes the queue rules away, then stops each delay line with SIGTERM, which lets go of the packets it holds.
   * Returns what they did, e.g. {@code 1234 packets delayed}.
   */
  synchronized String stop() {
    for (List<String> rule : rules) {
      Hosts.run(rule, false);
    }
    rules.clear();
    long delayed = 0;
    for (Running each : running) {
      each.process().destroy();
      try {
        if (!each.process().waitFor(10, TimeUnit.SECONDS)) {
          each.process().destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        each.process().destroyForcibly();
      }
      delayed += read(each.log()).lines().filter(l -> l.startsWith("netdelay: stopped; "))
          .mapToLong(l -> Long.parseLong(l.split(" ")[2])).sum();
    }
    running.clear();
    return delayed + " packets delayed";
  }

  private void launch(Path binary, Hosts.Host host, int delayMs, int jitterMs) {
    Path log = binary.resolveSibling("netdelay-" + host.namespace() + ".log");
    List<String> command = new ArrayList<>(host.commandPrefix());
    command.addAll(List.of(binary.toString(), String.valueOf(QUEUE), String.valueOf(delayMs),
        String.valueOf(jitterMs)));
    Process process;
    try {
      process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    running.add(new Running(host, process, log));
    Eventually.until("the delay line in " + host.name() + " has bound its queue", Duration.ofSeconds(10),
        Duration.ofMillis(20), () -> read(log).contains("netdelay: queue") || !process.isAlive());
    if (!process.isAlive()) {
      throw new IllegalStateException("the delay line in " + host.name() + " did not start: " + read(log));
    }
  }

  private void queue(Hosts.Host host, String chain, String... match) {
    List<String> rule = new ArrayList<>(host.commandPrefix());
    rule.addAll(List.of("iptables", "-w", "-t", "mangle", "-A", chain));
    rule.addAll(List.of(match));
    rule.addAll(List.of("-j", "NFQUEUE", "--queue-num", String.valueOf(QUEUE), "--queue-bypass"));
    Hosts.run(rule, true);
    List<String> delete = new ArrayList<>(rule);
    delete.set(delete.indexOf("-A"), "-D");
    rules.add(delete);
  }

  /**
   * The program, compiled once per test JVM into system-tests/target/netdelay/; without gcc, libnetfilter_queue's
   * header or iptables the test is skipped, or fails under {@code -Dtest.db.required=true} (bin/test, CI).
   */
  static synchronized Path program() {
    if (program != null) {
      return program;
    }
    List<String> missing = new ArrayList<>();
    if (onPath("gcc") == null) {
      missing.add("gcc");
    }
    if (!Files.isRegularFile(Path.of("/usr/include/libnetfilter_queue/libnetfilter_queue.h"))) {
      missing.add("libnetfilter_queue's header (libnetfilter-queue-dev)");
    }
    if (onPath("iptables") == null) {
      missing.add("iptables");
    }
    if (!missing.isEmpty()) {
      String message = "no sch_netem in this kernel, and the delay line that stands in for it needs "
          + String.join(", ", missing) + ": " + INSTALL;
      if (Boolean.getBoolean("test.db.required")) {
        Assertions.fail(message + ". test.db.required is set (bin/test, CI): this test may not be skipped");
      }
      Assumptions.abort(message);
    }
    Path root = Service.projectRoot();
    Path source = root.resolve("system-tests/src/test/c/netdelay.c");
    Path dir = root.resolve("system-tests/target/netdelay");
    Path binary = dir.resolve("netdelay");
    Path building = dir.resolve("netdelay." + ProcessHandle.current().pid());
    try {
      Files.createDirectories(dir);
      Process gcc = new ProcessBuilder("gcc", "-O2", "-Wall", "-Wextra", "-Werror", "-o", building.toString(),
          source.toString(), "-lnetfilter_queue").redirectErrorStream(true).start();
      String output = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!gcc.waitFor(60, TimeUnit.SECONDS) || gcc.exitValue() != 0) {
        throw new IllegalStateException("gcc could not build " + source + ": " + output.trim());
      }
      // Another test JVM may be running the one there: a new file under the name, never one rewritten in place.
      Files.move(building, binary, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    program = binary;
    return binary;
  }

  private static Path onPath(String name) {
    return Stream.concat(Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)),
            Stream.of("/usr/sbin", "/sbin", "/usr/bin"))
        .filter(dir -> !dir.isBlank()).map(dir -> Path.of(dir, name)).filter(Files::isExecutable)
        .findFirst().orElse(null);
  }

  private static String read(Path log) {
    try {
      return Files.isRegularFile(log) ? Files.readString(log) : "";
    } catch (IOException e) {
      return "";
    }
  }
}
