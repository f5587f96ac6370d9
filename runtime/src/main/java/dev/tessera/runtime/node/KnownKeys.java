package dev.tessera.runtime.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks the keys a user wrote against the keys the {@code reference.conf} files define, so a
 * misspelt key is an error with a "did you mean" suggestion rather than a setting silently ignored.
 *
 * <ul>
 *   <li>Under {@code tessera} every key must be known.
 *   <li>Under the Pekko sections users set ({@link #CHECKED_PEKKO}), a key Pekko does not define is
 *       an error when it is close to one it does ({@code pekko.cluster.seed-node}); a key close to
 *       none is logged and left alone, since Pekko has open-ended sections (an empty object in its
 *       reference, such as {@code pekko.cluster.role}, takes any key below it).
 *   <li>A Pekko key that Tessera sets from a {@code tessera.node} key ({@link
 *       PekkoNodeConfig#FROM_TESSERA}) is an error naming that key: its value would be overwritten.
 * </ul>
 */
final class KnownKeys {

  private static final Logger log = LoggerFactory.getLogger(KnownKeys.class);

  /** Sections of Pekko's config that users set by hand, checked for misspelt keys. */
  static final List<String> CHECKED_PEKKO =
      List.of("pekko.cluster", "pekko.remote.artery", "pekko.management.http", "pekko.coordinated-shutdown");

  /** Sections below a checked one that take names of the user's own (custom strategies). */
  private static final Set<String> OPEN_PEKKO = Set.of("pekko.cluster.sharding.passivation");

  private KnownKeys() {}

  /**
   * @param user the user's config, unresolved (substitutions need not be resolvable yet)
   * @param reference the {@code reference.conf} files, unresolved
   * @throws InvalidNodeSettingsException naming the first unknown key
   */
  static void check(Config user, Config reference) {
    Config paths;
    try {
      // Resolved, so that a section defined by substitution (tessera.persistence.jdbc = ${a
      // preset}) has its keys known; unresolved if the reference alone cannot be resolved.
      paths = reference.resolve();
    } catch (ConfigException e) {
      paths = reference;
    }
    checkTessera(user, paths);
    for (String root : CHECKED_PEKKO) {
      Optional<ConfigValue> mine = at(user.root(), root);
      Optional<ConfigValue> theirs = at(paths.root(), root);
      if (mine.isPresent() && theirs.isPresent()) {
        Set<String> known = new TreeSet<>();
        collectPaths(theirs.get(), root, known);
        checkPekko(mine.get(), theirs.get(), root, known);
      }
    }
  }

  private static void checkTessera(Config user, Config reference) {
    ConfigValue userRoot = user.root().get("tessera");
    if (userRoot == null) {
      return;
    }
    Set<String> known = new TreeSet<>();
    collectPaths(reference.root().get("tessera"), "tessera", known);
    checkEvery(userRoot, "tessera", known);
  }

  private static void checkEvery(ConfigValue value, String path, Set<String> known) {
    if (!known.contains(path)) {
      throw new InvalidNodeSettingsException(
          describe(value) + "unknown config key " + path + suggestion(path, known));
    }
    if (value instanceof ConfigObject object) {
      for (Map.Entry<String, ConfigValue> e : object.entrySet()) {
        checkEvery(e.getValue(), path + "." + e.getKey(), known);
      }
    }
  }

  private static void checkPekko(ConfigValue mine, ConfigValue theirs, String path, Set<String> known) {
    String tesseraKey = PekkoNodeConfig.FROM_TESSERA.get(path);
    if (tesseraKey != null) {
      throw new InvalidNodeSettingsException(
          describe(mine) + path + " is set by Tessera from " + tesseraKey + ": set that instead");
    }
    if (!(theirs instanceof ConfigObject reference) || OPEN_PEKKO.contains(path)) {
      return;
    }
    if (!(mine instanceof ConfigObject object)) {
      if (mine.valueType() != ConfigValueType.NULL) {
        throw new InvalidNodeSettingsException(
            describe(mine) + path + " is a section in Pekko's config, not a " + typeName(mine)
                + suggestion(path, siblings(path, known)));
      }
      return;
    }
    if (reference.isEmpty()) {
      return; // open-ended: pekko.cluster.role { worker.min-nr-of-members = 2 }
    }
    for (Map.Entry<String, ConfigValue> e : object.entrySet()) {
      String child = path + "." + e.getKey();
      ConfigValue known2 = reference.get(e.getKey());
      if (known2 != null) {
        checkPekko(e.getValue(), known2, child, known);
        continue;
      }
      String suggestion = suggestion(child, siblings(child, known));
      if (!suggestion.isEmpty()) {
        throw new InvalidNodeSettingsException(describe(e.getValue()) + "unknown config key " + child + suggestion);
      }
      log.warn("{}Pekko has no config key {}; it has no effect", describe(e.getValue()), child);
    }
  }

  /** Known keys beside {@code path} (same parent): a misspelt Pekko key is compared with those only. */
  private static List<String> siblings(String path, Set<String> known) {
    String parent = path.substring(0, path.lastIndexOf('.') + 1);
    return known.stream()
        .filter(k -> k.startsWith(parent) && k.indexOf('.', parent.length()) < 0 && !k.equals(path))
        .toList();
  }

  private static Optional<ConfigValue> at(ConfigObject root, String path) {
    ConfigValue value = root;
    for (String segment : path.split("\\.")) {
      if (!(value instanceof ConfigObject object) || (value = object.get(segment)) == null) {
        return Optional.empty();
      }
    }
    return Optional.of(value);
  }

  /** Every path in the reference, objects included, so a user may set a whole section at once. */
  private static void collectPaths(ConfigValue value, String path, Set<String> into) {
    into.add(path);
    if (value instanceof ConfigObject object) {
      for (Map.Entry<String, ConfigValue> e : object.entrySet()) {
        collectPaths(e.getValue(), path + "." + e.getKey(), into);
      }
    }
  }

  private static String typeName(ConfigValue value) {
    return switch (value.valueType()) {
      case LIST -> "list";
      case NUMBER -> "number";
      case BOOLEAN -> "boolean";
      default -> "string";
    };
  }

  /** "file.conf: 3: ", or "" where the value's origin is unknown. */
  static String describe(ConfigValue value) {
    if (value == null || value.origin() == null) {
      return "";
    }
    String where = value.origin().description();
    return where == null || where.isBlank() ? "" : where + ": ";
  }

  /** " (did you mean K?)" for the known key nearest to {@code key}, or "" when none is near. */
  static String suggestion(String key, java.util.Collection<String> known) {
    return nearest(key, known)
        .map(k -> {
          String tesseraKey = PekkoNodeConfig.FROM_TESSERA.get(k);
          return tesseraKey == null
              ? " (did you mean " + k + "?)"
              : " (did you mean " + k + "? Tessera sets it from " + tesseraKey + ": set that instead)";
        })
        .orElse("");
  }

  /**
   * The known key nearest to {@code key} by edit distance, where a known key that merely extends
   * it ({@code hostnam} of {@code hostname}, {@code seed-node} of {@code seed-nodes}) counts as one
   * edit: {@code canonical.host} means {@code canonical.hostname}, not {@code canonical.port}.
   */
  static Optional<String> nearest(String key, java.util.Collection<String> known) {
    return known.stream()
        .filter(k -> !k.equals(key))
        .filter(k -> score(k, key) <= Math.max(3, key.length() / 4))
        .min(Comparator.<String>comparingInt(k -> score(k, key)).thenComparingInt(k -> editDistance(k, key)));
  }

  private static int score(String known, String key) {
    boolean extendsIt = known.startsWith(key) && known.length() - key.length() <= 5;
    return extendsIt ? 1 : editDistance(known, key);
  }

  /** Levenshtein distance, for "did you mean" suggestions. */
  static int editDistance(String a, String b) {
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
      }
      int[] swap = previous;
      previous = current;
      current = swap;
    }
    return previous[b.length()];
  }
}
