package io.github.vertxsaga.gateway;

import io.github.vertxsaga.platform.auth.TokenVerifier;
import io.github.vertxsaga.platform.cluster.ClusterNode;
import io.github.vertxsaga.platform.discovery.StaleRecordJanitor;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.servicediscovery.ServiceDiscovery;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The gateway process: joins the cluster, follows discovery, serves HTTP. */
public final class Gateway {
  private static final Logger log = LoggerFactory.getLogger(Gateway.class);

  private final ClusterNode node;
  private final GatewaySettings settings;
  private final AtomicBoolean draining;

  private Gateway(ClusterNode node, GatewaySettings settings, AtomicBoolean draining) {
    this.node = node;
    this.settings = settings;
    this.draining = draining;
  }

  public static void main(String[] args) {
    long started = System.nanoTime();
    GatewaySettings settings = GatewaySettings.from(System.getenv());
    start(settings)
        .onSuccess(gateway -> {
          Runtime.getRuntime().addShutdownHook(new Thread(gateway::stopAndWait, "gateway-shutdown"));
          log.info("gateway listening on port {}, ready in {} ms", settings.httpPort(),
              TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        })
        .onFailure(e -> {
          log.error("gateway failed to start: {}", e.toString(), e);
          System.exit(1);
        });
  }

  public static Future<Gateway> start(GatewaySettings settings) {
    log.info("starting gateway port={} cluster={} host={} members={}", settings.httpPort(), settings.cluster().name(),
        settings.cluster().host(), settings.cluster().members());
    return ClusterNode.start(settings.cluster()).compose(node -> {
      Vertx vertx = node.vertx();
      UpstreamDirectory directory = new UpstreamDirectory(vertx, settings, Set.copyOf(GatewayVerticle.DOWNSTREAMS));
      JsonObject document = document();
      AtomicBoolean draining = new AtomicBoolean();
      return Future.all(OpenAPIContract.from(vertx, document.copy()).map(PrebuiltValidators::of),
              TokenVerifier.create(vertx, settings.auth()),
              directory.start())
          .compose(started -> vertx.deployVerticle(new StaleRecordJanitor(node, ServiceDiscovery.create(vertx),
                  StaleRecordJanitor.DEFAULT_INTERVAL_MS))
              .compose(v -> vertx.deployVerticle(() -> new GatewayVerticle(settings, document, started.resultAt(0), directory,
                  started.resultAt(1), () -> node.clusterManager().isActive(), draining::get),
                  new DeploymentOptions().setInstances(settings.instances()))))
          .map(v -> new Gateway(node, settings, draining))
          .recover(e -> vertx.close().transform(ignored -> Future.failedFuture(e)));
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

  /**
   * Drains, then stops. For {@code SHUTDOWN_GRACE_MS} the gateway keeps serving, but {@code /ready} answers 503 (a
   * balancer stops sending it new requests) and every response carries {@code Connection: close} (a keep-alive
   * client opens its next connection elsewhere instead of reusing this one); only then does the HTTP server close,
   * finishing what is in flight, and the node leave the cluster. Closing at once would cut idle keep-alive
   * connections under requests their clients are sending at that moment: a POST lost that way cannot be retried
   * safely.
   */
  public Future<Void> stop() {
    Vertx vertx = node.vertx();
    draining.set(true);
    log.info("stopping gateway: draining for {} ms", settings.shutdownGraceMs());
    Promise<Void> drained = Promise.promise();
    vertx.setTimer(Math.max(1, settings.shutdownGraceMs()), id -> drained.complete());
    return drained.future().compose(v -> vertx.close()).onComplete(ar -> log.info("gateway stopped"));
  }

  private void stopAndWait() {
    try {
      stop().toCompletionStage().toCompletableFuture().get(settings.shutdownGraceMs() + 10_000, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      log.warn("gateway shutdown did not complete cleanly: {}", e.toString());
    }
  }
}
