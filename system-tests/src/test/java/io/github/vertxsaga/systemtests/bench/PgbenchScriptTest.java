package io.github.vertxsaga.systemtests.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.vertxsaga.events.ServiceNames;
import io.github.vertxsaga.systemtests.bench.PgbenchScript.Statement;
import io.github.vertxsaga.systemtests.bench.PgbenchScript.Transaction;
import io.github.vertxsaga.systemtests.process.Service;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * {@code bench/pgbench-saga.sql} is a hand copy of what the services do to their databases for one order, so that
 * bin/bench can set PostgreSQL's own rate beside the saga's; this keeps the copy true to the services as they change.
 *
 * <p>Where the truth is read from, and why:
 * <ul>
 *   <li>The schema from the migrations, as Flyway applies them ({@code db/migration/platform} and
 *   {@code db/migration/<service>}, the locations ServiceHost gives it, in version order), read from the class path:
 *   bin/bench builds the pgbench database from the same files.</li>
 *   <li>The statements from the services' compiled classes, not from their source. The SQL a repository hands to
 *   {@code prepareStatement} is one string constant there: a text block already without its indentation, literals
 *   and {@code static final} constants joined with {@code +} already folded by javac ({@code "SELECT " + COLUMNS +
 *   " FROM orders WHERE id = ?"}), so what is compared is the very text the service sends, and no Java parser is
 *   needed. A statement put together at run time (the filters of a list query) is no constant; the script copies
 *   none of those.</li>
 * </ul>
 * Statements are compared by {@link SqlShape}: values and layout aside, the same keywords, names and operators.
 */
@DisplayName("bench/pgbench-saga.sql")
class PgbenchScriptTest {
  /** The schemas bin/bench makes in the pgbench database, one per service database. */
  private static final Map<String, String> SERVICE_OF_SCHEMA = Map.of(
      "orders", ServiceNames.ORDER_SERVICE, "inventory", ServiceNames.INVENTORY_SERVICE);
  /** Each service's own package; the other classes (the platform's outbox and inbox) serve every service. */
  private static final Map<String, String> PACKAGE_OF_SERVICE = Map.of(
      ServiceNames.ORDER_SERVICE, "io/github/vertxsaga/order/",
      ServiceNames.INVENTORY_SERVICE, "io/github/vertxsaga/inventory/");
  private static final Pattern SQL = Pattern.compile("(?is)\\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\\s.*");
  private static final Pattern INSERT = Pattern.compile("(?is)INSERT\\s+INTO\\s+(\\w+)\\.(\\w+)\\s*\\(([^)]*)\\).*");
  private static final Pattern UPDATE = Pattern.compile("(?is)UPDATE\\s+(\\w+)\\.(\\w+)\\s+SET\\s+(.*?)(\\s+WHERE\\s.*)?");
  private static final Pattern SELECT = Pattern.compile("(?is)SELECT\\s+(.*?)\\s+FROM\\s+(\\w+)\\.(\\w+)\\b.*");
  private static final Pattern RETURNING = Pattern.compile("(?is)\\s+RETURNING\\s.*$");

  private static String script;
  private static final Map<String, MigrationSchema> schemas = new HashMap<>();
  private static final Map<String, List<String>> constants = new HashMap<>();
  private static final Map<String, Set<String>> shapes = new HashMap<>();

  @BeforeAll
  static void load() throws IOException {
    script = Files.readString(Service.projectRoot().resolve("bench/pgbench-saga.sql"));
    Map<String, byte[]> classes = MainClasspath.files("io/github/vertxsaga/");
    SERVICE_OF_SCHEMA.forEach((schema, service) -> {
      Map<String, String> migrations = new TreeMap<>();
      for (String folder : List.of("db/migration/platform/", "db/migration/" + service + "/")) {
        MainClasspath.files(folder).forEach((path, bytes) -> migrations.put(path, new String(bytes,
            StandardCharsets.UTF_8)));
      }
      schemas.put(schema, MigrationSchema.of(migrations));
      List<String> texts = classes.entrySet().stream()
          .filter(file -> file.getKey().endsWith(".class") && servesService(file.getKey(), service))
          .flatMap(file -> MainClasspath.constants(file.getValue()).stream()).toList();
      constants.put(schema, texts);
      shapes.put(schema, texts.stream().filter(text -> SQL.matcher(text).matches()).map(SqlShape::of)
          .collect(Collectors.toSet()));
      assertThat(migrations).as("migrations of " + service + " on the class path").isNotEmpty();
      assertThat(shapes.get(schema)).as("statements in the compiled classes of " + service)
          .contains(SqlShape.of("UPDATE outbox SET delivered_at = CAST(EXTRACT(EPOCH FROM CURRENT_TIMESTAMP) * 1000 AS BIGINT), "
              + "delivered_by = ? WHERE id IN (?) "
              + "AND delivered_at IS NULL AND EXISTS (SELECT 1 FROM outbox_relay_lease WHERE service = ? AND token = ?)"));
    });
  }

  /** A class of the service itself, or one every service shares. */
  private static boolean servesService(String classFile, String service) {
    return classFile.startsWith(PACKAGE_OF_SERVICE.get(service))
        || PACKAGE_OF_SERVICE.values().stream().noneMatch(classFile::startsWith);
  }

  @Test
  @DisplayName("writes and reads only tables and columns the migrations create, and gives every column an INSERT must")
  void touchesWhatTheMigrationsCreate() {
    assertThat(schemaProblems(script)).isEmpty();
  }

  @Test
  @DisplayName("issues only the services' own statements, each transaction in the database of the service that "
      + "commits it")
  void issuesTheServicesStatements() {
    assertThat(statementProblems(script)).isEmpty();
  }

