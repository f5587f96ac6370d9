package dev.tessera.cli.hosts;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One host's Tessera node, driven over SSH: what is installed there, its files, and its process.
 *
 * <p>Layout under the host's {@code dir} (made 0700): {@code releases/HASH/} (an unpacked archive),
 * {@code current} (a link to the one in use), {@code archive.sha256}, {@code node.conf} and {@code
 * node.env} (0600: the key stores' password), {@code tls/} (0700, the node's key and trust stores,
 * 0600), {@code data/} (the object store's files), and without systemd {@code node.pid} and {@code
 * node.log}. Under systemd the node is the user unit {@code tessera-CLUSTER.service}, whose log is
 * in the journal.
 */
public final class RemoteNode {

  private static final Duration SHORT = Duration.ofSeconds(30);
  /** Copying and unpacking the archive: 70 MB over a slow link. */
  private static final Duration INSTALL = Duration.ofMinutes(10);

  private final Ssh ssh;
  private final HostsFile.Host host;
  private volatile Probe probe;

  /** What a first look at the host found. */
  /**
   * What {@link #probe} found; {@code portsTaken} lists the node's ports that another program
   * listens on while no node of this install runs (as {@code port (setting)}).
   */
  public record Probe(String dir, Optional<String> java, int javaMajor, boolean systemd, String archiveHash,
      List<String> portsTaken) {}

  public RemoteNode(Ssh ssh, HostsFile.Host host) {
    this.ssh = ssh;
    this.host = host;
  }

  public HostsFile.Host host() {
    return host;
  }

  /** The install folder's absolute path there (after {@link #probe}). */
  public String dir() {
    return probe.dir();
  }

  public Probe probed() {
    return probe;
  }

  /** The systemd user unit the node runs as, where the host has systemd. */
  public String unit() {
    return "tessera-" + host.get("cluster-name") + ".service";
  }

  /**
   * Looks at the host: logs in, makes the install folder (0700), finds Java and its version,
   * whether a systemd user manager runs, the hash of the archive installed, and, when no node of
   * this install runs, whether another program holds the node's cluster or management port.
   */
  public Probe probe() throws IOException, InterruptedException {
    String clusterPort = host.get("cluster-port");
    String httpPort = host.get("http-port");
    String script = dirPrologue(false)
        + "mkdir -p \"$D\" && chmod 700 \"$D\" && cd \"$D\" && D=$(pwd -P) && echo \"dir=$D\"\n"
        + "J=" + Ssh.quote(host.get("java")) + "\n"
        + "if command -v \"$J\" >/dev/null 2>&1; then\n"
        + "  echo \"javapath=$(readlink -f \"$(command -v \"$J\")\")\"\n"
        + "  echo \"javaversion=$(\"$J\" -version 2>&1 | head -n 1)\"\n"
        + "fi\n"
        + "if systemctl --user show-environment >/dev/null 2>&1; then echo systemd=yes\n"
        + "  P=$(systemctl --user show -p MainPID --value " + unit() + " 2>/dev/null); [ \"$P\" = 0 ] && P=\n"
        + "else echo systemd=no; P=$(cat node.pid 2>/dev/null); fi\n"
        + "if [ -n \"$P\" ] && ! tr '\\0' ' ' < /proc/$P/cmdline 2>/dev/null | grep -qF \"$D\"; then P=; fi\n"
        + "echo \"archive=$(cat archive.sha256 2>/dev/null)\"\n"
        // Our node is not running, yet something answers on its ports: another program holds them.
        + "if [ -z \"$P\" ]; then\n"
        + "  (exec 3<>/dev/tcp/" + host.address() + "/" + clusterPort + ") 2>/dev/null && echo \"taken." + clusterPort
        + "=cluster-port\"\n"
        + "  (exec 3<>/dev/tcp/127.0.0.1/" + httpPort + ") 2>/dev/null && echo \"taken." + httpPort + "=http-port\"\n"
        + "fi\n"
        + "exit 0\n";
    Ssh.Result r = ssh.run(host, script, Optional.empty(), SHORT);
    Map<String, String> values = values(r.out());
    if (!r.ok() || !values.containsKey("dir")) {
      throw new IOException("cannot use " + host.get("dir") + " there: " + lastLine(r.err()));
    }
    Optional<String> java = Optional.ofNullable(values.get("javapath"));
    int major = java.isPresent() ? javaMajor(values.getOrDefault("javaversion", "")) : 0;
    List<String> taken = values.entrySet().stream().filter(e -> e.getKey().startsWith("taken."))
        .map(e -> e.getKey().substring("taken.".length()) + " (" + e.getValue() + ")").toList();
    probe = new Probe(values.get("dir"), java, major, values.get("systemd").equals("yes"), values.getOrDefault("archive", ""),
        taken);
    return probe;
  }

