package io.github.vertxsaga.platform.testing;

import io.github.vertxsaga.platform.tls.CertificateAuthority;
import io.github.vertxsaga.platform.tls.CertificateFiles;
import io.github.vertxsaga.platform.tls.TlsSettings;
import java.io.IOException;
import java.io.InputStream;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The tests' deployment CA and a certificate per node name, made once per test JVM in a temporary directory the
 * same way bin/run makes them, so every test runs with mutual TLS on, as a deployment does.
 */
public final class TestCertificates {
  /** The names the tests start nodes under; each gets its certificate up front. */
  public static final List<String> NODES = List.of("gateway", "order-service", "inventory-service", "operator");
  private static Path directory;

  private TestCertificates() {
  }

  /** Where the material is: {@code ca.pem}, {@code <name>.pem}, {@code <name>-key.pem}. */
  public static synchronized Path directory() {
    if (directory == null) {
      try {
        Path made = Files.createTempDirectory("saga-tls-");
        CertificateFiles.ensure(made, NODES);
        directory = made;
      } catch (IOException e) {
        throw new UncheckedIOException("cannot make the tests' certificates", e);
      }
    }
    return directory;
  }

  /** The TLS settings of a node that runs as {@code name} (one of {@link #NODES}). */
  public static TlsSettings settings(String name) {
    Path dir = directory();
    return new TlsSettings(true, dir.resolve("ca.pem"), dir.resolve(name + ".pem"), dir.resolve(name + "-key.pem"));
  }

  /** The same, as the environment variables a JVM of that node reads. */
  public static Map<String, String> environment(String name) {
    TlsSettings tls = settings(name);
    return Map.of("CLUSTER_TLS", "on", "TLS_CA_FILE", tls.caFile().toString(),
        "TLS_CERT_FILE", tls.certFile().toString(), "TLS_KEY_FILE", tls.keyFile().toString());
  }

  /**
   * A new certificate and key for {@code name} from the same CA, in files of their own, as the variables a restarted
   * JVM reads: what a rotation of node certificates hands each node.
   */
  public static Map<String, String> reissued(String name) {
    try {
      Path dir = Files.createTempDirectory("saga-tls-reissued-");
      CertificateAuthority ca = CertificateAuthority.load(directory().resolve("ca.pem"),
          directory().resolve("private").resolve("ca-key.pem"));
      ca.issue(name, Duration.ofDays(30)).writeTo(dir.resolve(name + ".pem"), dir.resolve(name + "-key.pem"));
      return Map.of("TLS_CERT_FILE", dir.resolve(name + ".pem").toString(),
          "TLS_KEY_FILE", dir.resolve(name + "-key.pem").toString());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot reissue a certificate for " + name, e);
    }
  }

  /**
   * A JDK TLS context that presents {@code name}'s certificate and trusts the tests' CA: what a test's HTTP client
   * needs to call a service's API port, which asks every caller for a certificate of the CA. (The certificates name
   * services, not hosts; the test JVM turns the JDK client's host check off, see the surefire configuration.)
   */
  public static SSLContext sslContext(String name) {
    TlsSettings tls = settings(name);
    try {
      CertificateFactory x509 = CertificateFactory.getInstance("X.509");
      Certificate[] chain;
      try (InputStream in = Files.newInputStream(tls.certFile())) {
        chain = x509.generateCertificates(in).toArray(Certificate[]::new);
      }
      String pem = Files.readString(tls.keyFile()).replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
      PrivateKey key = KeyFactory.getInstance(chain[0].getPublicKey().getAlgorithm())
          .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(pem)));
      KeyStore keys = KeyStore.getInstance("PKCS12");
      keys.load(null, null);
      keys.setKeyEntry(name, key, new char[0], chain);
      KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      keyManagers.init(keys, new char[0]);
      KeyStore trusted = KeyStore.getInstance("PKCS12");
      trusted.load(null, null);
      try (InputStream in = Files.newInputStream(tls.caFile())) {
        trusted.setCertificateEntry("ca", x509.generateCertificate(in));
      }
      TrustManagerFactory trustManagers = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      trustManagers.init(trusted);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(keyManagers.getKeyManagers(), trustManagers.getTrustManagers(), null);
      return context;
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot make a TLS context for " + name + ": " + e.getMessage(), e);
    }
  }

  /**
   * Material for {@code name} from a CA of its own, which the deployment does not trust: what an intruder who made
   * a certificate for itself would hold.
   */
  public static TlsSettings foreign(String name) {
    try {
      Path dir = Files.createTempDirectory("saga-foreign-tls-");
      CertificateAuthority other = CertificateAuthority.create("someone else's CA", Duration.ofDays(30));
      other.writeTo(dir.resolve("ca.pem"), dir.resolve("ca-key.pem"));
      other.issue(name, Duration.ofDays(30)).writeTo(dir.resolve(name + ".pem"), dir.resolve(name + "-key.pem"));
      return new TlsSettings(true, dir.resolve("ca.pem"), dir.resolve(name + ".pem"), dir.resolve(name + "-key.pem"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot make a foreign certificate", e);
    }
  }
}
