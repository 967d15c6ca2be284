package io.github.vertxsaga.systemtests.process;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Free ports. Hazelcast ports come from 6700-6999, in blocks of 20 (Hazelcast's auto-increment range), one block per
 * test and rotating, so a test never meets another test's members nor a developer's cluster on 5701.
 */
public final class Ports {
  public static final int CLUSTER_FIRST = 6700;
  public static final int CLUSTER_LAST = 6999;
  public static final int BLOCK = 20;
  private static final int BLOCKS = (CLUSTER_LAST - CLUSTER_FIRST + 1) / BLOCK;
  private static final AtomicInteger nextBlock = new AtomicInteger(ThreadLocalRandom.current().nextInt(BLOCKS));
  private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

  private Ports() {
  }

  /** A port nothing listens on right now (the kernel's choice, outside the cluster range). */
  public static int free() {
    try (ServerSocket socket = new ServerSocket(0, 1, LOOPBACK)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The first port of a block of {@link #BLOCK} ports in 6700-6999 that are all free. */
  public static int clusterBlock() {
    for (int i = 0; i < BLOCKS; i++) {
      int base = CLUSTER_FIRST + Math.floorMod(nextBlock.getAndIncrement(), BLOCKS) * BLOCK;
      if (allFree(base)) {
        return base;
      }
    }
    throw new IllegalStateException("no block of " + BLOCK + " free ports in " + CLUSTER_FIRST + "-" + CLUSTER_LAST);
  }

  private static boolean allFree(int base) {
    for (int port = base; port < base + BLOCK; port++) {
      // Without SO_REUSEADDR, as Hazelcast binds: a port held in TIME_WAIT counts as taken.
      try (ServerSocket socket = new ServerSocket()) {
        socket.setReuseAddress(false);
        socket.bind(new InetSocketAddress(LOOPBACK, port), 1);
      } catch (IOException e) {
        return false;
      }
    }
    return true;
  }
}
