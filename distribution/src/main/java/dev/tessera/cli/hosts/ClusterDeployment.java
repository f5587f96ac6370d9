package dev.tessera.cli.hosts;

import dev.tessera.runtime.node.ClusterCa;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The cluster a hosts file describes, driven over SSH: prepares each host (archive, config, keys),
 * starts, stops and restarts the nodes, and waits for them to be ready. Hosts are worked on in
 * parallel; a host that fails gets one line naming it and the cause, and the others go on.
 * Progress lines go to {@code out} as they happen, each with the seconds since the start.
 */
public final class ClusterDeployment implements AutoCloseable {

  /** A host that could not be used, and why, in one line. */
  public record Failure(HostsFile.Host host, String cause) {}

  /** How long a node may take to drain and leave before it is killed. */
  public static final Duration STOP_GRACE = Duration.ofSeconds(60);

  private final HostsFile hosts;
  private final Path certs;
  private final boolean insecurePlaintext;
  private final PrintStream out;
  private final Ssh ssh;
  private final long started = System.nanoTime();
  private final Map<HostsFile.Host, RemoteNode> nodes = new LinkedHashMap<>();
  private final Map<HostsFile.Host, String> failures = new LinkedHashMap<>();
  private final ExecutorService workers;

  public ClusterDeployment(HostsFile hosts, Path certs, boolean insecurePlaintext, PrintStream out) throws IOException {
    this.hosts = hosts;
    this.certs = certs;
    this.insecurePlaintext = insecurePlaintext;
    this.out = out;
    this.ssh = Ssh.create();
    this.workers = Executors.newFixedThreadPool(Math.min(16, hosts.hosts().size()), r -> {
      Thread t = new Thread(r, "host");
      t.setDaemon(true);
      return t;
    });
    for (HostsFile.Host host : hosts.hosts()) {
      nodes.put(host, new RemoteNode(ssh, host));
    }
  }

  public HostsFile hostsFile() {
    return hosts;
  }

  /** Hosts that failed so far, with why. */
  public List<Failure> failures() {
    synchronized (failures) {
      return failures.entrySet().stream().map(e -> new Failure(e.getKey(), e.getValue())).toList();
    }
  }

  /** The hosts that have not failed. */
  public List<HostsFile.Host> healthy() {
    synchronized (failures) {
      return hosts.hosts().stream().filter(h -> !failures.containsKey(h)).toList();
    }
  }

  public RemoteNode node(HostsFile.Host host) {
    return nodes.get(host);
  }

  /** Prints one progress line. */
  public void say(String line) {
    synchronized (out) {
      out.printf("[%6.1f s] %s%n", seconds(), line);
      out.flush();
    }
  }

  public double seconds() {
    return (System.nanoTime() - started) / 1e9;
  }

  /** Records that {@code host} failed, and says so. */
  public void fail(HostsFile.Host host, String cause) {
    synchronized (failures) {
      failures.putIfAbsent(host, cause);
    }
    say(host.label() + ": " + cause);
  }

  /** Runs {@code step} on every healthy host at once; a host whose step throws is recorded as failed. */
  public void onEveryHost(HostStep step) throws InterruptedException {
    List<Future<?>> running = new ArrayList<>();
    for (HostsFile.Host host : healthy()) {
      running.add(workers.submit((Callable<Void>) () -> {
        runStep(host, step);
        return null;
      }));
    }
    for (Future<?> f : running) {
      try {
        f.get();
      } catch (ExecutionException e) {
        // recorded by runStep
      }
    }
  }

  /** Runs {@code step} on {@code host} now, recording a failure. Returns whether it succeeded. */
  public boolean runStep(HostsFile.Host host, HostStep step) throws InterruptedException {
    try {
      step.run(nodes.get(host));
      return true;
    } catch (Ssh.SshException e) {
      fail(host, e.getMessage());
    } catch (IOException | RuntimeException e) {
      fail(host, String.valueOf(e.getMessage()));
    }
    return false;
  }

  /** What to do on one host. */
  @FunctionalInterface
  public interface HostStep {
    void run(RemoteNode node) throws IOException, InterruptedException;
  }

  // ---- the steps ----

  /** Logs in and checks the install folder, Java, and that no other program holds the node's ports. */
  public void probe(RemoteNode node) throws IOException, InterruptedException {
    RemoteNode.Probe p = node.probe();
    HostsFile.Host host = node.host();
    if (p.java().isEmpty()) {
      throw new IOException("no Java: '" + host.get("java") + "' is not a command there (install a Java 17 runtime, "
          + "e.g. apt-get install openjdk-17-jre-headless, or set java= to its path in " + hosts.file() + ")");
    }
    if (p.javaMajor() < 17) {
      throw new IOException("Java " + (p.javaMajor() == 0 ? "of an unknown version" : p.javaMajor()) + " at " + p.java().get()
          + "; Tessera needs 17 or newer (set java= in " + hosts.file() + ")");
    }
    if (!p.portsTaken().isEmpty()) {
      throw new IOException("port " + String.join(" and ", p.portsTaken()) + " taken: another program listens there "
          + "and no Tessera node of " + p.dir() + " runs (stop it, or set another port for this host in " + hosts.file() + ")");
    }
  }

