package io.github.vertxsaga.platform.discovery;

import static io.github.vertxsaga.platform.testing.Eventually.result;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.vertxsaga.platform.cluster.ClusterNode;
import io.github.vertxsaga.platform.tls.NodeCredentials;
import io.github.vertxsaga.platform.tls.TlsSettings;
import io.github.vertxsaga.platform.testing.Eventually;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.servicediscovery.Record;
import io.vertx.servicediscovery.ServiceDiscovery;
import io.vertx.servicediscovery.types.HttpEndpoint;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The stale-record janitor")
class StaleRecordJanitorTest {
  private Vertx vertx;
  private ServiceDiscovery discovery;
  private final AtomicReference<Set<String>> members = new AtomicReference<>(Set.of("node-a"));

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    discovery = ServiceDiscovery.create(vertx);
  }

  @AfterEach
  void stop() {
    discovery.close();
    result(vertx.close());
  }

  @Test
  @DisplayName("removes the records of departed nodes, and keeps one published by a node that joined during the sweep")
  void judgesRecordsByTheMembersAfterReadingThem() {
    Record alive = result(discovery.publish(record("inventory-service", 8001, "node-a")));
    Record departed = result(discovery.publish(record("inventory-service", 8002, "node-gone")));
    Record joiner = record("inventory-service", 8003, "node-b");
    // A slow read: while it is under way node-b joins the cluster and publishes its record.
    ServiceDiscovery slowRead = (ServiceDiscovery) Proxy.newProxyInstance(getClass().getClassLoader(),
        new Class<?>[] {ServiceDiscovery.class}, (proxy, method, args) -> {
          if (method.getName().equals("getRecords") && args != null && args.length == 2) {
            members.set(Set.of("node-a", "node-b"));
            return discovery.publish(joiner).compose(published -> (Future<?>) invoke(method, args));
          }
          return invoke(method, args);
        });
    HazelcastClusterManager membership = new HazelcastClusterManager() {
      @Override
      public List<String> getNodes() {
        return List.copyOf(members.get());
      }
    };
    new StaleRecordJanitor(new ClusterNode(vertx, membership, NodeCredentials.load("test", TlsSettings.OFF)), slowRead,
        60_000).sweep();

    Eventually.until("the departed node's record is removed", () -> registrations().stream()
        .noneMatch(departed.getRegistration()::equals));
    assertThat(registrations()).contains(alive.getRegistration());
    assertThat(result(discovery.getRecords(record -> true))).extracting(record -> record.getLocation().getInteger("port"))
        .as("the record of the node that joined during the sweep").contains(8003);
  }

  private Object invoke(java.lang.reflect.Method method, Object[] args) {
    try {
      return method.invoke(discovery, args);
    } catch (InvocationTargetException e) {
      throw new IllegalStateException(e.getCause());
    } catch (IllegalAccessException e) {
      throw new IllegalStateException(e);
    }
  }

  private List<String> registrations() {
    return result(discovery.getRecords(record -> true)).stream().map(Record::getRegistration).toList();
  }

  private static Record record(String service, int port, String node) {
    return HttpEndpoint.createRecord(service, "127.0.0.1", port, "/", new JsonObject()
        .put(ServiceRegistration.NODE, node).put(ServiceRegistration.INSTANCE, "instance-" + port));
  }
}
