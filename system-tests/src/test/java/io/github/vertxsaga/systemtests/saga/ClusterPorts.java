package io.github.vertxsaga.systemtests.saga;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Hazelcast ports for the in-JVM saga clusters: blocks of 20 in 7700-7999, apart from the process tests' 6700-6999
 * and a developer's 5701, so a test's nodes only ever meet each other (their cluster names differ too).
 */
final class ClusterPorts {
  static final int FIRST = 7700;
  static final int LAST = 7999;
  static final int BLOCK = 20;
  private static final int BLOCKS = (LAST - FIRST + 1) / BLOCK;
  private static final AtomicInteger next = new AtomicInteger(ThreadLocalRandom.current().nextInt(BLOCKS));
  private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

  private ClusterPorts() {
  }

  /** The first port of a block whose ports are all free right now. */
  static int block() {
    for (int i = 0; i < BLOCKS; i++) {
      int base = FIRST + Math.floorMod(next.getAndIncrement(), BLOCKS) * BLOCK;
      if (allFree(base)) {
        return base;
      }
    }
    throw new IllegalStateException("no block of " + BLOCK + " free ports in " + FIRST + "-" + LAST);
  }

  /** A port nothing listens on, outside the cluster range (the kernel's choice). */
  static int free() {
    try (ServerSocket socket = new ServerSocket(0, 1, LOOPBACK)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static boolean allFree(int base) {
    for (int port = base; port < base + BLOCK; port++) {
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
