package io.github.vertxsaga.systemtests.hosts;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * A UDP echo and its prober, for measuring round trips between test hosts: {@code serve <address> <port>} answers
 * every datagram with itself for at most {@link #SERVE_LIMIT_MS}; {@code probe <address> <port> <count>} sends
 * {@code count} numbered datagrams one after the other, each waited for up to {@link #ANSWER_LIMIT_MS}, and prints
 * each round trip in microseconds ({@code rtt 101234}) or {@code lost <n>}. Run in a host with
 * {@code ip netns exec}, or probed from the test JVM by {@link #probe}.
 */
final class UdpEcho {
  static final int SERVE_LIMIT_MS = 300_000;
  static final int ANSWER_LIMIT_MS = 2_000;

  private UdpEcho() {
  }

  public static void main(String[] args) throws IOException {
    InetSocketAddress at = new InetSocketAddress(args[1], Integer.parseInt(args[2]));
    if (args[0].equals("serve")) {
      serve(at);
    } else {
      for (long micros : probe(at, Integer.parseInt(args[3]))) {
        System.out.println(micros < 0 ? "lost " + -micros : "rtt " + micros);
      }
    }
  }

  private static void serve(InetSocketAddress at) throws IOException {
    long until = System.nanoTime() + SERVE_LIMIT_MS * 1_000_000L;
    try (DatagramSocket socket = new DatagramSocket(at)) {
      socket.setSoTimeout(1_000);
      System.out.println("echo on " + at);
      byte[] buffer = new byte[64];
      while (System.nanoTime() < until) {
        DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
        try {
          socket.receive(packet);
        } catch (SocketTimeoutException idle) {
          continue;
        }
        socket.send(packet);
      }
    }
  }

  /** The round trips in microseconds, in order; a probe whose echo did not come is {@code -n} (n from 1). */
  static List<Long> probe(InetSocketAddress to, int count) {
    List<Long> trips = new ArrayList<>();
    try (DatagramSocket socket = new DatagramSocket()) {
      socket.setSoTimeout(ANSWER_LIMIT_MS);
      byte[] answer = new byte[64];
      for (int n = 1; n <= count; n++) {
        byte[] probe = ByteBuffer.allocate(8).putLong(n).array();
        long sent = System.nanoTime();
        socket.send(new DatagramPacket(probe, probe.length, to));
        trips.add(awaitEcho(socket, answer, n, sent));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return trips;
  }

  /** Waits for probe {@code n}'s echo, passing over a late echo of an earlier probe. */
  private static long awaitEcho(DatagramSocket socket, byte[] answer, int n, long sent) throws IOException {
    long deadline = sent + ANSWER_LIMIT_MS * 1_000_000L;
    while (System.nanoTime() < deadline) {
      DatagramPacket packet = new DatagramPacket(answer, answer.length);
      try {
        socket.receive(packet);
      } catch (SocketTimeoutException late) {
        break;
      }
      if (packet.getLength() == 8 && ByteBuffer.wrap(answer, 0, 8).getLong() == n) {
        return (System.nanoTime() - sent) / 1_000;
      }
    }
    return -n;
  }
}
