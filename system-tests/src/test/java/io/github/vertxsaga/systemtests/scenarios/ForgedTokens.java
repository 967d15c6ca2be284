package io.github.vertxsaga.systemtests.scenarios;

import io.github.vertxsaga.platform.auth.AuthSettings;
import io.github.vertxsaga.platform.testing.TestTokens;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** JSON Web Tokens made by hand, to be refused: expired, tampered with, unsigned, signed with another key, ... */
final class ForgedTokens {
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

  private ForgedTokens() {
  }

  static JsonObject claims(String subject, String role, long expiresInSeconds) {
    long now = System.currentTimeMillis() / 1000;
    return new JsonObject().put("sub", subject).put("role", role).put("iss", AuthSettings.DEFAULT_ISSUER)
        .put("aud", new JsonArray().add(AuthSettings.DEFAULT_AUDIENCE)).put("iat", now).put("exp", now + expiresInSeconds);
  }

  /** HS256 over header and claims with {@code secret}. */
  static String sign(JsonObject header, JsonObject claims, String secret) {
    String signingInput = part(header.encode()) + "." + part(claims.encode());
    return signingInput + "." + B64.encodeToString(hmac(signingInput, secret));
  }

  static String sign(JsonObject claims) {
    return sign(new JsonObject().put("alg", "HS256").put("typ", "JWT"), claims, TestTokens.SECRET);
  }

  /** Every kind of bad token, by what is wrong with it. */
  static Map<String, String> all() {
    JsonObject hs256 = new JsonObject().put("alg", "HS256").put("typ", "JWT");
    String valid = sign(claims("alice", "customer", 3_600));
    String[] parts = valid.split("\\.");
    Map<String, String> tokens = new LinkedHashMap<>();
    tokens.put("expired", sign(claims("alice", "customer", -120)));
    tokens.put("expired long ago", sign(claims("alice", "admin", -86_400 * 400L)));
    tokens.put("payload changed to admin, old signature", parts[0] + "." + part(claims("alice", "admin", 3_600).encode())
        + "." + parts[2]);
    tokens.put("signature flipped", parts[0] + "." + parts[1] + "." + flip(parts[2]));
    tokens.put("signature removed", parts[0] + "." + parts[1] + ".");
    tokens.put("alg none", part(new JsonObject().put("alg", "none").encode()) + "." + parts[1] + ".");
    tokens.put("alg None", part(new JsonObject().put("alg", "None").encode()) + "." + parts[1] + "." + parts[2]);
    tokens.put("alg RS256 with the HMAC", sign(new JsonObject().put("alg", "RS256"), claims("alice", "admin", 3_600),
        TestTokens.SECRET));
    tokens.put("another secret", sign(hs256, claims("alice", "admin", 3_600), "another-secret-0123456789abcdef-0123456789"));
    tokens.put("wrong issuer", sign(claims("alice", "admin", 3_600).put("iss", "evil")));
    tokens.put("wrong audience", sign(claims("alice", "admin", 3_600).put("aud", new JsonArray().add("other-api"))));
    tokens.put("no expiry", sign(withoutField(claims("alice", "admin", 3_600), "exp")));
    tokens.put("no subject", sign(withoutField(claims("alice", "admin", 3_600), "sub")));
    tokens.put("blank subject", sign(claims(" ", "admin", 3_600)));
    tokens.put("expiry as a string", sign(claims("alice", "admin", 3_600).put("exp", "9999999999")));
    tokens.put("not yet valid", sign(claims("alice", "admin", 3_600).put("nbf", System.currentTimeMillis() / 1000
        + 3_600)));
    tokens.put("two parts", parts[0] + "." + parts[1]);
    tokens.put("four parts", valid + ".xyz");
    tokens.put("header not JSON", part("not json") + "." + parts[1] + "." + parts[2]);
    tokens.put("header not base64", "!!!." + parts[1] + "." + parts[2]);
    tokens.put("payload not JSON", parts[0] + "." + part("[1,2") + "." + parts[2]);
    tokens.put("empty", "");
    tokens.put("dots only", "..");
    tokens.put("huge", "a".repeat(12_000) + "." + parts[1] + "." + parts[2]);
    tokens.put("unicode", "\u00e9\u00e9\u00e9." + parts[1] + "." + parts[2]);
    return tokens;
  }

  private static JsonObject withoutField(JsonObject json, String field) {
    json.remove(field);
    return json;
  }

  private static String flip(String signature) {
    char first = signature.charAt(0);
    return (first == 'A' ? 'B' : 'A') + signature.substring(1);
  }

  private static String part(String json) {
    return B64.encodeToString(json.getBytes(StandardCharsets.UTF_8));
  }

  private static byte[] hmac(String input, String secret) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return mac.doFinal(input.getBytes(StandardCharsets.US_ASCII));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
