package dev.tessera.runtime.launch;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Reads the arguments of a node process, {@code node} and then the flags of {@code cluster node}
 * ({@code --port 25521}, {@code --seeds=a:1,b:2}, {@code -r worker,gpu}), into {@link
 * NodeOptions}, without a command-line library: the runtime is embedded in services that bring
 * their own. The {@code cluster} tool parses the same flags with picocli, for its help text; a
 * test in the distribution module checks that both accept the same ones.
 */
public final class NodeArguments {

  /** The first argument: the command a node process runs. */
  public static final String COMMAND = "node";

  /** Every flag that takes a value, by each of its names, to its long name. */
  private static final Map<String, String> VALUED = Map.ofEntries(
      Map.entry("--config", "--config"),
      Map.entry("--cluster-name", "--cluster-name"),
      Map.entry("--host", "--host"),
      Map.entry("--bind-host", "--bind-host"),
      Map.entry("-p", "--port"),
      Map.entry("--port", "--port"),
      Map.entry("-s", "--seeds"),
      Map.entry("--seeds", "--seeds"),
      Map.entry("-r", "--roles"),
      Map.entry("--roles", "--roles"),
      Map.entry("--http-port", "--http-port"),
      Map.entry("--http-host", "--http-host"),
      Map.entry("--log-level", "--log-level"),
      Map.entry("--join-timeout", "--join-timeout"),
      Map.entry("--tls-dir", "--tls-dir"),
      Map.entry("--parent-pid", "--parent-pid"));

  /** The flags that take no value. */
  private static final List<String> SWITCHES = List.of("--leave-when-up", "--insecure-plaintext");

  private NodeArguments() {}

  /** Every flag name a node process accepts, short and long. */
  public static List<String> flagNames() {
    List<String> names = new ArrayList<>(VALUED.keySet());
    names.addAll(SWITCHES);
    return names;
  }

  /**
   * The options {@code arguments} give.
   *
   * @throws IllegalArgumentException with a message for a person: the first argument is not
   *     {@value #COMMAND}, a flag is unknown, lacks its value or has a bad one
   */
  public static NodeOptions parse(List<String> arguments) {
    if (arguments.isEmpty() || !arguments.get(0).equals(COMMAND)) {
      throw new IllegalArgumentException("a node process takes '" + COMMAND + "' and its flags, got " + arguments);
    }
    Values values = new Values();
    for (int i = 1; i < arguments.size(); i++) {
      String argument = arguments.get(i);
      int equals = argument.indexOf('=');
      String name = argument.startsWith("--") && equals > 0 ? argument.substring(0, equals) : argument;
      if (SWITCHES.contains(name) && name.equals(argument)) {
        if (name.equals("--leave-when-up")) {
          values.leaveWhenUp = true;
        } else {
          values.insecurePlaintext = true;
        }
        continue;
      }
      String flag = VALUED.get(name);
      if (flag == null) {
        throw new IllegalArgumentException(argument.startsWith("-")
            ? "Unknown option: '" + argument + "'"
            : "Unmatched argument at index " + i + ": '" + argument + "'");
      }
      String value;
      if (!name.equals(argument)) {
        value = argument.substring(equals + 1);
      } else if (i + 1 < arguments.size()) {
        value = arguments.get(++i);
      } else {
        throw new IllegalArgumentException("Missing required parameter for option '" + flag + "'");
      }
      values.set(flag, value);
    }
    return values.options();
  }

  /** The values read so far; a list flag given twice gathers both, any other takes the last. */
  private static final class Values {
    Optional<Path> config = Optional.empty();
    Optional<String> clusterName = Optional.empty();
    Optional<String> host = Optional.empty();
    Optional<String> bindHost = Optional.empty();
    Optional<Integer> port = Optional.empty();
    List<String> seeds;
    List<String> roles;
    Optional<Integer> httpPort = Optional.empty();
    Optional<String> joinTimeout = Optional.empty();
    Optional<Path> tlsDir = Optional.empty();
    boolean leaveWhenUp;
    Optional<Long> parentPid = Optional.empty();
    Optional<String> httpHost = Optional.empty();
    boolean insecurePlaintext;
    Optional<String> logLevel = Optional.empty();

    void set(String flag, String value) {
      switch (flag) {
        case "--config" -> config = Optional.of(path(flag, value));
        case "--cluster-name" -> clusterName = Optional.of(value);
        case "--host" -> host = Optional.of(value);
        case "--bind-host" -> bindHost = Optional.of(value);
        case "--port" -> port = Optional.of(number(flag, value, Integer::parseInt, "an int"));
        case "--seeds" -> seeds = appended(seeds, value);
        case "--roles" -> roles = appended(roles, value);
        case "--http-port" -> httpPort = Optional.of(number(flag, value, Integer::parseInt, "an int"));
        case "--join-timeout" -> joinTimeout = Optional.of(value);
        case "--tls-dir" -> tlsDir = Optional.of(path(flag, value));
        case "--parent-pid" -> parentPid = Optional.of(number(flag, value, Long::parseLong, "a long"));
        case "--http-host" -> httpHost = Optional.of(value);
        case "--log-level" -> logLevel = Optional.of(value);
        default -> throw new IllegalStateException("no case for " + flag);
      }
    }

    NodeOptions options() {
      return new NodeOptions(config, clusterName, host, bindHost, port, Optional.ofNullable(seeds),
          Optional.ofNullable(roles), httpPort, joinTimeout, tlsDir, leaveWhenUp, parentPid, httpHost, insecurePlaintext,
          logLevel);
    }

    private static List<String> appended(List<String> sofar, String value) {
      List<String> all = sofar == null ? new ArrayList<>() : sofar;
      all.addAll(Arrays.asList(value.split(",")));
      return all;
    }

    private static <T> T number(String flag, String value, Function<String, T> parse, String kind) {
      try {
        return parse.apply(value);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("Invalid value for option '" + flag + "': '" + value + "' is not " + kind);
      }
    }

    private static Path path(String flag, String value) {
      try {
        return Path.of(value);
      } catch (InvalidPathException e) {
        throw new IllegalArgumentException("Invalid value for option '" + flag + "': '" + value + "' is not a path");
      }
    }
  }
}
