package io.github.vertxsaga.platform.tls;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Makes a deployment's TLS material in a directory, once: {@code ca.pem} (and the CA's key in
 * {@code private/ca-key.pem}, a sub-directory of its own so that a deployment can keep it away from the nodes), then
 * for each node name {@code <name>.pem} and {@code <name>-key.pem}. What exists and is still good is kept; a node certificate that
 * expires within {@link NodeCredentials#EXPIRY_WARNING}, or that another CA signed, is issued anew.
 *
 * <p>{@code java -cp <any service jar> io.github.vertxsaga.platform.tls.CertificateFiles <dir> <name>...}: how
 * {@code bin/run} and docker-compose's one-shot {@code certificates} service make them.
 */
public final class CertificateFiles {
  static final Duration CA_VALIDITY = Duration.ofDays(3650);
  static final Duration NODE_VALIDITY = Duration.ofDays(365);

  private CertificateFiles() {
  }

  public static void main(String[] args) throws IOException {
    if (args.length < 2) {
      System.err.println("usage: CertificateFiles <directory> <node name>...");
      System.exit(2);
    }
    List<String> made = ensure(Path.of(args[0]), List.of(args).subList(1, args.length));
    System.out.println(made.isEmpty() ? "TLS material in " + args[0] + " is up to date" : "made " + String.join(", ", made));
  }

  /** Makes what is missing or stale; returns the files it wrote. */
  public static List<String> ensure(Path directory, List<String> names) throws IOException {
    Files.createDirectories(directory);
    List<String> made = new ArrayList<>();
    Path caCert = directory.resolve("ca.pem");
    Path caKey = directory.resolve("private").resolve("ca-key.pem");
    CertificateAuthority ca;
    if (Files.exists(caCert) && Files.exists(caKey)) {
      ca = CertificateAuthority.load(caCert, caKey);
    } else {
      ca = CertificateAuthority.create("vertx-saga deployment CA", CA_VALIDITY);
      ca.writeTo(caCert, caKey);
      made.add("ca.pem");
    }
    for (String name : names) {
      Path cert = directory.resolve(name + ".pem");
      Path key = directory.resolve(name + "-key.pem");
      if (!stillGood(cert, key, ca)) {
        ca.issue(name, NODE_VALIDITY).writeTo(cert, key);
        made.add(name + ".pem");
      }
    }
    return made;
  }

  private static boolean stillGood(Path cert, Path key, CertificateAuthority ca) {
    if (!Files.exists(cert) || !Files.exists(key)) {
      return false;
    }
    try {
      X509Certificate existing = CertificateAuthority.readCertificate(cert);
      existing.verify(ca.certificate().getPublicKey());
      return existing.getNotAfter().toInstant().isAfter(Instant.now().plus(NodeCredentials.EXPIRY_WARNING));
    } catch (Exception e) {
      return false; // unreadable, or signed by another CA: issue anew
    }
  }
}
