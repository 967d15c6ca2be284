package io.github.vertxsaga.systemtests.bench;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A pgbench script read as pgbench runs it: SQL statements, each ended by {@code ;} or by {@code \gset} at the end of
 * a line, grouped into the transactions {@code BEGIN ... COMMIT} make of them; comments and meta-commands
 * ({@code \set}) are not statements.
 */
final class PgbenchScript {
  private static final Pattern QUALIFIED = Pattern.compile("\\b([a-z_]\\w*)\\.([a-z_]\\w*)\\b");
  private static final Pattern STRING = Pattern.compile("'(?:[^']|'')*'");
  private static final Set<String> CONTROL = Set.of("begin", "commit", "end", "rollback", "savepoint", "release");

  /**
   * One statement as written, from the line it starts on. {@code \gset} (which stores what the statement returns in
   * pgbench variables) is not part of its SQL.
   */
  record Statement(int line, String sql, boolean gset) {
    String verb() {
      return sql.strip().split("\\s+", 2)[0].toLowerCase(Locale.ROOT);
    }

    boolean isTransactionControl() {
      return CONTROL.contains(verb());
    }

    /** The schemas its tables are qualified with ({@code orders} of {@code orders.outbox}). */
    Set<String> schemas() {
      Set<String> schemas = new LinkedHashSet<>();
      Matcher matcher = QUALIFIED.matcher(STRING.matcher(sql).replaceAll("''"));
      while (matcher.find()) {
        schemas.add(matcher.group(1));
      }
      return schemas;
    }

    /** The SQL with its tables unqualified, as the service, connected to its own database, writes it. */
    String unqualified() {
      String plain = sql;
      for (String schema : schemas()) {
        plain = plain.replaceAll("\\b" + schema + "\\.(?=[a-z_])", "");
      }
      return plain;
    }

    @Override
    public String toString() {
      return "line " + line + ": " + sql.strip().replaceAll("\\s+", " ");
    }
  }

  /** Statements that commit together: between BEGIN and COMMIT, or one alone outside them. */
  record Transaction(int line, List<Statement> statements) {
  }

  private PgbenchScript() {
  }

  static List<Transaction> transactions(String script) {
    List<Transaction> transactions = new ArrayList<>();
    List<Statement> open = null;
    for (Statement statement : statements(script)) {
      switch (statement.verb()) {
        case "begin" -> open = new ArrayList<>(List.of(statement));
        case "commit", "end" -> {
          if (open == null) {
            throw new IllegalStateException(statement + ": COMMIT without BEGIN");
          }
          open.add(statement);
          transactions.add(new Transaction(open.get(0).line(), List.copyOf(open)));
          open = null;
        }
        default -> {
          if (open != null) {
            open.add(statement);
          } else {
            transactions.add(new Transaction(statement.line(), List.of(statement)));
          }
        }
      }
    }
    if (open != null) {
      throw new IllegalStateException("the transaction begun on line " + open.get(0).line() + " never commits");
    }
    return transactions;
  }

  static List<Statement> statements(String script) {
    List<Statement> statements = new ArrayList<>();
    StringBuilder sql = new StringBuilder();
    int first = 0;
    String[] lines = script.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = withoutComment(lines[i]).strip();
      if (line.isEmpty() || (sql.length() == 0 && line.startsWith("\\"))) {
        continue; // a meta-command such as \set, or nothing
      }
      if (sql.length() == 0) {
        first = i + 1;
      }
      boolean gset = line.endsWith("\\gset");
      sql.append(gset ? line.substring(0, line.length() - "\\gset".length()) : line).append('\n');
      if (gset || line.endsWith(";")) {
        String text = sql.toString().strip();
        statements.add(new Statement(first, text.endsWith(";") ? text.substring(0, text.length() - 1) : text, gset));
        sql.setLength(0);
      }
    }
    if (sql.length() > 0) {
      throw new IllegalStateException("the statement on line " + first + " never ends");
    }
    return statements;
  }

  /** The line without a trailing {@code --} comment (one outside a string). */
  private static String withoutComment(String line) {
    boolean quoted = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (c == '\'') {
        quoted = !quoted;
      } else if (!quoted && c == '-' && i + 1 < line.length() && line.charAt(i + 1) == '-') {
        return line.substring(0, i);
      }
    }
    return line;
  }
}