  @Test
  @DisplayName("would notice a statement no service issues, and a column no migration creates")
  void noticesDrift() {
    String otherCondition = replaceOnce(script, "AND available >= 1", "AND available > 0");
    assertThat(statementProblems(otherCondition)).singleElement().asString()
        .contains("available > 0", "not a statement inventory-service issues");

    String otherColumn = replaceOnce(script, "UPDATE orders.outbox SET delivered_at", "UPDATE orders.outbox SET delivered");
    assertThat(schemaProblems(otherColumn)).singleElement().asString().contains("orders.outbox has no column delivered");

    String missingColumn = replaceOnce(script, "(consumer, event_id, event_type, received_at)\n  VALUES ('order-service', ",
        "(consumer, event_id, event_type)\n  VALUES ('order-service', ");
    assertThat(schemaProblems(missingColumn)).singleElement().asString()
        .contains("orders.inbox", "leaves out received_at");
  }

  private static String replaceOnce(String text, String what, String with) {
    assertThat(text).as("the script still holds the text this check changes").containsOnlyOnce(what);
    return text.replace(what, with);
  }

  /** Tables and columns the script names that the migrations do not create, and INSERTs that leave one out. */
  private static List<String> schemaProblems(String text) {
    List<String> problems = new ArrayList<>();
    for (Statement statement : PgbenchScript.statements(text)) {
      if (statement.isTransactionControl()) {
        continue;
      }
      Matcher insert = INSERT.matcher(statement.sql());
      Matcher update = UPDATE.matcher(statement.sql());
      Matcher select = SELECT.matcher(statement.sql());
      if (insert.matches()) {
        List<String> given = names(insert.group(3));
        checkColumns(statement, insert.group(1), insert.group(2), given, problems);
        table(insert.group(1), insert.group(2)).ifPresent(columns -> columns.values().stream()
            .filter(column -> column.required() && !given.contains(column.name()))
            .forEach(column -> problems.add(statement + ": the INSERT into " + insert.group(1) + "."
                + insert.group(2) + " leaves out " + column.name() + ", which is NOT NULL without a default")));
      } else if (update.matches()) {
        List<String> set = MigrationSchema.splitTopLevel(update.group(3)).stream()
            .map(assignment -> assignment.split("=", 2)[0].strip()).toList();
        checkColumns(statement, update.group(1), update.group(2), set, problems);
      } else if (select.matches()) {
        List<String> read = names(select.group(1)).stream().filter(name -> name.matches("\\w+")).toList();
        checkColumns(statement, select.group(2), select.group(3), read, problems);
      } else {
        problems.add(statement + ": names no schema-qualified table this check can read");
      }
    }
    return problems;
  }

  private static List<String> names(String list) {
    return MigrationSchema.splitTopLevel(list).stream().map(name -> name.strip().toLowerCase()).toList();
  }

  private static java.util.Optional<Map<String, MigrationSchema.Column>> table(String schema, String table) {
    MigrationSchema migrations = schemas.get(schema);
    return migrations == null ? java.util.Optional.empty() : migrations.table(table);
  }

  private static void checkColumns(Statement statement, String schema, String table, List<String> columns,
                                   List<String> problems) {
    if (!schemas.containsKey(schema)) {
      problems.add(statement + ": schema " + schema + " is none of bin/bench's " + SERVICE_OF_SCHEMA.keySet());
      return;
    }
    table(schema, table).ifPresentOrElse(
        known -> columns.stream().filter(column -> !known.containsKey(column)).forEach(column ->
            problems.add(statement + ": " + schema + "." + table + " has no column " + column)),
        () -> problems.add(statement + ": the migrations of " + SERVICE_OF_SCHEMA.get(schema) + " create no table "
            + table));
  }

  /**
   * Statements that are not their service's, and transactions that span two services' databases (each service
   * commits in its own). RETURNING ... \gset is left out of the comparison: it hands a generated id to the next
   * statements of the script, where the services make the order's id themselves and read outbox ids back later.
   */
  private static List<String> statementProblems(String text) {
    List<String> problems = new ArrayList<>();
    for (Transaction transaction : PgbenchScript.transactions(text)) {
      Set<String> touched = new LinkedHashSet<>();
      transaction.statements().forEach(statement -> touched.addAll(statement.schemas()));
      if (touched.size() != 1 || !SERVICE_OF_SCHEMA.containsKey(touched.iterator().next())) {
        problems.add("the transaction from line " + transaction.line() + " touches " + touched
            + ": it must stay in one of " + SERVICE_OF_SCHEMA.keySet());
        continue;
      }
      String schema = touched.iterator().next();
      String service = SERVICE_OF_SCHEMA.get(schema);
      for (Statement statement : transaction.statements()) {
        if (statement.verb().equals("savepoint")) {
          if (!constants.get(schema).contains("setSavepoint")) {
            problems.add(statement + ": no class of " + service + " sets a savepoint");
          }
        } else if (!statement.isTransactionControl()) {
          String sql = statement.gset() ? RETURNING.matcher(statement.unqualified()).replaceFirst("")
              : statement.unqualified();
          String shape = SqlShape.of(sql);
          if (!shapes.get(schema).contains(shape)) {
            problems.add(statement + " is not a statement " + service + " issues; " + service + "'s that begin alike: "
                + nearest(shapes.get(schema), shape));
          }
        }
      }
    }
    return problems;
  }

  private static List<String> nearest(Set<String> known, String shape) {
    String start = String.join(" ", List.of(shape.split(" ")).subList(0, Math.min(3, shape.split(" ").length)));
    return known.stream().filter(candidate -> candidate.startsWith(start)).sorted().toList();
  }
}
