package io.github.vertxsaga.systemtests.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The tables and columns a service's database has once Flyway applied its migrations ({@code V<version>__*.sql}, in
 * version order): what {@code CREATE TABLE}, {@code ALTER TABLE} and {@code DROP TABLE} make of it. Statements that
 * do not change columns (indexes, data) are passed over; an {@code ALTER TABLE} this class cannot read stops it, so
 * that a new kind of migration is taught here rather than silently ignored.
 */
final class MigrationSchema {
  /** A column, and whether an INSERT must give it a value: NOT NULL (or in the primary key) without a default. */
  record Column(String name, boolean notNull, boolean hasDefault) {
    boolean required() {
      return notNull && !hasDefault;
    }
  }

  private static final Pattern VERSION = Pattern.compile(".*/V([0-9._]+)__[^/]*\\.sql");
  private static final Pattern CREATE_TABLE = Pattern.compile(
      "(?is)CREATE\\s+TABLE\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?(\\w+)\\s*\\((.*)\\)");
  private static final Pattern ALTER_TABLE = Pattern.compile("(?is)ALTER\\s+TABLE\\s+(?:IF\\s+EXISTS\\s+)?(\\w+)\\s+(.*)");
  private static final Pattern DROP_TABLE = Pattern.compile("(?is)DROP\\s+TABLE\\s+(?:IF\\s+EXISTS\\s+)?(\\w+).*");
  private static final Pattern CONSTRAINT = Pattern.compile(
      "(?is)(CONSTRAINT\\s+\\w+\\s+)?(PRIMARY\\s+KEY|UNIQUE|CHECK|FOREIGN\\s+KEY|EXCLUDE)\\b.*");
  private static final Pattern PRIMARY_KEY = Pattern.compile("(?is).*PRIMARY\\s+KEY\\s*\\(([^)]*)\\).*");
  private static final Pattern ADD_COLUMN = Pattern.compile("(?is)ADD\\s+(?:COLUMN\\s+)?(?:IF\\s+NOT\\s+EXISTS\\s+)?(.*)");
  private static final Pattern DROP_COLUMN = Pattern.compile("(?is)DROP\\s+(?:COLUMN\\s+)?(?:IF\\s+EXISTS\\s+)?(\\w+).*");
  private static final Pattern RENAME_COLUMN = Pattern.compile("(?is)RENAME\\s+(?:COLUMN\\s+)?(\\w+)\\s+TO\\s+(\\w+)");
  private static final Pattern ALTER_COLUMN = Pattern.compile(
      "(?is)ALTER\\s+(?:COLUMN\\s+)?(\\w+)\\s+(SET\\s+NOT\\s+NULL|DROP\\s+NOT\\s+NULL|SET\\s+DEFAULT\\b.*|DROP\\s+DEFAULT"
          + "|(?:SET\\s+DATA\\s+)?TYPE\\b.*)");
  private static final Pattern NOT_NULL = Pattern.compile("(?is).*\\b(NOT\\s+NULL|PRIMARY\\s+KEY)\\b.*");
  private static final Pattern DEFAULT = Pattern.compile("(?is).*\\b(DEFAULT|GENERATED|SERIAL|BIGSERIAL)\\b.*");

  private final Map<String, Map<String, Column>> tables = new LinkedHashMap<>();

  private MigrationSchema() {
  }

  /** The schema the migrations (path to text) make, applied in version order whatever their folder. */
  static MigrationSchema of(Map<String, String> migrations) {
    MigrationSchema schema = new MigrationSchema();
    migrations.keySet().stream().sorted(Comparator.comparing(MigrationSchema::version, MigrationSchema::compare))
        .forEach(path -> splitStatements(migrations.get(path)).forEach(statement -> schema.apply(path, statement)));
    return schema;
  }

  /** The columns of a table, by name. */
  Optional<Map<String, Column>> table(String name) {
    return Optional.ofNullable(tables.get(name.toLowerCase(Locale.ROOT)));
  }