  /** Issues every host its certificate, making the cluster's CA first if there is none. */
  public void issueCertificates() throws IOException {
    if (insecurePlaintext) {
      return;
    }
    if (!ClusterCa.exists(certs)) {
      ClusterCa.init(certs, hosts.hosts().get(0).get("cluster-name") + "-ca", 3650);
      say("made the cluster's CA in " + certs + " (its key stays there)");
    }
    for (HostsFile.Host host : healthy()) {
      if (!Files.isRegularFile(nodeCertificates(host).resolve(dev.tessera.runtime.node.ClusterCertificates.KEY_STORE_FILE))) {
        List<String> names = host.address().equals(host.name()) ? List.of() : List.of(host.name());
        ClusterCa.issue(certs, host.address(), names, 825);
        say(host.label() + ": issued its certificate");
      }
    }
  }

  private Path nodeCertificates(HostsFile.Host host) {
    return certs.resolve(host.address().replace(':', '_'));
  }

  /**
   * Copies the archive where the host lacks it (by hash), then writes the node's config, its
   * environment and its keys. Returns whether any of them changed since they were last applied.
   */
  public boolean prepare(RemoteNode node, Path archive, String archiveHash) throws IOException, InterruptedException {
    HostsFile.Host host = node.host();
    if (!node.probed().archiveHash().equals(archiveHash)) {
      long t0 = System.nanoTime();
      node.install(archive, archiveHash);
      say(String.format("%s: copied the archive (%.1f MB in %.1f s)", host.label(), Files.size(archive) / 1e6,
          (System.nanoTime() - t0) / 1e9));
    } else {
      say(host.label() + ": has this archive already");
    }
    String config = nodeConfig(host, node.dir());
    String env = nodeEnvironment(node);
    Map<String, byte[]> files = new LinkedHashMap<>();
    files.put("node.conf", config.getBytes(StandardCharsets.UTF_8));
    files.put("node.env", env.getBytes(StandardCharsets.UTF_8));
    String keysHash = "";
    if (!insecurePlaintext) {
      Path mine = nodeCertificates(host);
      files.put("tls/node.p12", Files.readAllBytes(mine.resolve("node.p12")));
      files.put("tls/trust.p12", Files.readAllBytes(mine.resolve("trust.p12")));
      keysHash = sha256(files.get("tls/node.p12"));
    }
    // One SSH call writes them all and says what the running node (if any) was started with.
    RemoteNode.Written before = node.writeAll(files);
    running.put(host, before.running());
    String applied = sha256((archiveHash + "\n" + config + "\n" + env + "\n" + keysHash).getBytes(StandardCharsets.UTF_8));
    if (applied.equals(before.applied())) {
      return false;
    }
    pending.put(host, applied);
    return true;
  }

  private final Map<HostsFile.Host, Boolean> running = new java.util.concurrent.ConcurrentHashMap<>();

  /** Whether the host's node was running when {@link #prepare} looked. */
  public boolean wasRunning(HostsFile.Host host) {
    return running.getOrDefault(host, false);
  }

  private final Map<HostsFile.Host, String> pending = new java.util.concurrent.ConcurrentHashMap<>();

  /** Records on the host that its node now runs with what {@link #prepare} wrote. */
  public void markApplied(RemoteNode node) throws IOException, InterruptedException {
    String applied = pending.remove(node.host());
    if (applied != null) {
      node.writePrivate("applied", applied + "\n");
    }
  }

