package io.github.vertxsaga.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class GatewaySettingsTest {
  private static final String SECRET = "a-secret-of-at-least-thirty-two-bytes!";

  @Test
  @DisplayName("the gateway refuses to start without a token key: vertx-auth-jwt would accept unsigned tokens")
  void noKeyNoStart() {
    assertThatThrownBy(() -> GatewaySettings.from(env()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("JWT_SECRET");
  }

  @Test
  @DisplayName("a secret shorter than 32 bytes is refused")
  void shortSecret() {
    assertThatThrownBy(() -> GatewaySettings.from(env("JWT_SECRET", "too-short")))
        .hasMessageContaining("at least 32 bytes");
  }

  @Test
  @DisplayName("the built-in issuer needs the secret to sign with")
  void issuerNeedsSecret() {
    assertThatThrownBy(() -> GatewaySettings.from(env("JWT_JWKS_URL", "http://idp.test/jwks")))
        .hasMessageContaining("AUTH_ISSUER_ENABLED");
    assertThat(GatewaySettings.from(env("JWT_JWKS_URL", "http://idp.test/jwks", "AUTH_ISSUER_ENABLED", "false"))
        .issuerEnabled()).isFalse();
  }

  @Test
  @DisplayName("AUTH_USERS entries need a known role, and a bad one names the variable")
  void users() {
    assertThat(GatewaySettings.from(env("JWT_SECRET", SECRET, "AUTH_USERS", "a:pw:customer,b:pw:admin")).users())
        .hasSize(2);
    assertThatThrownBy(() -> GatewaySettings.from(env("JWT_SECRET", SECRET, "AUTH_USERS", "a:pw:root")))
        .hasMessageContaining("AUTH_USERS");
  }

  @Test
  @DisplayName("a malformed number names its variable")
  void malformedNumber() {
    assertThatThrownBy(() -> GatewaySettings.from(env("JWT_SECRET", SECRET, "GATEWAY_REQUEST_TIMEOUT_MS", "soon")))
        .hasMessageContaining("GATEWAY_REQUEST_TIMEOUT_MS");
  }

  @Test
  @DisplayName("a read's first attempt is never allowed longer than the request timeout")
  void readAttemptWithinRequestTimeout() {
    assertThat(GatewaySettings.from(env("JWT_SECRET", SECRET)).readAttemptMs()).isEqualTo(2_000);
    assertThat(GatewaySettings.from(env("JWT_SECRET", SECRET, "GATEWAY_REQUEST_TIMEOUT_MS", "500")).readAttemptMs())
        .isEqualTo(500);
    assertThatThrownBy(() -> GatewaySettings.from(env("JWT_SECRET", SECRET, "GATEWAY_READ_ATTEMPT_TIMEOUT_MS", "0")))
        .hasMessageContaining("GATEWAY_READ_ATTEMPT_TIMEOUT_MS");
  }

  /** These tests are about the gateway's own variables: TLS is off so its (separately tested) checks stay out of the way. */
  private static Map<String, String> env(String... pairs) {
    Map<String, String> env = new java.util.HashMap<>(Map.of("CLUSTER_TLS", "off"));
    for (int i = 0; i < pairs.length; i += 2) {
      env.put(pairs[i], pairs[i + 1]);
    }
    return env;
  }
}
