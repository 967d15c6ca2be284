package io.github.vertxsaga.systemtests.hosts;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Real network hosts on this machine for one test class: a Linux network namespace per host, each with its own address
 * on a private /24, joined by veth pairs to a bridge in a "switch" namespace of its own. The test JVM reaches them
 * through one more veth, the only link this adds to the machine's own namespace, with the subnet's {@code .1}; the
 * subnet is one that {@code ip route} shows unused. Faults are made where a network makes them, in the switch: a host's
 * port down, nftables rules that drop between two halves or between two hosts on one port, random loss, and delay:
 * netem's where the kernel has {@code sch_netem}, else a {@link DelayLine} in each host.
 *
 * <p>Every name carries the test JVM's pid ({@code vsh-<pid>-<host>}), so that two runs never meet; the namespaces
 * are removed after the class, by a shutdown hook should the JVM be stopped, and at the next start if a run died
 * without either (the pid in the name is no longer alive). Registered before the {@code ProcessCluster} of the class,
 * so that its processes are gone when the namespaces go.
 *
 * <p>It needs root (and iproute2, nftables): without it the class is skipped with a message, and under
 * {@code -Dtest.db.required=true} (bin/test, CI) it fails instead.
 */
public final class Hosts implements BeforeAllCallback, AfterAllCallback {
  /** One host: its namespace and address, and its port on the switch. */
  public record Host(String name, String namespace, String address, String switchPort) {
    /** What runs a command inside this host: {@code ip netns exec <namespace>}. */
    public List<String> commandPrefix() {
      return List.of("ip", "netns", "exec", namespace);
    }
  }

  private static final String PREFIX = "vsh-";
  private static final Pattern OURS = Pattern.compile("^" + PREFIX + "(\\d+)-.*");
  private static final Pattern CLIENT_LINK = Pattern.compile("^vh(\\d+)c$");
  /** Subnets tried: 10.213.N.0/24, starting from one picked by the pid. */
  private static final String NET = "10.213.";

  private final long pid = ProcessHandle.current().pid();
  private final String switchNs = PREFIX + pid + "-switch";
  private final String clientLink = "vh" + pid + "c";
  private final Map<String, Host> hosts = new LinkedHashMap<>();
  private String subnet;
  private Thread cleanup;
  private boolean netemAvailable;
  private volatile DelayLine delayLine;

  @Override
  public void beforeAll(ExtensionContext context) {
    requireRoot();
    removeLeftovers();
    subnet = freeSubnet();
    cleanup = new Thread(this::remove, "remove-test-hosts");
    Runtime.getRuntime().addShutdownHook(cleanup);
    ip("netns", "add", switchNs);
    in(switchNs, "ip", "link", "set", "lo", "up");
    in(switchNs, "ip", "link", "add", "br0", "type", "bridge");
    in(switchNs, "ip", "link", "set", "br0", "up");
    in(switchNs, "nft", "add", "table", "bridge", "faults");
    in(switchNs, "nft", "add", "chain", "bridge", "faults", "forward",
        "{ type filter hook forward priority 0; policy accept; }");
    ip("link", "add", clientLink, "type", "veth", "peer", "name", "c", "netns", switchNs);
    in(switchNs, "ip", "link", "set", "c", "master", "br0", "up");
    ip("addr", "add", address(1) + "/24", "dev", clientLink);
    ip("link", "set", clientLink, "up");
    netemAvailable = probeNetem();
    System.out.printf("hosts: switch %s, subnet %s.0/24, the test JVM at %s (%s)%s%n", switchNs, subnet, address(1),
        clientLink, netemAvailable ? "" : "; this kernel has no sch_netem: delay by an NFQUEUE delay line");
  }

  @Override
  public void afterAll(ExtensionContext context) {
    remove();
    if (cleanup != null) {
      try {
        Runtime.getRuntime().removeShutdownHook(cleanup);
      } catch (IllegalStateException shuttingDown) {
        // the hook runs anyway
      }
    }
  }

  /** Makes a new host, linked to the switch, with the next address of the subnet. */
  public synchronized Host add(String name) {
    String namespace = PREFIX + pid + "-" + name;
    String port = "p" + (hosts.size() + 1);
    String address = address(hosts.size() + 2);
    ip("netns", "add", namespace);
    in(namespace, "ip", "link", "set", "lo", "up");
    ip("link", "add", "eth0", "netns", namespace, "type", "veth", "peer", "name", port, "netns", switchNs);
    in(switchNs, "ip", "link", "set", port, "master", "br0", "up");
    in(namespace, "ip", "addr", "add", address + "/24", "dev", "eth0");
    in(namespace, "ip", "link", "set", "eth0", "up");
    Host host = new Host(name, namespace, address, port);
    hosts.put(name, host);
    return host;
  }

  public Host host(String name) {
    Host host = hosts.get(name);
    if (host == null) {
      throw new IllegalArgumentException("no host " + name + " among " + hosts.keySet());
    }
    return host;
  }

