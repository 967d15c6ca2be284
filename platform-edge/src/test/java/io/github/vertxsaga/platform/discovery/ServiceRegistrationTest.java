package io.github.vertxsaga.platform.discovery;

import static io.github.vertxsaga.platform.testing.Eventually.result;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.vertxsaga.platform.testing.Eventually;
import io.vertx.core.Vertx;
import io.vertx.servicediscovery.Record;
import io.vertx.servicediscovery.ServiceDiscovery;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("A service's discovery record")
class ServiceRegistrationTest {
  private static final long CHECK_MS = 100;

  private Vertx vertx;
  private ServiceDiscovery discovery;
  private ServiceRegistration registration;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    discovery = ServiceDiscovery.create(vertx);
    registration = new ServiceRegistration(discovery);
  }

  @AfterEach
  void stop() {
    discovery.close();
    result(vertx.close());
  }

  @Test
  @DisplayName("is published again when it disappears while the service runs, and not after it was unpublished")
  void comesBackUntilUnpublished() throws InterruptedException {
    Record first = result(registration.publish("inventory-service", "127.0.0.1", 8001, "node-a"));
    registration.keepPublished(vertx, CHECK_MS);

    result(discovery.unpublish(first.getRegistration())); // a janitor removed it by mistake
    Record again = Eventually.value("the record is back", Eventually.DEFAULT_LIMIT, () -> mine().stream().findFirst());
    assertThat(again.getRegistration()).isNotEqualTo(first.getRegistration());
    assertThat(again.getLocation().getInteger("port")).isEqualTo(8001);
    assertThat(again.getMetadata().getString(ServiceRegistration.NODE)).isEqualTo("node-a");

    result(registration.unpublish());
    Thread.sleep(10 * CHECK_MS); // ten checks' worth: what must not happen has had every chance to
    assertThat(mine()).as("records of a service that unpublished itself").isEmpty();
  }

  @Test
  @DisplayName("is listed once: a second record of the instance, brought back by a merge, is removed")
  void keepsOneRecordPerInstance() {
    Record first = result(registration.publish("inventory-service", "127.0.0.1", 8001, "node-a"));
    registration.keepPublished(vertx, CHECK_MS);
    // What a merge does when the instance had republished a record the other half still held: two of them.
    Record copy = result(discovery.publish(new Record(first.toJson()).setRegistration(null)));
    assertThat(copy.getRegistration()).isNotEqualTo(first.getRegistration());

    Eventually.until("one record of the instance is left", Eventually.DEFAULT_LIMIT, () -> mine().size() == 1);
    assertThat(mine().get(0).getRegistration()).as("the instance keeps its own registration")
        .isEqualTo(first.getRegistration());
    result(registration.unpublish());
    assertThat(mine()).as("records after unpublishing").isEmpty();
  }

  private List<Record> mine() {
    return result(discovery.getRecords(record -> registration.instanceId()
        .equals(record.getMetadata().getString(ServiceRegistration.INSTANCE))));
  }
}
