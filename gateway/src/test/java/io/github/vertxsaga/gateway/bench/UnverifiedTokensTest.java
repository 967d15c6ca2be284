package io.github.vertxsaga.gateway.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.vertxsaga.platform.auth.TokenVerifier;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The benchmark's verifier is compiled and checked by every build, so it cannot drift from the interface. */
class UnverifiedTokensTest {

  @Test
  @DisplayName("the benchmark's verifier takes any non-empty token as the same customer and refuses an empty one")
  void acceptsAnyNonEmptyToken() {
    UnverifiedTokens tokens = new UnverifiedTokens();
    assertThat(tokens.verify("anything").await()).isEqualTo(UnverifiedTokens.ANYONE);
    assertThatThrownBy(() -> tokens.verify("").await()).isInstanceOf(TokenVerifier.InvalidToken.class);
  }
}