  private void apply(String path, String statement) {
    Matcher create = CREATE_TABLE.matcher(statement);
    Matcher alter = ALTER_TABLE.matcher(statement);
    Matcher drop = DROP_TABLE.matcher(statement);
    if (create.matches()) {
      Map<String, Column> columns = new LinkedHashMap<>();
      List<String> primaryKey = new ArrayList<>();
      for (String item : splitTopLevel(create.group(2))) {
        Matcher key = PRIMARY_KEY.matcher(item);
        if (!CONSTRAINT.matcher(item).matches()) {
          Column column = column(item);
          columns.put(column.name(), column);
        } else if (key.matches()) {
          primaryKey.addAll(splitTopLevel(key.group(1)));
        }
      }
      primaryKey.forEach(key -> columns.computeIfPresent(key.toLowerCase(Locale.ROOT),
          (name, column) -> new Column(name, true, column.hasDefault())));
      tables.put(create.group(1).toLowerCase(Locale.ROOT), columns);
    } else if (alter.matches()) {
      Map<String, Column> columns = tables.get(alter.group(1).toLowerCase(Locale.ROOT));
      if (columns == null) {
        throw new IllegalStateException(path + " alters a table no earlier migration creates: " + statement);
      }
      splitTopLevel(alter.group(2)).forEach(action -> alter(path, columns, action));
    } else if (drop.matches()) {
      tables.remove(drop.group(1).toLowerCase(Locale.ROOT));
    }
  }

  private static void alter(String path, Map<String, Column> columns, String action) {
    Matcher add = ADD_COLUMN.matcher(action);
    Matcher dropped = DROP_COLUMN.matcher(action);
    Matcher renamed = RENAME_COLUMN.matcher(action);
    Matcher altered = ALTER_COLUMN.matcher(action);
    if (action.matches("(?is)(ADD|DROP)\\s+CONSTRAINT\\b.*") || (add.matches()
        && CONSTRAINT.matcher(add.group(1)).matches())) {
      return; // constraints change no column
    } else if (add.matches()) {
      Column column = column(add.group(1));
      columns.put(column.name(), column);
    } else if (dropped.matches()) {
      columns.remove(dropped.group(1).toLowerCase(Locale.ROOT));
    } else if (renamed.matches() && columns.containsKey(renamed.group(1).toLowerCase(Locale.ROOT))) {
      Column old = columns.remove(renamed.group(1).toLowerCase(Locale.ROOT));
      String name = renamed.group(2).toLowerCase(Locale.ROOT);
      columns.put(name, new Column(name, old.notNull(), old.hasDefault()));
    } else if (altered.matches() && columns.containsKey(altered.group(1).toLowerCase(Locale.ROOT))) {
      Column old = columns.get(altered.group(1).toLowerCase(Locale.ROOT));
      String change = altered.group(2).toUpperCase(Locale.ROOT).replaceAll("\\s+", " ");
      boolean notNull = change.startsWith("SET NOT NULL") || (old.notNull() && !change.startsWith("DROP NOT NULL"));
      boolean hasDefault = change.startsWith("SET DEFAULT") || (old.hasDefault() && !change.startsWith("DROP DEFAULT"));
      columns.put(old.name(), new Column(old.name(), notNull, hasDefault));
    } else {
      throw new IllegalStateException(path + ": cannot tell what this does to the columns (teach MigrationSchema): "
          + action);
    }
  }

  private static Column column(String definition) {
    String name = definition.strip().split("\\s+")[0].toLowerCase(Locale.ROOT);
    return new Column(name, NOT_NULL.matcher(definition).matches(), DEFAULT.matcher(definition).matches());
  }

  /** The statements of a migration, without comments. */
  static List<String> splitStatements(String sql) {
    String code = sql.replaceAll("--[^\\n]*", "");
    List<String> statements = new ArrayList<>();
    for (String statement : code.split(";")) {
      if (!statement.isBlank()) {
        statements.add(statement.strip());
      }
    }
    return statements;
  }

  /** Splits at the commas outside parentheses. */
  static List<String> splitTopLevel(String list) {
    List<String> items = new ArrayList<>();
    int depth = 0;
    int start = 0;
    for (int i = 0; i < list.length(); i++) {
      char c = list.charAt(i);
      depth += c == '(' ? 1 : c == ')' ? -1 : 0;
      if (c == ',' && depth == 0) {
        items.add(list.substring(start, i).strip());
        start = i + 1;
      }
    }
    items.add(list.substring(start).strip());
    return items;
  }

  private static List<Integer> version(String path) {
    Matcher matcher = VERSION.matcher(path);
    if (!matcher.matches()) {
      throw new IllegalStateException(path + " is not a versioned migration (V<version>__<name>.sql)");
    }
    return Arrays.stream(matcher.group(1).split("[._]")).map(Integer::valueOf).toList();
  }

  private static int compare(List<Integer> a, List<Integer> b) {
    for (int i = 0; i < Math.max(a.size(), b.size()); i++) {
      int difference = Integer.compare(i < a.size() ? a.get(i) : 0, i < b.size() ? b.get(i) : 0);
      if (difference != 0) {
        return difference;
      }
    }
    return 0;
  }
}
