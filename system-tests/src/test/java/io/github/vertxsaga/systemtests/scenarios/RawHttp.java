package io.github.vertxsaga.systemtests.scenarios;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * HTTP/1.1 written byte by byte on a socket, for requests no well-behaved client would send: bad bytes in the request
 * line, contradicting or missing framing headers, bodies cut short. Reads only the status of the answer.
 *
 * <p>Not a second client for talking to the system (that is {@link io.github.vertxsaga.systemtests.Http}): an HTTP
 * client, the JDK's included, refuses to send these requests at all, or repairs them on the way (it writes its own
 * Host, Content-Length and framing), so the hostile-input scenario needs a socket of its own.
 */
final class RawHttp {
  /** No status line came back: the server closed the connection, or said nothing before the timeout. */
  static final int NO_ANSWER = -1;
  static final int TIMEOUT = -2;

  private RawHttp() {
  }

  /** A request: its request line, header lines and body, and whether the body is cut short on purpose. */
  record Request(String name, byte[] requestLine, List<byte[]> headers, byte[] body, boolean truncated) {
    static Builder of(String name, String method, String target) {
      return new Builder(name, (method + " " + target + " HTTP/1.1").getBytes(StandardCharsets.UTF_8));
    }

    static Builder ofBytes(String name, byte[] requestLine) {
      return new Builder(name, requestLine);
    }

    byte[] bytes(int port) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      out.writeBytes(requestLine);
      out.writeBytes(CRLF);
      boolean host = false;
      for (byte[] header : headers) {
        host |= new String(header, StandardCharsets.ISO_8859_1).regionMatches(true, 0, "Host:", 0, 5);
      }
      if (!host) {
        out.writeBytes(("Host: 127.0.0.1:" + port).getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(CRLF);
      }
      for (byte[] header : headers) {
        out.writeBytes(header);
        out.writeBytes(CRLF);
      }
      out.writeBytes(CRLF);
      out.writeBytes(body);
      return out.toByteArray();
    }
  }

  static final class Builder {
    private final String name;
    private final byte[] requestLine;
    private final List<byte[]> headers = new ArrayList<>();
    private byte[] body = new byte[0];
    private boolean framed = true;
    private boolean truncated;

    Builder(String name, byte[] requestLine) {
      this.name = name;
      this.requestLine = requestLine;
    }

    Builder header(String name, String value) {
      headers.add((name + ": " + value).getBytes(StandardCharsets.UTF_8));
      return this;
    }

    Builder headerBytes(byte[] line) {
      headers.add(line);
      return this;
    }

    Builder bearer(String token) {
      return header("Authorization", "Bearer " + token);
    }

    Builder json(String json) {
      return body("application/json", json.getBytes(StandardCharsets.UTF_8));
    }

    Builder body(String contentType, byte[] bytes) {
      if (contentType != null) {
        header("Content-Type", contentType);
      }
      body = bytes;
      return this;
    }

    /** Sets the framing headers by hand: none of Content-Length is added. */
    Builder unframed() {
      framed = false;
      return this;
    }

    /** Closes its side of the connection after sending: whatever the server still waits for never comes. */
    Builder halfClose() {
      truncated = true;
      return this;
    }

    /** Declares {@code declared} bytes of body but sends fewer, then closes its side. */
    Builder truncated(int declared) {
      header("Content-Length", Integer.toString(declared));
      framed = false;
      truncated = true;
      return this;
    }

    Request build() {
      List<byte[]> all = new ArrayList<>(headers);
      if (framed) {
        all.add(("Content-Length: " + body.length).getBytes(StandardCharsets.US_ASCII));
      }
      all.add("Connection: close".getBytes(StandardCharsets.US_ASCII));
      return new Request(name, requestLine, all, body, truncated);
    }
  }

  private static final byte[] CRLF = {'\r', '\n'};

  /** Sends the request on a new connection and returns the answer's status, or {@link #NO_ANSWER}/{@link #TIMEOUT}. */
  static int send(int port, Request request, int timeoutMs) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
      socket.setSoTimeout(timeoutMs);
      OutputStream out = socket.getOutputStream();
      try {
        out.write(request.bytes(port));
        out.flush();
        if (request.truncated()) {
          socket.shutdownOutput(); // the rest of the body never comes
        }
      } catch (IOException e) {
        // the server may answer (413, 431) and close before reading everything we write
      }
      return status(socket.getInputStream());
    } catch (SocketTimeoutException e) {
      return TIMEOUT;
    } catch (IOException e) {
      return NO_ANSWER;
    }
  }

  private static int status(InputStream in) throws IOException {
    byte[] line = new byte[12];
    int read = 0;
    while (read < line.length) {
      int n = in.read(line, read, line.length - read);
      if (n < 0) {
        return NO_ANSWER;
      }
      read += n;
    }
    String text = new String(line, StandardCharsets.ISO_8859_1);
    if (!text.startsWith("HTTP/1.")) {
      throw new IOException("not an HTTP answer: " + text);
    }
    return Integer.parseInt(text.substring(9, 12));
  }
}