  /** Copies the archive and unpacks it as {@code releases/HASH}, then points {@code current} at it. */
  public void install(Path archive, String hash) throws IOException, InterruptedException {
    String release = "releases/" + hash.substring(0, 16);
    String script = dirPrologue(true)
        + "R=" + Ssh.quote(release) + "\n"
        + "rm -rf \"$R.part\" && mkdir -p \"$R.part\"\n"
        + "tar xzf - -C \"$R.part\" --strip-components=1\n"
        + "rm -rf \"$R\" && mv \"$R.part\" \"$R\"\n"
        + "ln -sfn \"$R\" current\n"
        + "echo " + Ssh.quote(hash) + " > archive.sha256\n";
    Ssh.Result r = ssh.run(host, script, Optional.of(archive), INSTALL);
    if (!r.ok()) {
      throw new IOException("copying the archive failed: " + lastLine(r.err()));
    }
    probe = new Probe(probe.dir(), probe.java(), probe.javaMajor(), probe.systemd(), hash, probe.portsTaken());
  }

  /** What was there before {@link #writeAll} wrote: the hash of what the running node was started with, and whether it runs. */
  public record Written(String applied, boolean running) {}

  /**
   * Writes every file of {@code files} (a name under the install folder to its bytes) in one SSH
   * call, each 0600 in a folder 0700, each replacing the last atomically; reports the {@code
   * applied} file's content and whether the node runs.
   */
  public Written writeAll(Map<String, byte[]> files) throws IOException, InterruptedException {
    StringBuilder script = new StringBuilder(dirPrologue(true)).append("set -e\numask 077\n");
    for (Map.Entry<String, byte[]> file : files.entrySet()) {
      String name = Ssh.quote(file.getKey());
      script.append("mkdir -p \"$(dirname ").append(name).append(")\"\n")
          .append("base64 -d > ").append(name).append(".part <<'TESSERA_FILE'\n")
          .append(java.util.Base64.getMimeEncoder(76, new byte[] {(byte) 10}).encodeToString(file.getValue())).append("\nTESSERA_FILE\n")
          .append("chmod 600 ").append(name).append(".part && mv ").append(name).append(".part ").append(name).append('\n');
    }
    script.append("set +e\necho \"applied=$(cat applied 2>/dev/null)\"\n").append(pidLines()).append("echo \"pid=$P\"\n");
    Ssh.Result r = ssh.runScript(host, script.toString(), SHORT);
    if (!r.ok()) {
      throw new IOException("writing " + String.join(", ", files.keySet()) + " failed: " + lastLine(r.err()));
    }
    Map<String, String> v = values(r.out());
    return new Written(v.getOrDefault("applied", "").trim(), v.getOrDefault("pid", "").matches("[0-9]+"));
  }

  /** Writes {@code text} to {@code name} under the install folder, 0600 (folders made 0700). */
  public void writePrivate(String name, String text) throws IOException, InterruptedException {
    String script = dirPrologue(true) + "umask 077\nF=" + Ssh.quote(name) + "\n"
        + "mkdir -p \"$(dirname \"$F\")\" && cat > \"$F.part\" && chmod 600 \"$F.part\" && mv \"$F.part\" \"$F\"\n";
    Ssh.Result r = ssh.runWithInput(host, script, text, SHORT);
    if (!r.ok()) {
      throw new IOException("writing " + name + " failed: " + lastLine(r.err()));
    }
  }