  /** The node's config for {@code host}, installed in {@code dir}. */
  String nodeConfig(HostsFile.Host host, String dir) throws IOException {
    StringBuilder c = new StringBuilder();
    c.append("# Written by `tessera up` from ").append(hosts.file().toAbsolutePath()).append("; rewritten at every up.\n");
    c.append("tessera.node {\n");
    c.append("  cluster-name = ").append(q(host.get("cluster-name"))).append('\n');
    c.append("  host = ").append(q(host.address())).append('\n');
    c.append("  port = ").append(host.get("cluster-port")).append('\n');
    c.append("  seeds = [").append(String.join(", ", hosts.seeds().stream().map(ClusterDeployment::q).toList())).append("]\n");
    c.append("  roles = [").append(String.join(", ", host.nodeRoles().stream().map(ClusterDeployment::q).toList())).append("]\n");
    c.append("  management.port = ").append(host.get("http-port")).append('\n');
    if (insecurePlaintext) {
      c.append("  insecure-plaintext = on\n");
    } else {
      c.append("  tls {\n    enabled = on\n");
      c.append("    key-store = ").append(q(dir + "/tls/node.p12")).append('\n');
      c.append("    trust-store = ").append(q(dir + "/tls/trust.p12")).append('\n');
      c.append("  }\n");
    }
    c.append("}\n");
    c.append("tessera.data.directory = ").append(q(dir + "/data")).append('\n');
    if (!host.get("config").isEmpty()) {
      Path extra = hosts.file().toAbsolutePath().getParent().resolve(host.get("config"));
      c.append("# From ").append(extra).append(":\n").append(Files.readString(extra)).append('\n');
    }
    return c.toString();
  }

  private String nodeEnvironment(RemoteNode node) throws IOException {
    HostsFile.Host host = node.host();
    StringBuilder e = new StringBuilder("# Written by `tessera up`; read by bin/tessera's node (and its systemd unit).\n");
    if (!insecurePlaintext) {
      String password = Files.readString(nodeCertificates(host).resolve(ClusterCa.NODE_PASSWORD)).trim();
      e.append("TESSERA_TLS_PASSWORD=").append(Ssh.quote(password)).append('\n');
    }
    Path java = Path.of(node.probed().java().orElseThrow());
    if (java.getParent() != null && java.getParent().getParent() != null) {
      e.append("JAVA_HOME=").append(Ssh.quote(java.getParent().getParent().toString())).append('\n');
    }
    if (!host.get("heap").isEmpty()) {
      e.append("TESSERA_HEAP=").append(host.get("heap")).append('\n');
    }
    if (!host.get("classpath").isEmpty()) {
      e.append("TESSERA_CLASSPATH=").append(Ssh.quote(host.get("classpath"))).append('\n');
    }
    return e.toString();
  }

  /**
   * Waits until every node in {@code which} is ready ({@code GET /ready} answers 200 on its
   * loopback), has exited (a failure, with its log's reason), or {@code timeout} has passed.
   * Returns the seconds (since the start) at which each became ready.
   */
  public Map<HostsFile.Host, Double> awaitReady(List<HostsFile.Host> which, Duration timeout) throws InterruptedException {
    Map<HostsFile.Host, Double> ready = new LinkedHashMap<>();
    List<HostsFile.Host> waiting = new ArrayList<>(which);
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!waiting.isEmpty()) {
      List<Future<RemoteNode.Readiness>> asked = new ArrayList<>();
      for (HostsFile.Host host : waiting) {
        asked.add(workers.submit(() -> nodes.get(host).readiness()));
      }
      List<HostsFile.Host> still = new ArrayList<>();
      for (int i = 0; i < waiting.size(); i++) {
        HostsFile.Host host = waiting.get(i);
        try {
          RemoteNode.Readiness r = asked.get(i).get();
          switch (r.state()) {
            case READY -> {
              ready.put(host, seconds());
              say(host.label() + ": ready");
            }
            case EXITED -> fail(host, "the node exited: " + r.reason());
            case STARTING -> still.add(host);
          }
        } catch (ExecutionException e) {
          fail(host, e.getCause() instanceof Ssh.SshException ? e.getCause().getMessage() : String.valueOf(e.getCause()));
        }
      }
      waiting = still;
      if (!waiting.isEmpty()) {
        if (System.nanoTime() > deadline) {
          for (HostsFile.Host host : waiting) {
            fail(host, "not ready after " + timeout.toSeconds() + " s; `tessera logs " + host.name() + "` shows why");
          }
          break;
        }
        Thread.sleep(500);
      }
    }
    return ready;
  }

  /** The cluster's membership as the first healthy primary's node sees it ({@code tessera status} there). */
  public Optional<String> membership() throws InterruptedException {
    for (HostsFile.Host host : healthy()) {
      if (!host.isPrimary() && healthy().stream().anyMatch(HostsFile.Host::isPrimary)) {
        continue;
      }
      try {
        Ssh.Result r = nodes.get(host).tessera("status --node 127.0.0.1:" + host.get("http-port"));
        if (r.ok()) {
          return Optional.of(r.out());
        }
      } catch (IOException e) {
        // try the next
      }
    }
    return Optional.empty();
  }

  static String q(String text) {
    return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  /** The SHA-256 of a file, in hex. */
  public static String sha256(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      byte[] buffer = new byte[1 << 16];
      for (int n; (n = in.read(buffer)) > 0; ) {
        digest.update(buffer, 0, n);
      }
      return HexFormat.of().formatHex(digest.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    workers.shutdownNow();
    ssh.close();
  }
}
