package io.github.vertxsaga.platform.outbox;

import io.github.vertxsaga.platform.testing.TestDatabases;
import io.github.vertxsaga.platform.testing.TestDatabases.Kind;
import io.vertx.junit5.VertxExtension;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What the outbox tests share: each test runs once per available database ({@code @MethodSource("databases")}: H2,
 * and PostgreSQL when the build names a server), on a fresh {@link OutboxBed} that is closed after it.
 */
@ExtendWith(VertxExtension.class)
abstract class OnEveryDatabase {
  protected OutboxBed bed;

  static List<Kind> databases() {
    return TestDatabases.available();
  }

  @BeforeAll
  static void postgresWhenRequired() {
    TestDatabases.assertPostgresWhenRequired();
  }

  @AfterEach
  void closeBed() {
    if (bed != null) {
      bed.close();
    }
  }
}