  /**
   * Starts the node: as the systemd user unit where there is systemd (written with the paths of
   * this install, enabled, restarted on failure), else detached, with a pid file and a log file.
   *
   * @param joinOnly when not empty, the seeds this start joins through instead of the config's:
   *     the other nodes of a running cluster. A node listed first in its own seeds forms a new
   *     cluster when the others do not answer within seed-node-timeout; restarted while the others
   *     run (and busy), it could form an island of its own. Given only the others, it can only join.
   */
  public void start(java.util.List<String> joinOnly) throws IOException, InterruptedException {
    String args = joinOnly.isEmpty() ? "" : "--seeds " + String.join(",", joinOnly);
    String argsFile = "printf '%s\\n' " + Ssh.quote("TESSERA_NODE_ARGS=" + Ssh.quote(args)) + " > node.args\n";
    String script;
    if (probe.systemd()) {
      String unitText = "[Unit]\nDescription=Tessera node (cluster " + host.get("cluster-name") + ")\n"
          + "After=network-online.target\nWants=network-online.target\n\n"
          + "[Service]\nType=simple\nWorkingDirectory=" + dir() + "\n"
          + "EnvironmentFile=" + dir() + "/node.env\n"
          + "EnvironmentFile=-" + dir() + "/node.args\n"
          + "ExecStart=" + dir() + "/current/bin/tessera node --config " + dir() + "/node.conf $TESSERA_NODE_ARGS\n"
          + "Restart=on-failure\nRestartPreventExitStatus=2 7\nRestartSec=5s\nTimeoutStopSec=90s\n\n"
          + "[Install]\nWantedBy=default.target\n";
      script = dirPrologue(true) + argsFile
          + "U=\"$HOME/.config/systemd/user\"; mkdir -p \"$U\"\n"
          + "cat > \"$U/" + unit() + "\" <<'UNIT'\n" + unitText + "UNIT\n"
          + "systemctl --user daemon-reload && systemctl --user enable " + unit() + " >/dev/null 2>&1\n"
          + "systemctl --user restart " + unit() + "\n"
          + "loginctl enable-linger \"$(id -un)\" >/dev/null 2>&1 || true\n";
    } else {
      script = dirPrologue(true) + argsFile
          + "set -a; . ./node.env; . ./node.args; set +a\n"
          + "echo \"--- started $(date -u +%FT%TZ) ${TESSERA_NODE_ARGS} ---\" >> node.log\n"
          + "setsid nohup \"$D/current/bin/tessera\" node --config \"$D/node.conf\" $TESSERA_NODE_ARGS >> node.log 2>&1 < /dev/null &\n"
          + "echo $! > node.pid\n";
    }
    Ssh.Result r = ssh.run(host, script, Optional.empty(), SHORT);
    if (!r.ok()) {
      throw new IOException("starting the node failed: " + lastLine(r.err()));
    }
  }

  /**
   * Stops the node: SIGTERM (it drains its tasks and leaves the cluster), and SIGKILL if it has
   * not exited after {@code grace}. Returns how it ended: {@code none}, {@code left} or {@code killed}.
   */
  public String stop(Duration grace) throws IOException, InterruptedException {
    String stopUnit = probe != null && probe.systemd()
        ? "systemctl --user stop --no-block " + unit() + " >/dev/null 2>&1\n" : "";
    String script = dirPrologue(true) + pidLines()
        + "if [ -z \"$P\" ]; then echo stopped=none; rm -f node.pid; exit 0; fi\n"
        + stopUnit
        + "kill -TERM \"$P\" 2>/dev/null\n"
        + "end=$(( $(date +%s) + " + grace.toSeconds() + " ))\n"
        + "while kill -0 \"$P\" 2>/dev/null && [ \"$(date +%s)\" -lt \"$end\" ]; do sleep 0.2; done\n"
        + "if kill -0 \"$P\" 2>/dev/null; then kill -KILL \"$P\"; echo stopped=killed; else echo stopped=left; fi\n"
        + "rm -f node.pid\n";
    Ssh.Result r = ssh.run(host, script, Optional.empty(), grace.plus(SHORT));
    return values(r.out()).getOrDefault("stopped", "unknown");
  }