  public Collection<Host> all() {
    return List.copyOf(hosts.values());
  }

  /** The subnet's network, e.g. {@code 10.213.7.0/24}: whom a server on a host should trust. */
  public String network() {
    return subnet + ".0/24";
  }

  /** The host's port on the switch goes down: nothing reaches it, nothing leaves it. */
  public void unplug(Host host) {
    in(switchNs, "ip", "link", "set", host.switchPort(), "down");
  }

  public void plugIn(Host host) {
    in(switchNs, "ip", "link", "set", host.switchPort(), "up");
  }

  /** Nothing passes between a host of {@code one} and a host of {@code other} until {@link #healRules()}. */
  public void partition(Collection<Host> one, Collection<Host> other) {
    String a = addresses(one);
    String b = addresses(other);
    rule("ip saddr " + a + " ip daddr " + b + " drop");
    rule("ip saddr " + b + " ip daddr " + a + " drop");
  }

  /** TCP from {@code from} to {@code to}'s {@code port} (and its answers) is dropped; everything else passes. */
  public void cut(Host from, Host to, int port) {
    rule("ip saddr " + from.address() + " ip daddr " + to.address() + " tcp dport " + port + " drop");
    rule("ip saddr " + to.address() + " ip daddr " + from.address() + " tcp sport " + port + " drop");
  }

  /**
   * A slow, lossy network: each packet between two hosts, or between a host and the test JVM, delayed by
   * {@code delayMs} ± {@code jitterMs} and lost with {@code lossPercent}, until {@link #healRules()}. By netem on
   * every switch port; on a kernel without netem by a {@link DelayLine} in each host and the loss by nftables in the
   * switch (skipped, or failed under {@code -Dtest.db.required=true}, when the delay line cannot be built). Returns
   * what was applied.
   */
  public String slow(int delayMs, int jitterMs, int lossPercent) {
    if (netemAvailable) {
      for (String port : switchPorts()) {
        // A port's root qdisc holds what leaves the switch by it: each packet, host to host or between the test JVM
        // and a host, leaves by one port, and so gets the whole delay and loss once.
        in(switchNs, "tc", "qdisc", "replace", "dev", port, "root", "netem", "delay", delayMs + "ms", jitterMs + "ms",
            "loss", lossPercent + "%");
      }
      return String.format("netem %d ms ± %d ms, %d %% loss between hosts", delayMs, jitterMs, lossPercent);
    }
    if (delayLine != null) {
      throw new IllegalStateException("the network is slow already: healRules() first");
    }
    delayLine = DelayLine.start(hosts.values(), address(1), delayMs, jitterMs);
    if (lossPercent > 0) {
      rule("numgen random mod 1000 < " + lossPercent * 10 + " drop");
    }
    return String.format("%d ms ± %d ms by an NFQUEUE delay line, %s", delayMs, jitterMs,
        lossPercent > 0 ? lossPercent + " % loss (nftables)" : "no loss");
  }

  /**
   * Takes away every fault the rules, netem and the delay line made (a port that was unplugged stays so); fails if
   * a delay line had stopped before, so that a slow network never silently was a fast one.
   */
  public void healRules() {
    in(switchNs, "nft", "flush", "chain", "bridge", "faults", "forward");
    DelayLine line = delayLine;
    if (line != null) {
      delayLine = null;
      try {
        line.check();
      } finally {
        System.out.println("hosts: delay line taken away, " + line.stop());
      }
    }
    if (netemAvailable) {
      for (String port : switchPorts()) {
        run(List.of("ip", "netns", "exec", switchNs, "tc", "qdisc", "del", "dev", port, "root"), false);
      }
    }
  }

