package dev.tessera.runtime.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigValue;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Builds the configuration a node runs with: command-line overrides, then the user's file, then
 * the {@code reference.conf} files on the classpath.
 *
 * <p>Every key the user sets under {@code tessera} must exist in the reference: a misspelt key is an
 * error, not a silently ignored setting (the nearest known key is suggested). Keys under {@code
 * pekko} are passed through unchecked, since Pekko has open-ended sections (dispatchers,
 * serialization bindings).
 */
public final class NodeConfigLoader {

  private static final String CHECKED_ROOT = "tessera";

  private NodeConfigLoader() {}

  /**
   * Loads and resolves the configuration.
   *
   * @param file an optional HOCON file of the user's
   * @param overrides config paths to values (from command-line flags); they win over the file
   * @throws InvalidNodeSettingsException for a missing or malformed file or an unknown key
   */
  public static Config load(Optional<Path> file, Map<String, ?> overrides) {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(overrides, "overrides");
    Config user = ConfigFactory.parseMap(overrides, "command-line flags");
    if (file.isPresent()) {
      user = user.withFallback(parseFile(file.get()));
    }
    return load(user);
  }

  /**
   * Checks an application's own (unresolved) config against the reference and resolves it with the
   * reference as fallback.
   */
  public static Config load(Config user) {
    Config reference = ConfigFactory.defaultReferenceUnresolved();
    checkKnownKeys(user, reference);
    try {
      return user.withFallback(reference).resolve();
    } catch (ConfigException e) {
      throw new InvalidNodeSettingsException("configuration: " + e.getMessage(), e);
    }
  }

  private static Config parseFile(Path path) {
    if (!Files.isRegularFile(path)) {
      throw new InvalidNodeSettingsException("config file " + path + " does not exist");
    }
    try {
      return ConfigFactory.parseFile(path.toFile(), ConfigParseOptions.defaults().setAllowMissing(false));
    } catch (ConfigException e) {
      throw new InvalidNodeSettingsException("config file " + e.getMessage(), e);
    }
  }

  private static void checkKnownKeys(Config user, Config reference) {
    ConfigValue userRoot = user.root().get(CHECKED_ROOT);
    if (userRoot == null) {
      return;
    }
    Set<String> known = new TreeSet<>();
    // Resolved, so that a section defined by substitution (tessera.persistence.jdbc = ${a preset})
    // has its keys known; unresolved if the reference alone cannot be resolved.
    Config paths;
    try {
      paths = reference.resolve();
    } catch (ConfigException e) {
      paths = reference;
    }
    collectPaths(paths.root().get(CHECKED_ROOT), CHECKED_ROOT, known);
    checkValue(userRoot, CHECKED_ROOT, known);
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

  /** Walks the user's tree without resolving it, so substitutions need not be resolvable yet. */
  private static void checkValue(ConfigValue value, String path, Set<String> known) {
    if (!known.contains(path)) {
      throw new InvalidNodeSettingsException(
          describe(value) + "unknown config key " + path + nearest(path, known));
    }
    if (value instanceof ConfigObject object) {
      for (Map.Entry<String, ConfigValue> e : object.entrySet()) {
        checkValue(e.getValue(), path + "." + e.getKey(), known);
      }
    }
  }

  private static String describe(ConfigValue value) {
    if (value == null || value.origin() == null) {
      return "";
    }
    String where = value.origin().description();
    return where == null || where.isBlank() ? "" : where + ": ";
  }

  private static String nearest(String key, Set<String> known) {
    return known.stream()
        .min(Comparator.comparingInt(k -> editDistance(k, key)))
        .filter(k -> editDistance(k, key) <= Math.max(3, key.length() / 4))
        .map(k -> " (did you mean " + k + "?)")
        .orElse("");
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