  /** The node's readiness now: {@code ready}, {@code starting}, or {@code exited} with its log's last lines. */
  public Readiness readiness() throws IOException, InterruptedException {
    String script = dirPrologue(true) + pidLines()
        + "if [ -z \"$P\" ]; then echo state=exited; " + tail(8) + "; exit 0; fi\n"
        // GET /ready on the node's loopback management port, with bash alone (no curl on a bare Pi).
        + "status=$( (exec 3<>/dev/tcp/127.0.0.1/" + host.get("http-port") + " || exit 1\n"
        + "  printf 'GET /ready HTTP/1.0\\r\\nHost: 127.0.0.1\\r\\n\\r\\n' >&3\n"
        + "  read -r -t 5 line <&3; echo \"$line\") 2>/dev/null )\n"
        + "echo \"state=${status:-starting}\"\n";
    Ssh.Result r = ssh.run(host, script, Optional.empty(), SHORT);
    Map<String, String> v = values(r.out());
    String state = v.getOrDefault("state", "");
    if (state.equals("exited")) {
      String log = r.out().lines().filter(l -> l.startsWith("log=")).map(l -> l.substring(4)).reduce("", (a, b) -> a + b + "\n");
      return new Readiness(Readiness.State.EXITED, log);
    }
    return new Readiness(state.contains(" 200 ") ? Readiness.State.READY : Readiness.State.STARTING, "");
  }

  /** A node's readiness, with its log's last lines when it has exited. */
  public record Readiness(State state, String logTail) {
    public enum State { STARTING, READY, EXITED }

    /** The line of the log that says why it exited: its last {@code error:} line, else its last line. */
    public String reason() {
      return logTail.lines().filter(l -> l.startsWith("error:")).reduce((a, b) -> b)
          .or(() -> logTail.lines().filter(l -> !l.isBlank()).reduce((a, b) -> b))
          .orElse("it exited without a word in its log");
    }
  }

  /** The last {@code lines} of the node's log. */
  public String logs(int lines) throws IOException, InterruptedException {
    String script = dirPrologue(true)
        + (probe != null && probe.systemd()
            ? "journalctl --user -u " + unit() + " -n " + lines + " --no-pager\n"
            : "tail -n " + lines + " node.log\n");
    return ssh.run(host, script, Optional.empty(), SHORT).out();
  }

  /** Runs {@code tessera ARGS} there, from the installed release, and returns what it printed. */
  public Ssh.Result tessera(String args) throws IOException, InterruptedException {
    return ssh.run(host, dirPrologue(true) + "set -a; . ./node.env; set +a\n\"$D/current/bin/tessera\" " + args + "\n",
        Optional.empty(), SHORT);
  }

  // ---- script pieces ----

  /** Sets D to the install folder (relative to the home folder unless absolute); {@code cd}s into it. */
  private String dirPrologue(boolean cd) {
    return "D=" + Ssh.quote(host.get("dir")) + "\ncase \"$D\" in /*) ;; *) D=\"$HOME/$D\" ;; esac\n"
        + (cd ? "cd \"$D\" || exit 3\nD=$(pwd -P)\n" : "");
  }

  /** Sets P to the node's process id if it runs (systemd's main pid, or the pid file's, if that process is ours). */
  private String pidLines() {
    String fromUnit = probe != null && probe.systemd()
        ? "P=$(systemctl --user show -p MainPID --value " + unit() + " 2>/dev/null); [ \"$P\" = 0 ] && P=\n"
        : "P=$(cat node.pid 2>/dev/null)\n";
    // A stale pid file whose number now belongs to another process is not ours: its command line names $D.
    return fromUnit + "if [ -n \"$P\" ] && ! tr '\\0' ' ' < /proc/$P/cmdline 2>/dev/null | grep -qF \"$D\"; then P=; fi\n";
  }

  private String tail(int lines) {
    return (probe != null && probe.systemd()
        ? "journalctl --user -u " + unit() + " -n " + lines + " --no-pager -o cat"
        : "tail -n " + lines + " node.log") + " | sed 's/^/log=/'";
  }

  static Map<String, String> values(String out) {
    Map<String, String> v = new LinkedHashMap<>();
    out.lines().forEach(line -> {
      int eq = line.indexOf('=');
      if (eq > 0 && !line.startsWith("log=")) {
        v.put(line.substring(0, eq), line.substring(eq + 1));
      }
    });
    return v;
  }

  /** The major version in a {@code java -version} first line: {@code openjdk version "17.0.15"} is 17, {@code "1.8.0_401"} is 8. */
  static int javaMajor(String line) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"(\\d+)(?:\\.(\\d+))?").matcher(line);
    if (!m.find()) {
      return 0;
    }
    int first = Integer.parseInt(m.group(1));
    return first == 1 && m.group(2) != null ? Integer.parseInt(m.group(2)) : first;
  }

  static String lastLine(String text) {
    return text.lines().map(String::trim).filter(l -> !l.isEmpty()).reduce((a, b) -> b).orElse("no message");
  }
}
