package io.github.vertxsaga.platform.tls;

import io.netty.handler.ssl.OpenSsl;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.JdkSSLEngineOptions;
import io.vertx.core.net.OpenSSLEngineOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.SSLEngineOptions;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a node proves itself with and whom it trusts, applied the same way to every channel between members: the
 * event bus (both ends present and check a certificate of the CA), a service's API port (requires one) and the
 * gateway's client (presents one, and checks that the instance's certificate names the service it was discovered as).
 *
 * <p>Every channel runs on OpenSSL (BoringSSL, from netty-tcnative) where its native library loads (Linux on x86-64),
 * on the JDK's SSLEngine elsewhere. The JDK engine's record encryption was 13 % of the gateway's CPU samples under
 * load; with BoringSSL a proxied GET cost the gateway 83 µs of CPU instead of 181, and the service 86 instead of 132
 * (bin/bench --quick --gateway). The same certificates and checks apply with either; the start-up log says which.
 */
public final class NodeCredentials {
  /** A certificate that expires sooner than this is logged as a warning at every start. */
  public static final Duration EXPIRY_WARNING = Duration.ofDays(14);
  private static final Logger log = LoggerFactory.getLogger(NodeCredentials.class);
  private static final SSLEngineOptions ENGINE =
      OpenSsl.isAvailable() ? new OpenSSLEngineOptions() : new JdkSSLEngineOptions();

  private final TlsSettings settings;
  private final List<X509Certificate> cas;

  private NodeCredentials(TlsSettings settings, List<X509Certificate> cas) {
    this.settings = settings;
    this.cas = cas;
  }

  /**
   * The node's credentials, checked now: the files parse, the certificate is valid today and chains to the CA. Logs
   * the certificate's subject and expiry, and warns when TLS is off or the certificate expires soon.
   */
  public static NodeCredentials load(String node, TlsSettings settings) {
    if (!settings.enabled()) {
      log.warn("{}: CLUSTER_TLS=off: the event bus and the service API accept any peer, without certificates. "
          + "For development only: any process that reaches the cluster port can read and forge events", node);
      return new NodeCredentials(settings, List.of());
    }
    X509Certificate certificate = all(settings.certFile().toString(), "TLS_CERT_FILE").get(0);
    List<X509Certificate> cas = all(settings.caFile().toString(), "TLS_CA_FILE");
    try {
      certificate.checkValidity();
    } catch (Exception e) {
      throw new IllegalArgumentException("TLS_CERT_FILE " + settings.certFile() + " is not valid now: " + e.getMessage(), e);
    }
    if (!signedByOneOf(certificate, cas)) {
      throw new IllegalArgumentException("TLS_CERT_FILE " + settings.certFile() + " is not signed by the CA in TLS_CA_FILE "
          + settings.caFile() + " (" + cas.size() + " certificate(s) there)");
    }
    Instant expires = certificate.getNotAfter().toInstant();
    log.info("{}: TLS on ({}), certificate subject=\"{}\" names={} expires={} issuer=\"{}\"", node, engine(),
        certificate.getSubjectX500Principal().getName(), dnsNames(certificate), expires,
        certificate.getIssuerX500Principal().getName());
    if (expires.isBefore(Instant.now().plus(EXPIRY_WARNING))) {
      log.warn("{}: the certificate in TLS_CERT_FILE expires on {}, within {} days: issue a new one from the same CA "
          + "and restart the node", node, expires, EXPIRY_WARNING.toDays());
    }
    return new NodeCredentials(settings, cas);
  }

  public boolean enabled() {
    return settings.enabled();
  }

  /** "openssl" and its version, or "jdk" with the reason OpenSSL could not be used. */
  public static String engine() {
    if (ENGINE instanceof OpenSSLEngineOptions) {
      return "openssl " + OpenSsl.versionString();
    }
    return "jdk (OpenSSL unavailable: " + OpenSsl.unavailabilityCause() + ")";
  }

  public TlsSettings settings() {
    return settings;
  }

  /** The deployment's CA certificates (two while a CA is being rotated); none when TLS is off. */
  public List<X509Certificate> cas() {
    return cas;
  }

  /** True when one of {@code cas} signed {@code certificate}. */
  public static boolean signedByOneOf(X509Certificate certificate, List<X509Certificate> cas) {
    for (X509Certificate ca : cas) {
      try {
        certificate.verify(ca.getPublicKey());
        return true;
      } catch (Exception e) {
        // not this one
      }
    }
    return false;
  }

  /** Event bus: every connection between members is TLS, and both ends show a certificate of the CA. */
  public EventBusOptions applyTo(EventBusOptions options) {
    if (!enabled()) {
      return options;
    }
    return options.setSsl(true).setSslEngineOptions(ENGINE.copy()).setClientAuth(ClientAuth.REQUIRED)
        .setKeyCertOptions(keyCert()).setTrustOptions(trust());
  }

  /** A service's API port: TLS, and no request without a client certificate of the CA. */
  public HttpServerOptions applyTo(HttpServerOptions options) {
    if (!enabled()) {
      return options;
    }
    return options.setSsl(true).setSslEngineOptions(ENGINE.copy()).setClientAuth(ClientAuth.REQUIRED)
        .setKeyCertOptions(keyCert()).setTrustOptions(trust());
  }

  /**
   * The gateway's client towards the services: presents the gateway's certificate, and verifies the instance's
   * certificate against the CA and, as a browser checks a host name, that it names the host the request is for;
   * the gateway asks for the service's name, so only that service's certificate passes.
   */
  public HttpClientOptions applyTo(HttpClientOptions options) {
    if (!enabled()) {
      return options;
    }
    return options.setSsl(true).setSslEngineOptions(ENGINE.copy()).setVerifyHost(true)
        .setKeyCertOptions(keyCert()).setTrustOptions(trust());
  }

  private PemKeyCertOptions keyCert() {
    return new PemKeyCertOptions().setCertPath(settings.certFile().toString()).setKeyPath(settings.keyFile().toString());
  }

  private PemTrustOptions trust() {
    return new PemTrustOptions().addCertPath(settings.caFile().toString());
  }

  private static List<X509Certificate> all(String file, String variable) {
    try (InputStream in = Files.newInputStream(java.nio.file.Path.of(file))) {
      Collection<? extends java.security.cert.Certificate> all = CertificateFactory.getInstance("X.509")
          .generateCertificates(in);
      if (all.isEmpty()) {
        throw new IllegalArgumentException(variable + " " + file + " holds no certificate");
      }
      return all.stream().map(X509Certificate.class::cast).toList();
    } catch (IOException | CertificateException e) {
      throw new IllegalArgumentException(variable + " " + file + " is not a PEM certificate: " + e.getMessage(), e);
    }
  }

  static List<String> dnsNames(X509Certificate certificate) {
    List<String> names = new ArrayList<>();
    try {
      Collection<List<?>> alternatives = certificate.getSubjectAlternativeNames();
      if (alternatives != null) {
        for (List<?> name : alternatives) {
          if (Integer.valueOf(2).equals(name.get(0))) {
            names.add(String.valueOf(name.get(1)));
          }
        }
      }
    } catch (CertificateParsingException e) {
      // names are for the log only
    }
    return names;
  }
}
