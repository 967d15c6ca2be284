package io.github.vertxsaga.systemtests;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Ports for the tests, all on loopback, each kind from its own range so that no two kinds meet:
 * <ul>
 *   <li>HTTP ports from 20000-29999, below the kernel's ephemeral range (32768 and up on Linux). A port the kernel
 *   chose with {@code bind(0)} and that was closed again may become the source port of any outgoing connection (to
 *   PostgreSQL, to a Hazelcast member) before the test's server binds it; a port outside that range cannot.</li>
 *   <li>Hazelcast ports in blocks of 20 (its auto-increment range): 6700-6999 for the process tests, 7700-7999 for
 *   the clusters the in-JVM tests start, away from a developer's cluster on 5701, so a test only meets its own
 *   members.</li>
 * </ul>
 * Each range is walked from a random place and in turn, so one JVM never hands out the same port twice in a row.
 */
public final class Ports {
  public static final int PROCESS_CLUSTER_FIRST = 6700;
  public static final int PROCESS_CLUSTER_LAST = 6999;
  public static final int IN_JVM_CLUSTER_FIRST = 7700;
  public static final int IN_JVM_CLUSTER_LAST = 7999;
  public static final int BLOCK = 20;
  private static final int HTTP_FIRST = 20_000;
  private static final int HTTP_LAST = 29_999;
  private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
  private static final AtomicInteger nextHttp = startAnywhere();
  private static final AtomicInteger nextBlock = startAnywhere();

  private Ports() {
  }

  /** An HTTP port nothing listens on right now, outside the ephemeral range. */
  public static int free() {
    int size = HTTP_LAST - HTTP_FIRST + 1;
    for (int i = 0; i < size; i++) {
      int port = HTTP_FIRST + Math.floorMod(nextHttp.getAndIncrement(), size);
      if (isFree(port)) {
        return port;
      }
    }
    throw new IllegalStateException("no free port in " + HTTP_FIRST + "-" + HTTP_LAST);
  }

  /** The first port of a block of {@link #BLOCK} ports in 6700-6999 that are all free (process tests). */
  public static int processClusterBlock() {
    return blockIn(PROCESS_CLUSTER_FIRST, PROCESS_CLUSTER_LAST);
  }

  /** The first port of a block of {@link #BLOCK} ports in 7700-7999 that are all free (clusters in the test JVM). */
  public static int inJvmClusterBlock() {
    return blockIn(IN_JVM_CLUSTER_FIRST, IN_JVM_CLUSTER_LAST);
  }

  private static int blockIn(int first, int last) {
    int blocks = (last - first + 1) / BLOCK;
    for (int i = 0; i < blocks; i++) {
      int base = first + Math.floorMod(nextBlock.getAndIncrement(), blocks) * BLOCK;
      if (allFree(base)) {
        return base;
      }
    }
    throw new IllegalStateException("no block of " + BLOCK + " free ports in " + first + "-" + last);
  }

  private static boolean allFree(int base) {
    for (int port = base; port < base + BLOCK; port++) {
      if (!isFree(port)) {
        return false;
      }
    }
    return true;
  }

  /** Without SO_REUSEADDR, as Hazelcast binds: a port held in TIME_WAIT counts as taken. */
  private static boolean isFree(int port) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(false);
      socket.bind(new InetSocketAddress(LOOPBACK, port), 1);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static AtomicInteger startAnywhere() {
    return new AtomicInteger(ThreadLocalRandom.current().nextInt(1 << 20));
  }
}
