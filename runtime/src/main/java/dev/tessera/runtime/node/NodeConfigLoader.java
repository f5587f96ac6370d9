package dev.tessera.runtime.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Builds the configuration a node runs with: command-line overrides, then the user's file, then
 * the {@code reference.conf} files on the classpath.
 *
 * <p>What the user writes is checked before anything starts ({@link InvalidNodeSettingsException},
 * one line that names the key):
 *
 * <ul>
 *   <li>every key under {@code tessera} must exist in the reference, and a misspelt key under the
 *       Pekko sections users set is caught too, with the nearest known key suggested ({@link
 *       KnownKeys});
 *   <li>every numeric {@code tessera} setting must lie in its range ({@link SettingRanges});
 *   <li>the file's values are checked even where a command-line flag replaces them, so a flag never
 *       hides a mistake that the next start without it would trip over.
 * </ul>
 */
public final class NodeConfigLoader {

  private NodeConfigLoader() {}

  /**
   * Loads and resolves the configuration.
   *
   * @param file an optional HOCON file of the user's
   * @param overrides config paths to values (from command-line flags); they win over the file
   * @throws InvalidNodeSettingsException for a missing or malformed file, an unknown key, or a value
   *     out of range, in the file or the flags
   */
  public static Config load(Optional<Path> file, Map<String, ?> overrides) {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(overrides, "overrides");
    Config flags = ConfigFactory.parseMap(overrides, "command-line flags");
    if (file.isEmpty()) {
      return load(flags);
    }
    Config fromFile = parseFile(file.get());
    Config loaded = load(flags.withFallback(fromFile));
    checkValuesFlagsHide(file.get(), fromFile, overrides);
    return loaded;
  }

  /**
   * Checks an application's own (unresolved) config against the reference and resolves it with the
   * reference as fallback.
   */
  public static Config load(Config user) {
    Config reference = ConfigFactory.defaultReferenceUnresolved();
    KnownKeys.check(user, reference);
    Config resolved = resolve(user.withFallback(reference));
    SettingRanges.fromClasspath().check(resolved);
    return resolved;
  }

  /**
   * The file's values that a flag replaces, checked as if no flag did: with every other flag
   * applied (a flag may supply what the file relies on, such as {@code --tls-dir}'s key stores).
   */
  private static void checkValuesFlagsHide(Path path, Config fromFile, Map<String, ?> overrides) {
    Map<String, Object> otherFlags = new LinkedHashMap<>();
    boolean hidesNodeSetting = false;
    for (Map.Entry<String, ?> flag : overrides.entrySet()) {
      if (isSet(fromFile, flag.getKey())) {
        hidesNodeSetting |= flag.getKey().startsWith(NodeSettings.CONFIG_PATH + ".");
      } else {
        otherFlags.put(flag.getKey(), flag.getValue());
      }
    }
    if (otherFlags.size() == overrides.size()) {
      return;
    }
    Config asInFile =
        resolve(ConfigFactory.parseMap(otherFlags, "command-line flags")
            .withFallback(fromFile)
            .withFallback(ConfigFactory.defaultReferenceUnresolved()));
    String hidden = " (a command-line flag overrides it this time; fix the file)";
    try {
      SettingRanges.fromClasspath().check(asInFile, key -> isSet(fromFile, key));
    } catch (InvalidNodeSettingsException e) {
      throw new InvalidNodeSettingsException(e.getMessage() + hidden, e);
    }
    if (hidesNodeSetting) {
      try {
        NodeSettings.create(asInFile);
      } catch (InvalidNodeSettingsException e) {
        throw new InvalidNodeSettingsException(path + ": " + e.getMessage() + hidden, e);
      }
    }
  }

  /** Whether {@code user} sets {@code path}, without resolving it. */
  private static boolean isSet(Config user, String path) {
    ConfigValue value = user.root();
    for (String segment : ConfigUtil.splitPath(path)) {
      if (!(value instanceof ConfigObject object) || (value = object.get(segment)) == null) {
        return false;
      }
    }
    return true;
  }

  private static Config resolve(Config config) {
    try {
      return config.resolve();
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
}
