package io.github.vertxsaga.platform.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.vertxsaga.platform.config.Env;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("The deployment's TLS material")
class CertificateFilesTest {

  @Test
  @DisplayName("is made once, kept on the next start, and a certificate of another CA is issued anew")
  void madeOnceAndKept(@TempDir Path dir) throws Exception {
    assertThat(CertificateFiles.ensure(dir, List.of("gateway", "order-service")))
        .containsExactly("ca.pem", "gateway.pem", "order-service.pem");
    assertThat(CertificateFiles.ensure(dir, List.of("gateway", "order-service"))).isEmpty();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("private/ca-key.pem"))))
        .isEqualTo("rw-------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("gateway-key.pem"))))
        .isEqualTo("rw-------");

    CertificateAuthority other = CertificateAuthority.create("another CA", Duration.ofDays(1));
    other.issue("gateway", Duration.ofDays(30)).writeTo(dir.resolve("gateway.pem"), dir.resolve("gateway-key.pem"));
    assertThat(CertificateFiles.ensure(dir, List.of("gateway", "order-service"))).containsExactly("gateway.pem");

    TlsSettings gateway = new TlsSettings(true, dir.resolve("ca.pem"), dir.resolve("gateway.pem"),
        dir.resolve("gateway-key.pem"));
    NodeCredentials credentials = NodeCredentials.load("gateway", gateway);
    assertThat(NodeCredentials.dnsNames(CertificateAuthority.readCertificate(dir.resolve("gateway.pem"))))
        .containsExactly("gateway");
    assertThat(MemberAttestation.sign("node-1", gateway).provesMember("node-1", credentials.cas())).isTrue();
    assertThat(MemberAttestation.sign("node-1", gateway).provesMember("node-2", credentials.cas()))
        .as("an attestation copied onto another node id").isFalse();
  }

  @Test
  @DisplayName("refuses a certificate of another CA at start, naming the files")
  void foreignCertificateRefused(@TempDir Path dir) throws Exception {
    CertificateFiles.ensure(dir, List.of("gateway"));
    CertificateAuthority other = CertificateAuthority.create("another CA", Duration.ofDays(1));
    other.issue("gateway", Duration.ofDays(30)).writeTo(dir.resolve("x.pem"), dir.resolve("x-key.pem"));
    TlsSettings foreign = new TlsSettings(true, dir.resolve("ca.pem"), dir.resolve("x.pem"), dir.resolve("x-key.pem"));
    assertThatThrownBy(() -> NodeCredentials.load("gateway", foreign))
        .hasMessageContaining("TLS_CERT_FILE").hasMessageContaining("TLS_CA_FILE");
  }

  @Test
  @DisplayName("is required unless CLUSTER_TLS=off, and a JVM without it names the variables")
  void requiredUnlessOff() {
    assertThatThrownBy(() -> TlsSettings.from(new Env(Map.of())))
        .hasMessageContaining("TLS_CA_FILE is not set").hasMessageContaining("TLS_CERT_FILE is not set")
        .hasMessageContaining("TLS_KEY_FILE is not set").hasMessageContaining("CLUSTER_TLS=off");
    assertThatThrownBy(() -> TlsSettings.from(new Env(Map.of("TLS_CA_FILE", "/nowhere/ca.pem"))))
        .hasMessageContaining("TLS_CA_FILE=/nowhere/ca.pem is not a readable file");
    assertThat(TlsSettings.from(new Env(Map.of("CLUSTER_TLS", "off"))).enabled()).isFalse();
    assertThatThrownBy(() -> TlsSettings.from(new Env(Map.of("CLUSTER_TLS", "maybe"))))
        .hasMessageContaining("CLUSTER_TLS must be on or off");
  }
}
