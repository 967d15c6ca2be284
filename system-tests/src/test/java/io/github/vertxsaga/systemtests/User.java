package io.github.vertxsaga.systemtests;

import io.github.vertxsaga.platform.testing.TestTokens;
import io.vertx.core.Vertx;
import java.util.concurrent.TimeUnit;

/**
 * Who a request is sent as ({@link Http#as(User)}): the accounts of {@link TestTokens#USERS}, which every gateway the
 * tests start knows, each with a bearer token signed with the shared {@link TestTokens#SECRET}, as the gateway's
 * issuer would sign it. Tokens are minted once per test JVM and last an hour.
 */
public enum User {
  ADMIN("admin", "admin"),
  ALICE("alice", "customer"),
  BOB("bob", "customer");

  private final String name;
  private final String role;

  User(String name, String role) {
    this.name = name;
    this.role = role;
  }

  public String userName() {
    return name;
  }

  public String role() {
    return role;
  }

  /** The bearer token itself. */
  public String token() {
    return Minted.TOKENS[ordinal()];
  }

  /** Minted on first use: signing needs a Vert.x instance, which is closed again at once. */
  private static final class Minted {
    static final String[] TOKENS = mint();

    private static String[] mint() {
      Vertx vertx = Vertx.vertx();
      try {
        User[] users = values();
        String[] tokens = new String[users.length];
        for (User user : users) {
          tokens[user.ordinal()] = TestTokens.token(vertx, user.name, user.role);
        }
        return tokens;
      } finally {
        vertx.close().toCompletionStage().toCompletableFuture().orTimeout(10, TimeUnit.SECONDS).join();
      }
    }
  }
}
