package dev.tessera.chaos.harness;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Test hosts reachable over real SSH: Debian's OpenSSH server in each of N network namespaces
 * (each its own address on a bridge of the test's own), key-only, with a key pair made for the
 * test. The namespaces share this machine's file system, so each host installs under a folder of
 * its own. Needs root, iproute2 and openssh-server. Used by SshClusterTest and bin/bench-up.
 */
public final class SshTestHosts implements AutoCloseable {

  static final Path SSHD = Path.of("/usr/sbin/sshd");

  private final NetworkNamespaces namespaces;
  private final Path dir;
  private final Process[] servers;

  private SshTestHosts(NetworkNamespaces namespaces, Path dir, int count) {
    this.namespaces = namespaces;
    this.dir = dir;
    this.servers = new Process[count + 1];
  }

  /** Why the hosts cannot be made here, if they cannot. */
  public static java.util.Optional<String> unavailable() {
    if (!Files.isExecutable(SSHD)) {
      return java.util.Optional.of("no " + SSHD + " (apt-get install openssh-server)");
    }
    return NetworkNamespaces.unavailable();
  }

  public static SshTestHosts start(int count, Path dir) throws IOException, InterruptedException {
    Files.createDirectories(dir);
    NetworkNamespaces namespaces = NetworkNamespaces.create(count);
    SshTestHosts hosts = new SshTestHosts(namespaces, dir, count);
    try {
      Files.createDirectories(Path.of("/run/sshd")); // sshd's privilege separation folder
      run(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "tessera-test", "-f", hosts.clientKey().toString()));
      Files.copy(Path.of(hosts.clientKey() + ".pub"), dir.resolve("authorized_keys"));
      for (int i = 1; i <= count; i++) {
        run(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", dir.resolve("host-key-" + i).toString()));
        Files.writeString(dir.resolve("sshd-" + i + ".conf"), String.join("\n",
            "ListenAddress " + namespaces.address(i),
            "Port 22",
            "HostKey " + dir.resolve("host-key-" + i),
            "PidFile " + dir.resolve("sshd-" + i + ".pid"),
            "AuthorizedKeysFile " + dir.resolve("authorized_keys"),
            // The test's folders are under /tmp (world-writable): StrictModes would refuse the key there.
            "StrictModes no",
            "PubkeyAuthentication yes",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "PermitRootLogin prohibit-password",
            "AllowUsers " + System.getProperty("user.name"),
            "UsePAM no",
            "LogLevel VERBOSE",
            ""));
        hosts.startServer(i);
      }
    } catch (IOException | InterruptedException | RuntimeException e) {
      hosts.close();
      throw e;
    }
    return hosts;
  }

  /** Starts host {@code i}'s sshd and waits until it accepts connections. */
  public void startServer(int i) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(namespaces.launchPrefix(i));
    command.addAll(List.of(SSHD.toString(), "-D", "-e", "-f", dir.resolve("sshd-" + i + ".conf").toString()));
    servers[i] = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("sshd-" + i + ".log").toFile())).start();
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (true) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(namespaces.address(i), 22), 500);
        return;
      } catch (IOException e) {
        if (!servers[i].isAlive() || System.nanoTime() > deadline) {
          throw new IOException("sshd on host " + i + " did not start: " + Files.readString(dir.resolve("sshd-" + i + ".log")));
        }
        Thread.sleep(100);
      }
    }
  }

  /** Stops host {@code i}'s sshd (the host is then unreachable over SSH; what runs there goes on). */
  public void stopServer(int i) throws InterruptedException {
    if (servers[i] != null) {
      servers[i].destroy();
      servers[i].waitFor(10, TimeUnit.SECONDS);
      servers[i].destroyForcibly();
      servers[i] = null;
    }
  }

  /**
   * Starts a program that is not a Tessera node and listens on {@code port} of host {@code i} (every
   * interface), and waits until it does. The caller destroys the process.
   */
  public Process holdPort(int i, int port) throws IOException {
    List<String> command = new ArrayList<>(namespaces.launchPrefix(i));
    String classes = Path.of(PortHolder.class.getProtectionDomain().getCodeSource().getLocation().getPath()).toString();
    command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx16m", "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1", "-cp", classes, PortHolder.class.getName(), String.valueOf(port)));
    Process holder = new ProcessBuilder(command).redirectErrorStream(true).start();
    String line = new java.io.BufferedReader(new java.io.InputStreamReader(holder.getInputStream())).readLine();
    if (!("holding " + port).equals(line)) {
      holder.destroyForcibly();
      throw new IOException("could not hold port " + port + " on host " + i + ": " + line);
    }
    return holder;
  }

  public String address(int i) {
    return namespaces.address(i);
  }

  /** This machine's address on the hosts' bridge (where a client node joins from). */
  public String bridgeAddress() {
    return namespaces.bridgeAddress();
  }

  public Path clientKey() {
    return dir.resolve("id_ed25519");
  }

  /** The {@code defaults} settings that log in to these hosts: the user, the key, a known-hosts file of the test's own. */
  public String sshDefaults() {
    return "user=" + System.getProperty("user.name") + " identity=" + clientKey()
        + " ssh-option=StrictHostKeyChecking=accept-new ssh-option=UserKnownHostsFile=" + dir.resolve("known_hosts");
  }

  @Override
  public void close() throws InterruptedException {
    for (int i = 1; i < servers.length; i++) {
      stopServer(i);
    }
    namespaces.close();
  }

  private static void run(List<String> command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException(String.join(" ", command) + " failed: " + out);
    }
  }
}
