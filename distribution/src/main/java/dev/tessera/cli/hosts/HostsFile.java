package dev.tessera.cli.hosts;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The machines of a cluster, for {@code tessera up}: one line per host, its roles, and settings.
 *
 * <pre>
 * # HOST          ROLES            SETTINGS (key=value; a "defaults" line sets them for every host)
 * defaults        user=pi java=/usr/bin/java dir=tessera
 * 192.168.1.10    primary,worker
 * 192.168.1.11    worker
 * gpu-box         worker,gpu       user=alice java=/opt/jdk-17/bin/java address=192.168.1.30
 * </pre>
 *
 * Roles: {@code primary} (a seed of the cluster, and a coordinator of durable jobs; at least one
 * host), {@code worker}, {@code gpu}, or any role name of your own. Settings: see {@link Host}.
 * Lines are read whole; {@code #} starts a comment. A mistake is reported with its line number.
 */
public record HostsFile(Path file, List<Host> hosts) {

  /** Keys a line may set, each with its default. */
  static final Map<String, String> DEFAULTS = defaults();

  private static final Pattern ROLE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]*");
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]*");

  private static Map<String, String> defaults() {
    Map<String, String> d = new LinkedHashMap<>();
    d.put("user", "");              // the SSH user; empty: your own (or ~/.ssh/config's)
    d.put("ssh-port", "22");
    d.put("identity", "");          // the SSH private key; empty: ssh's own choice
    d.put("ssh-option", "");        // an OpenSSH -o option, e.g. StrictHostKeyChecking=accept-new (repeatable)
    d.put("java", "java");          // the java command on that host, or its full path
    d.put("dir", "tessera");        // where Tessera is installed there (relative: to the user's home)
    d.put("address", "");           // the address the other nodes reach it at; empty: the host itself
    d.put("cluster-name", "tessera");
    d.put("cluster-port", "25520");
    d.put("http-port", "7626");     // its management endpoint, on its loopback
    d.put("heap", "");              // TESSERA_HEAP there; empty: half of its memory
    d.put("classpath", "");         // TESSERA_CLASSPATH there: your task libraries, on that host
    d.put("config", "");            // a local HOCON file appended to every node's config (journal, ...)
    return Map.copyOf(d);
  }

  /**
   * One machine.
   *
   * @param name what ssh connects to (a name or address; ~/.ssh/config applies)
   * @param roles its roles as written (primary, worker, gpu, ...)
   * @param settings every key of {@link #DEFAULTS}, with this host's values
   * @param sshOptions its {@code ssh-option} values, in order
   * @param line where it is written
   */
  public record Host(String name, List<String> roles, Map<String, String> settings, List<String> sshOptions, int line) {
    public String get(String key) {
      String value = settings.get(key);
      if (value == null) {
        throw new IllegalArgumentException("no setting " + key);
      }
      return value;
    }

    /** The address other nodes reach it at. */
    public String address() {
      return get("address").isEmpty() ? name : get("address");
    }

    public boolean isPrimary() {
      return roles.contains("primary");
    }

    /** Its node's roles: {@code primary} becomes {@code coordinator}. */
    public List<String> nodeRoles() {
      Set<String> out = new LinkedHashSet<>();
      for (String role : roles) {
        out.add(role.equals("primary") ? "coordinator" : role);
      }
      return List.copyOf(out);
    }

    public Optional<Path> identity() {
      return get("identity").isEmpty() ? Optional.empty() : Optional.of(Path.of(get("identity")));
    }

    /** What messages call it: its name, or {@code name (address)} where they differ. */
    public String label() {
      return address().equals(name) ? name : name + " (" + address() + ")";
    }
  }

  /** A line of the file that cannot be read; the message names the file and the line. */
  public static final class HostsFileException extends IllegalArgumentException {
    HostsFileException(String message) {
      super(message);
    }
  }

  /** Reads and checks {@code file}. */
  public static HostsFile read(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new HostsFileException("hosts file " + file + " does not exist");
    }
    return parse(file, Files.readAllLines(file));
  }

  static HostsFile parse(Path file, List<String> lines) {
    Map<String, String> defaults = new LinkedHashMap<>(DEFAULTS);
    List<String> defaultOptions = new ArrayList<>();
    List<String[]> hostLines = new ArrayList<>();
    List<Integer> numbers = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      int hash = line.indexOf('#');
      String text = (hash >= 0 ? line.substring(0, hash) : line).trim();
      if (text.isEmpty()) {
        continue;
      }
      String[] words = text.split("\\s+");
      if (words[0].equals("defaults")) {
        settings(file, i + 1, words, 1, defaults, defaultOptions);
      } else {
        hostLines.add(words);
        numbers.add(i + 1);
      }
    }
    List<Host> hosts = new ArrayList<>();
    Set<String> seen = new LinkedHashSet<>();
    for (int h = 0; h < hostLines.size(); h++) {
      String[] words = hostLines.get(h);
      int number = numbers.get(h);
      if (words.length < 2 || words[1].contains("=")) {
        throw error(file, number, "'" + words[0] + "' needs its roles after it, e.g. '" + words[0] + " worker'");
      }
      List<String> roles = List.of(words[1].split(","));
      for (String role : roles) {
        if (!ROLE.matcher(role).matches()) {
          throw error(file, number, "'" + role + "' is not a role name (letters, digits, '-', '_', '.')");
        }
      }
      Map<String, String> settings = new LinkedHashMap<>(defaults);
      List<String> options = new ArrayList<>(defaultOptions);
      settings(file, number, words, 2, settings, options);
      Host host = new Host(words[0], roles, Map.copyOf(settings), List.copyOf(options), number);
      if (!seen.add(host.name() + " " + host.get("dir"))) {
        throw error(file, number, "host " + host.name() + " with dir " + host.get("dir") + " is listed twice");
      }
      hosts.add(host);
    }
    if (hosts.isEmpty()) {
      throw new HostsFileException(file + " lists no hosts (a line: HOST ROLES, e.g. '192.168.1.10 primary,worker')");
    }
    if (hosts.stream().noneMatch(Host::isPrimary)) {
      throw new HostsFileException(file + ": no host has the role primary (the cluster's seed; give it to one or two hosts)");
    }
    return new HostsFile(file, List.copyOf(hosts));
  }

  private static void settings(Path file, int number, String[] words, int from, Map<String, String> into, List<String> options) {
    for (int w = from; w < words.length; w++) {
      int equals = words[w].indexOf('=');
      if (equals <= 0) {
        throw error(file, number, "'" + words[w] + "' is not key=value");
      }
      String key = words[w].substring(0, equals);
      String value = words[w].substring(equals + 1);
      if (!DEFAULTS.containsKey(key)) {
        throw error(file, number, "unknown setting '" + key + "' (known: " + String.join(", ", DEFAULTS.keySet()) + ")");
      }
      switch (key) {
        case "ssh-port", "cluster-port", "http-port" -> {
          if (!value.matches("[0-9]{1,5}") || Integer.parseInt(value) < 1 || Integer.parseInt(value) > 65535) {
            throw error(file, number, key + "=" + value + " is not a port");
          }
        }
        case "cluster-name" -> {
          if (!NAME.matcher(value).matches()) {
            throw error(file, number, "cluster-name=" + value + " may hold only letters, digits, '-' and '_'");
          }
        }
        case "heap" -> {
          if (!value.isEmpty() && !value.matches("[0-9]+[kKmMgG]?")) {
            throw error(file, number, "heap=" + value + " is not a heap size (e.g. 512m, 2g)");
          }
        }
        case "dir", "java" -> {
          if (value.isEmpty() || value.contains("'")) {
            throw error(file, number, key + "=" + value + " must be a path without quotes");
          }
        }
        default -> { }
      }
      if (key.equals("ssh-option")) {
        options.add(value);
      } else {
        into.put(key, value);
      }
    }
  }

  private static HostsFileException error(Path file, int line, String problem) {
    return new HostsFileException(file + ":" + line + ": " + problem);
  }

  /** The seed nodes, as {@code address:port}: the primaries, then other hosts, up to three. */
  public List<String> seeds() {
    List<String> seeds = new ArrayList<>();
    hosts.stream().filter(Host::isPrimary).forEach(h -> seeds.add(h.address() + ":" + h.get("cluster-port")));
    for (Host h : hosts) {
      String seed = h.address() + ":" + h.get("cluster-port");
      if (seeds.size() >= 3) {
        break;
      }
      if (!seeds.contains(seed)) {
        seeds.add(seed);
      }
    }
    return List.copyOf(seeds);
  }

  /** The hosts named {@code name} (by name or address). */
  public List<Host> named(String name) {
    return hosts.stream().filter(h -> h.name().equals(name) || h.address().equals(name)).toList();
  }
}
