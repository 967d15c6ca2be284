package io.github.vertxsaga.systemtests.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A statement reduced to what makes two statements the same work for the database: its keywords, names and
 * operators, with every value a {@code ?}. A JDBC parameter, a pgbench {@code :variable}, a literal, a {@code NULL}
 * given as a value, and an expression of those alone ({@code 'BENCH-' || :sku}, {@code gen_random_uuid()::text},
 * {@code repeat('x', 520)}) all become one {@code ?}; layout and letter case do not count. So
 * {@code UPDATE orders SET status = ?, reason = ? WHERE id = ?} and
 * {@code UPDATE orders SET status = 'CONFIRMED', reason = NULL WHERE id = :order_id} have one shape, while another
 * column, condition or operator makes another.
 */
final class SqlShape {
  private static final Pattern TOKEN = Pattern.compile(
      "\\s+|--[^\\n]*|'(?:[^']|'')*'|\\d+(?:\\.\\d+)?|::|\\|\\||[<>!]=|<>|:[A-Za-z_]\\w*|[A-Za-z_][\\w$]*|\\S");
  /** Words before a parenthesis that are not function calls. */
  private static final Set<String> NOT_FUNCTIONS = Set.of("values", "in", "exists", "and", "or", "not", "on",
      "using", "into", "from", "where", "set", "select", "as", "by");

  private SqlShape() {
  }

  static String of(String sql) {
    List<String> tokens = new ArrayList<>();
    Matcher matcher = TOKEN.matcher(sql);
    while (matcher.find()) {
      String token = matcher.group();
      if (token.isBlank() || token.startsWith("--")) {
        continue;
      }
      boolean nullValue = token.equalsIgnoreCase("null") && !previousIs(tokens, "is") && !previousIs(tokens, "not");
      // \u0001 is where javac's string-concatenation recipe takes a runtime value (an IN list of placeholders).
      boolean value = token.startsWith("'") || Character.isDigit(token.charAt(0)) || token.equals("?")
          || token.equals("\u0001")
          || (token.startsWith(":") && token.length() > 1 && !token.equals("::")) || nullValue;
      tokens.add(value ? "?" : token.toLowerCase(Locale.ROOT));
      fold(tokens);
    }
    while (!tokens.isEmpty() && tokens.get(tokens.size() - 1).equals(";")) {
      tokens.remove(tokens.size() - 1);
    }
    return String.join(" ", tokens);
  }

  /** Folds the expression just completed at the end of {@code tokens} into one value, while there is one. */
  private static void fold(List<String> tokens) {
    boolean folded = true;
    while (folded) {
      folded = false;
      int n = tokens.size();
      if (n >= 3 && tokens.get(n - 1).matches("[a-z_]\\w*") && tokens.get(n - 2).equals("::")
          && tokens.get(n - 3).equals("?")) {
        cut(tokens, 3);
        folded = true;
      } else if (n >= 3 && tokens.get(n - 1).equals("?") && tokens.get(n - 2).equals("||")
          && tokens.get(n - 3).equals("?")) {
        cut(tokens, 3);
        folded = true;
      } else if (n >= 1 && tokens.get(n - 1).equals(")")) {
        folded = foldCall(tokens);
      }
    }
  }

  /** {@code name()} or {@code name(?, ?)}: a function of values is a value. */
  private static boolean foldCall(List<String> tokens) {
    int open = tokens.lastIndexOf("(");
    if (open < 1 || !tokens.get(open - 1).matches("[a-z_]\\w*") || NOT_FUNCTIONS.contains(tokens.get(open - 1))) {
      return false;
    }
    List<String> arguments = tokens.subList(open + 1, tokens.size() - 1);
    for (int i = 0; i < arguments.size(); i++) {
      if (!arguments.get(i).equals(i % 2 == 0 ? "?" : ",")) {
        return false;
      }
    }
    cut(tokens, tokens.size() - open + 1);
    return true;
  }

  private static void cut(List<String> tokens, int last) {
    tokens.subList(tokens.size() - last, tokens.size()).clear();
    tokens.add("?");
  }

  private static boolean previousIs(List<String> tokens, String word) {
    return !tokens.isEmpty() && tokens.get(tokens.size() - 1).equals(word);
  }
}
