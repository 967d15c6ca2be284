package io.github.vertxsaga.gateway;

import io.github.vertxsaga.events.ServiceNames;
import io.github.vertxsaga.platform.auth.TokenVerifier;
import io.github.vertxsaga.platform.cluster.ClusterNode;
import io.github.vertxsaga.platform.node.NodeLifecycle;
import io.github.vertxsaga.platform.node.NodeRole;
import io.github.vertxsaga.platform.node.NodeState;
import io.github.vertxsaga.platform.node.RunningNode;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.openapi.contract.OpenAPIContract;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's role in the common node lifecycle: it follows discovery and serves HTTP, one verticle instance per
 * event loop. It publishes nothing (clients find it by its address) and prepares nothing (it has no database).
 *
 * <p>On SIGTERM it drains like every node: for {@code SHUTDOWN_GRACE_MS} it keeps serving, but {@code /ready} answers
 * 503 (a balancer stops sending it new requests) and every response carries {@code Connection: close}; only then do
 * its servers close. Closing at once would cut idle keep-alive connections under requests their clients are sending
 * at that moment: a POST lost that way cannot be retried safely.
 */
public final class Gateway implements NodeRole<AutoCloseable> {
  private static final Logger log = LoggerFactory.getLogger(Gateway.class);

  private final GatewaySettings settings;
  private final TokenVerifier.Factory verifiers;

  private Gateway(GatewaySettings settings, TokenVerifier.Factory verifiers) {
    this.settings = settings;
    this.verifiers = verifiers;
  }

  public static void main(String[] args) {
    launch(GatewaySettings.from(System.getenv()), TokenVerifier.Factory.JWT);
  }

  /** Starts the gateway from a {@code main}, with the verifier {@code verifiers} makes. */
  public static void launch(GatewaySettings settings, TokenVerifier.Factory verifiers) {
    NodeLifecycle.launch(new Gateway(settings, verifiers));
  }

  public static Future<RunningNode> start(GatewaySettings settings) {
    return start(settings, TokenVerifier.Factory.JWT);
  }

  /** A gateway whose bearer tokens are verified by {@code verifiers}' verifier (the product's is JWT). */
  public static Future<RunningNode> start(GatewaySettings settings, TokenVerifier.Factory verifiers) {
    return NodeLifecycle.start(new Gateway(settings, verifiers));
  }

  @Override
  public Identity identity() {
    return new Identity(ServiceNames.GATEWAY, settings.cluster(), settings.shutdownGraceMs(), settings.tracing());
  }

  @Override
  public AutoCloseable prepare() {
    return () -> {
    };
  }

  @Override
  public Future<Optional<Endpoint>> deploy(ClusterNode node, AutoCloseable nothing, NodeState state) {
    Vertx vertx = node.vertx();
    JsonObject document = document();
    UpstreamDirectory directory = new UpstreamDirectory(vertx, settings, Set.copyOf(GatewayVerticle.DOWNSTREAMS));
    Future<OpenAPIContract> contract = OpenAPIContract.from(vertx, document.copy()).map(PrebuiltValidators::of);
    Future<TokenVerifier> tokens = verifiers.create(vertx, settings.auth());
    return Future.all(contract, tokens, directory.start())
        .compose(ready -> vertx.deployVerticle(() -> new GatewayVerticle(settings, document, contract.result(),
                directory, tokens.result(), () -> node.clusterManager().isActive(), state, node.credentials()),
            new DeploymentOptions().setInstances(settings.instances())))
        .map(deployed -> {
          log.info("gateway listening on port {}", settings.httpPort());
          return Optional.empty();
        });
  }

  /** The published contract as packaged in the jar, served as written; the router is built from it. */
  static JsonObject document() {
    try (var in = Gateway.class.getResourceAsStream("/openapi.json")) {
      if (in == null) {
        throw new IllegalStateException("openapi.json is missing from the gateway jar");
      }
      return new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new IllegalStateException("cannot read openapi.json", e);
    }
  }
}
