package io.github.vertxsaga.systemtests;

import java.util.LinkedHashSet;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The variables of README.md's configuration table, the one list of what a JVM reads: docker-compose.yml and the
 * Kubernetes manifests are checked against it, so that a deployment never sets a variable nobody documented.
 */
final class ReadmeConfiguration {
  private static final Pattern VARIABLE = Pattern.compile("[A-Z][A-Z0-9_]*[A-Z0-9]");

  private ReadmeConfiguration() {
  }

  /** The first column of the README table whose header starts with "variable". */
  static Set<String> variables(String readme) {
    Set<String> variables = new LinkedHashSet<>();
    boolean inTable = false;
    for (String line : readme.split("\n")) {
      String trimmed = line.trim();
      if (!trimmed.startsWith("|")) {
        inTable = false;
        continue;
      }
      String[] cells = trimmed.split("\\|");
      String first = cells.length > 1 ? cells[1].trim() : "";
      if (first.equalsIgnoreCase("variable")) {
        inTable = true;
      } else if (inTable && !first.matches("[-: ]*")) {
        VARIABLE.matcher(first).results().forEach(m -> variables.add(m.group()));
      }
    }
    return variables;
  }
}
