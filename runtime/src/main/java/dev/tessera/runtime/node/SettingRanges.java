package dev.tessera.runtime.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The allowed range of every numeric {@code tessera.*} setting (counts, sizes, durations), so that
 * {@code snapshot-every = -3} stops a node at start-up with a line naming the key, its value and
 * the range, instead of failing later, or not at all.
 *
 * <p>Each module declares its ranges in {@value #RESOURCE} beside its {@code reference.conf} (the
 * runnable jar concatenates them like {@code reference.conf}), one line per key:
 *
 * <pre>
 * tessera.persistence.jobs.snapshot-every = "1 .. 1000000"
 * tessera.persistence.jobs.wake-interval = "10ms .. 1h"
 * tessera.node.port = "0 .. 65535 (0 = any free port)"
 * </pre>
 *
 * Bounds are inclusive and say the kind of the value: whole numbers, decimals, durations or sizes
 * ({@code 1 KiB}). The samples module's tests check that every numeric key of every module's
 * reference has a range ({@link #undeclared}).
 */
public final class SettingRanges {

  /** The classpath resource where each module declares the ranges of its settings. */
  public static final String RESOURCE = "META-INF/tessera-ranges.conf";

  private static final Pattern DECLARATION = Pattern.compile("\\s*(.+?)\\s*\\.\\.\\s*(.+?)\\s*(?:\\((.*)\\))?\\s*");
  private static final Pattern INTEGER = Pattern.compile("-?\\d+");
  private static final Pattern DECIMAL = Pattern.compile("-?\\d+(\\.\\d+)?");
  /** A number with a unit ("60s", "1 MiB"): a duration or a size in a reference.conf. */
  private static final Pattern WITH_UNIT = Pattern.compile("-?\\d+(\\.\\d+)?\\s*[A-Za-z]+");

  private enum Kind {
    WHOLE_NUMBER("a whole number"),
    DECIMAL("a number"),
    DURATION("a duration"),
    SIZE("a size");

    final String description;

    Kind(String description) {
      this.description = description;
    }
  }

  private record Range(String key, Kind kind, String min, String max, String note) {
    String text() {
      return min + " .. " + max + (note.isEmpty() ? "" : " (" + note + ")");
    }
  }

  private final Map<String, Range> ranges;

  private SettingRanges(Map<String, Range> ranges) {
    this.ranges = Map.copyOf(ranges);
  }

  /** The ranges that the modules on the classpath declare. */
  public static SettingRanges fromClasspath() {
    return parse(ConfigFactory.parseResources(SettingRanges.class.getClassLoader(), RESOURCE));
  }

  /**
   * @param declarations config paths to {@code "MIN .. MAX"} or {@code "MIN .. MAX (note)"}
   * @throws IllegalStateException for a malformed declaration (a bug in a module, not the user's)
   */
  static SettingRanges parse(Config declarations) {
    Map<String, Range> ranges = new LinkedHashMap<>();
    declarations.entrySet().forEach(e -> {
      String key = e.getKey();
      String text = String.valueOf(e.getValue().unwrapped());
      Matcher m = DECLARATION.matcher(text);
      if (!m.matches()) {
        throw new IllegalStateException(RESOURCE + ": " + key + " = '" + text + "' is not 'MIN .. MAX'");
      }
      String min = m.group(1);
      String max = m.group(2);
      ranges.put(key, new Range(key, kindOf(key, min, max), min, max, m.group(3) == null ? "" : m.group(3).trim()));
    });
    return new SettingRanges(ranges);
  }

  private static Kind kindOf(String key, String min, String max) {
    if (INTEGER.matcher(min).matches() && INTEGER.matcher(max).matches()) {
      return Kind.WHOLE_NUMBER;
    }
    if (DECIMAL.matcher(min).matches() && DECIMAL.matcher(max).matches()) {
      return Kind.DECIMAL;
    }
    for (Kind kind : List.of(Kind.DURATION, Kind.SIZE)) {
      try {
        Config bounds = ConfigFactory.parseMap(Map.of("min", min, "max", max));
        compare(kind, bounds, "min", bounds, "max");
        return kind;
      } catch (ConfigException e) {
        // not this kind
      }
    }
    throw new IllegalStateException(RESOURCE + ": " + key + ": bounds '" + min + "', '" + max + "' are of no known kind");
  }

  /**
   * Checks every declared key that {@code config} holds and {@code which} selects.
   *
   * @param config a resolved config
   * @throws InvalidNodeSettingsException for the first value of the wrong kind or out of range
   */
  public void check(Config config, Predicate<String> which) {
    Objects.requireNonNull(config, "config");
    for (Range range : new TreeMap<>(ranges).values()) {
      if (which.test(range.key()) && config.hasPath(range.key())) {
        check(config, range);
      }
    }
  }

  /** Checks every declared key that {@code config} holds. */
  public void check(Config config) {
    check(config, key -> true);
  }

  private static void check(Config config, Range range) {
    ConfigValue value = config.getValue(range.key());
    String shown = range.key() + " = " + value.render(ConfigRenderOptions.concise());
    Config bounds = ConfigFactory.parseMap(Map.of("min", range.min(), "max", range.max()));
    try {
      if (range.kind() == Kind.WHOLE_NUMBER && !isWhole(config, range.key())) {
        throw new ConfigException.BadValue(range.key(), "not whole");
      }
      if (compare(range.kind(), config, range.key(), bounds, "min") < 0
          || compare(range.kind(), config, range.key(), bounds, "max") > 0) {
        throw new InvalidNodeSettingsException(
            KnownKeys.describe(value) + shown + " is out of range: allowed " + range.text());
      }
    } catch (ConfigException e) {
      throw new InvalidNodeSettingsException(
          KnownKeys.describe(value) + shown + " is not " + range.kind().description + " (allowed " + range.text() + ")");
    }
  }

  private static boolean isWhole(Config config, String key) {
    double d = config.getNumber(key).doubleValue();
    return d == Math.rint(d) && !Double.isInfinite(d);
  }

  /** Compares {@code a.aKey} with {@code b.bKey} as values of {@code kind}. */
  private static int compare(Kind kind, Config a, String aKey, Config b, String bKey) {
    return switch (kind) {
      case WHOLE_NUMBER -> Long.compare(a.getLong(aKey), b.getLong(bKey));
      case DECIMAL -> Double.compare(a.getDouble(aKey), b.getDouble(bKey));
      case DURATION -> durationOf(a, aKey).compareTo(durationOf(b, bKey));
      case SIZE -> Long.compare(a.getBytes(aKey), b.getBytes(bKey));
    };
  }

  private static Duration durationOf(Config c, String key) {
    if (c.getValue(key).valueType() == ConfigValueType.NUMBER) {
      // A bare number is taken as milliseconds by Typesafe Config; a range bound must say its unit.
      return c.getDuration(key);
    }
    if (!WITH_UNIT.matcher(c.getString(key).trim()).matches()) {
      throw new ConfigException.BadValue(key, "no unit");
    }
    return c.getDuration(key);
  }

  /**
   * The numeric keys under {@code tessera} in {@code reference} (numbers, and strings with a unit
   * such as {@code 60s} or {@code 1 MiB}) that have no declared range: each is a module's oversight.
   */
  public List<String> undeclared(Config reference) {
    List<String> missing = new ArrayList<>();
    ConfigValue root = reference.root().get("tessera");
    collectNumeric(root, List.of("tessera"), missing);
    missing.removeIf(ranges::containsKey);
    return List.copyOf(new TreeSet<>(missing));
  }

  /** The ranges' keys whose default in {@code reference} lies outside the range, with why. */
  public List<String> defaultsOutOfRange(Config reference) {
    List<String> problems = new ArrayList<>();
    for (Range range : ranges.values()) {
      try {
        if (reference.hasPath(range.key())) {
          check(reference, range);
        }
      } catch (InvalidNodeSettingsException e) {
        problems.add(e.getMessage());
      }
    }
    return problems;
  }

  private static void collectNumeric(ConfigValue value, List<String> path, List<String> into) {
    if (value instanceof ConfigObject object) {
      object.forEach((k, v) -> {
        List<String> child = new ArrayList<>(path);
        child.add(k);
        collectNumeric(v, child, into);
      });
    } else if (value != null && (value.valueType() == ConfigValueType.NUMBER
        || (value.valueType() == ConfigValueType.STRING
            && WITH_UNIT.matcher(String.valueOf(value.unwrapped()).trim()).matches()))) {
      into.add(ConfigUtil.joinPath(path));
    }
  }
}
