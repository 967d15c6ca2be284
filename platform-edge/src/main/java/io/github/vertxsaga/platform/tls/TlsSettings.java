package io.github.vertxsaga.platform.tls;

import io.github.vertxsaga.platform.config.Env;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The node's TLS material, PEM files named by the environment: the deployment's CA, which every peer's certificate
 * must chain to, and this node's own certificate and private key. With TLS on (the default), the event bus and the
 * services' API ports accept only peers holding a certificate of that CA.
 *
 * @param enabled  {@code CLUSTER_TLS}: {@code on} (default) or {@code off}, for development only
 * @param caFile   {@code TLS_CA_FILE}: the CA certificate
 * @param certFile {@code TLS_CERT_FILE}: this node's certificate (its chain, leaf first)
 * @param keyFile  {@code TLS_KEY_FILE}: this node's private key, PKCS#8
 */
public record TlsSettings(boolean enabled, Path caFile, Path certFile, Path keyFile) {
  public static final TlsSettings OFF = new TlsSettings(false, null, null, null);

  public TlsSettings {
    if (enabled) {
      List<String> missing = new ArrayList<>();
      check(caFile, "TLS_CA_FILE", missing);
      check(certFile, "TLS_CERT_FILE", missing);
      check(keyFile, "TLS_KEY_FILE", missing);
      if (!missing.isEmpty()) {
        throw new IllegalArgumentException("TLS is on (CLUSTER_TLS) but its material is missing: "
            + String.join("; ", missing) + ". Set TLS_CA_FILE, TLS_CERT_FILE and TLS_KEY_FILE to PEM files (bin/run makes "
            + "them under data/tls), or CLUSTER_TLS=off for development only");
      }
    }
  }

  public static TlsSettings from(Env env) {
    String mode = env.string("CLUSTER_TLS", "on").toLowerCase();
    boolean enabled = switch (mode) {
      case "on", "true" -> true;
      case "off", "false" -> false;
      default -> throw new IllegalArgumentException("CLUSTER_TLS must be on or off, got '" + mode + "'");
    };
    if (!enabled) {
      return OFF;
    }
    return new TlsSettings(true, path(env, "TLS_CA_FILE"), path(env, "TLS_CERT_FILE"), path(env, "TLS_KEY_FILE"));
  }

  private static Path path(Env env, String name) {
    String value = env.string(name, null);
    return value == null ? null : Path.of(value);
  }

  private static void check(Path file, String variable, List<String> missing) {
    if (file == null) {
      missing.add(variable + " is not set");
    } else if (!Files.isReadable(file)) {
      missing.add(variable + "=" + file + " is not a readable file");
    }
  }
}