  private void rule(String rule) {
    List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", switchNs, "nft", "add", "rule", "bridge",
        "faults", "forward"));
    command.addAll(List.of(rule.split(" ")));
    run(command, true);
  }

  /** The switch's ports: each host's, and {@code c}, the test JVM's. */
  private List<String> switchPorts() {
    List<String> ports = new ArrayList<>(List.of("c"));
    hosts.values().forEach(host -> ports.add(host.switchPort()));
    return ports;
  }

  private static String addresses(Collection<Host> hosts) {
    return hosts.stream().map(Host::address).collect(Collectors.joining(", ", "{ ", " }"));
  }

  private String address(int index) {
    return subnet + "." + index;
  }

  /** Whether netem can be set, tried on the switch's port to the test JVM (and taken off again). */
  private boolean probeNetem() {
    boolean available = run(List.of("ip", "netns", "exec", switchNs, "tc", "qdisc", "add", "dev", "c", "root",
        "netem", "delay", "1ms"), false) == 0;
    if (available) {
      in(switchNs, "tc", "qdisc", "del", "dev", "c", "root");
    }
    return available;
  }

  /** Removes every namespace of this run; deleting a namespace removes its end of each veth, and so the pair. */
  private synchronized void remove() {
    DelayLine line = delayLine;
    delayLine = null;
    if (line != null) {
      line.stop();
    }
    for (Host host : hosts.values()) {
      deleteNamespace(host.namespace());
    }
    hosts.clear();
    deleteNamespace(switchNs);
    run(List.of("ip", "link", "del", clientLink), false);
  }

  private static void deleteNamespace(String namespace) {
    // A process still inside (a server that outlived the test) would keep its addresses alive: it goes first.
    for (String pid : output(List.of("ip", "netns", "pids", namespace)).split("\\s+")) {
      if (!pid.isBlank()) {
        run(List.of("kill", "-9", pid.trim()), false);
      }
    }
    run(List.of("ip", "netns", "del", namespace), false);
  }

  /** Namespaces and links of earlier runs whose JVM died before it could remove them. */
  private static void removeLeftovers() {
    for (String line : output(List.of("ip", "netns", "list")).split("\n")) {
      String name = line.split(" ")[0].trim();
      Matcher matcher = OURS.matcher(name);
      if (matcher.matches() && ProcessHandle.of(Long.parseLong(matcher.group(1))).isEmpty()) {
        System.out.println("hosts: removing " + name + ", left by a run that died");
        deleteNamespace(name);
      }
    }
    for (String line : output(List.of("ip", "-o", "link", "show")).split("\n")) {
      String[] fields = line.split(":\\s+");
      if (fields.length < 2) {
        continue;
      }
      String link = fields[1].split("@")[0];
      Matcher matcher = CLIENT_LINK.matcher(link);
      if (matcher.matches() && ProcessHandle.of(Long.parseLong(matcher.group(1))).isEmpty()) {
        run(List.of("ip", "link", "del", link), false);
      }
    }
  }

  /** A 10.213.N.0/24 no route of this machine overlaps (another run's client link adds a route for its own). */
  private String freeSubnet() {
    List<String> routes = List.of(output(List.of("ip", "-4", "route", "show", "table", "all")).split("\n"));
    int start = (int) (pid % 250);
    for (int i = 0; i < 250; i++) {
      int n = (start + i) % 250 + 1;
      long network = toLong(NET + n + ".0");
      if (routes.stream().noneMatch(route -> overlaps(route, network))) {
        return NET + n;
      }
    }
    throw new IllegalStateException("no free /24 in " + NET + "0.0/16: ip route shows all of them in use");
  }

  /** Whether a route's destination (other than {@code default}) overlaps the /24 at {@code network}. */
  private static boolean overlaps(String route, long network) {
    String[] words = route.trim().split("\\s+");
    int at = words.length > 0 && List.of("local", "broadcast", "unicast", "blackhole").contains(words[0]) ? 1 : 0;
    if (words.length <= at || words[at].equals("default") || !words[at].matches("[0-9.]+(/\\d+)?")) {
      return false;
    }
    String[] cidr = words[at].split("/");
    int bits = cidr.length == 2 ? Integer.parseInt(cidr[1]) : 32;
    int common = Math.min(bits, 24);
    long mask = common == 0 ? 0 : (0xFFFFFFFFL << (32 - common)) & 0xFFFFFFFFL;
    return (toLong(cidr[0]) & mask) == (network & mask);
  }

  private static long toLong(String address) {
    long value = 0;
    for (String part : address.split("\\.")) {
      value = value << 8 | Integer.parseInt(part);
    }
    return value;
  }

  private static void requireRoot() {
    boolean root = "root".equals(System.getProperty("user.name"));
    String missing = !root ? "these tests make network namespaces and need root (bin/test runs as root in CI)"
        : !Files.isExecutable(Path.of("/usr/sbin/nft")) && !Files.isExecutable(Path.of("/sbin/nft"))
        ? "nft (nftables) is not installed: apt-get install nftables (bin/test installs it)" : null;
    if (missing == null) {
      return;
    }
    if (Boolean.getBoolean("test.db.required")) {
      Assertions.fail(missing + ". test.db.required is set (bin/test, CI): these tests may not be skipped");
    }
    Assumptions.abort(missing);
  }

  private static void ip(String... args) {
    List<String> command = new ArrayList<>(List.of("ip"));
    command.addAll(List.of(args));
    run(command, true);
  }

  private static void in(String namespace, String... command) {
    List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", namespace));
    full.addAll(List.of(command));
    run(full, true);
  }

  static int run(List<String> command, boolean required) {
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IllegalStateException(String.join(" ", command) + " did not finish within 30 s");
      }
      if (required && process.exitValue() != 0) {
        throw new IllegalStateException(String.join(" ", command) + " failed with " + process.exitValue() + ": "
            + output.trim());
      }
      return process.exitValue();
    } catch (IOException e) {
      if (required) {
        throw new UncheckedIOException(e);
      }
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static String output(List<String> command) {
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      process.waitFor(30, TimeUnit.SECONDS);
      return process.exitValue() == 0 ? output : "";
    } catch (IOException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }
}
