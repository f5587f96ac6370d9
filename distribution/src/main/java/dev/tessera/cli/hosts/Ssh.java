package dev.tessera.cli.hosts;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Runs commands on hosts through the system's OpenSSH client ({@code ssh}), never asking a person
 * anything ({@code BatchMode}): your keys, agent, {@code ~/.ssh/config} and known hosts apply as they
 * do for {@code ssh} itself. Every command to one host shares one connection ({@code ControlMaster}),
 * closed by {@link #close}. A remote command runs in {@code bash}.
 *
 * <p>Why OpenSSH rather than a Java SSH library: it is on every machine that is driven over SSH,
 * already trusted with the user's keys and host-key policy, and adds no dependency; see the
 * distribution README.
 */
public final class Ssh implements AutoCloseable {

  /** What a command printed and how it ended; {@code code} 255 is ssh's own failure. */
  public record Result(int code, String out, String err) {
    public boolean ok() {
      return code == 0;
    }
  }

  /** A host ssh could not reach or log in to, with the cause in a person's words. */
  public static final class SshException extends IOException {
    SshException(String message) {
      super(message);
    }
  }

  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

  private final Path controlDir;
  private final String ssh;

  private Ssh(Path controlDir, String ssh) {
    this.controlDir = controlDir;
    this.ssh = ssh;
  }

  /** A client whose shared connections live in a new private folder. */
  public static Ssh create() throws IOException {
    // A short path: a control socket's path must fit in 108 bytes.
    Path dir = Files.createTempDirectory(Path.of("/tmp"), "tssh",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    return new Ssh(dir, "ssh");
  }

  /** Runs {@code script} with bash on {@code host}, {@code stdin} (if any) fed to it, within {@code timeout}. */
  public Result run(HostsFile.Host host, String script, Optional<Path> stdin, Duration timeout)
      throws IOException, InterruptedException {
    return exec(host, "bash -c " + quote(script), stdin, timeout);
  }

  /**
   * Runs a script too long for a command line ({@code bash -s}, the script on its standard input):
   * files sent inline, say.
   */
  public Result runScript(HostsFile.Host host, String script, Duration timeout) throws IOException, InterruptedException {
    Path file = Files.createTempFile(controlDir, "script", ".sh");
    try {
      Files.writeString(file, script, StandardCharsets.UTF_8);
      return exec(host, "bash -s", Optional.of(file), timeout);
    } finally {
      Files.deleteIfExists(file);
    }
  }

  private Result exec(HostsFile.Host host, String remoteCommand, Optional<Path> stdin, Duration timeout)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(base(host));
    command.add("--");
    command.add(remoteCommand);
    Process process = new ProcessBuilder(command).start();
    CompletableFuture<byte[]> out = readAll(process.getInputStream());
    CompletableFuture<byte[]> err = readAll(process.getErrorStream());
    try (OutputStream in = process.getOutputStream()) {
      if (stdin.isPresent()) {
        Files.copy(stdin.get(), in);
      }
    } catch (IOException e) {
      // the remote side stopped reading: its exit code and errors say why
    }
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      throw new SshException("no answer over SSH within " + timeout.toSeconds() + " s");
    }
    Result result = new Result(process.exitValue(), text(out), text(err));
    if (result.code() == 255) {
      throw new SshException(cause(result.err(), host));
    }
    return result;
  }

  /** Runs {@code script} with {@code text} as its standard input. */
  public Result runWithInput(HostsFile.Host host, String script, String text, Duration timeout)
      throws IOException, InterruptedException {
    Path file = Files.createTempFile(controlDir, "in", ".txt");
    try {
      Files.writeString(file, text, StandardCharsets.UTF_8);
      return run(host, script, Optional.of(file), timeout);
    } finally {
      Files.deleteIfExists(file);
    }
  }

  /** The ssh command line up to the host: batch mode, timeouts, the shared connection, the host's options. */
  List<String> base(HostsFile.Host host) {
    List<String> c = new ArrayList<>(List.of(ssh,
        "-o", "BatchMode=yes",
        "-o", "ConnectTimeout=" + CONNECT_TIMEOUT.toSeconds(),
        "-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=3",
        "-o", "ControlMaster=auto", "-o", "ControlPath=" + controlDir + "/%C", "-o", "ControlPersist=60",
        "-p", host.get("ssh-port")));
    host.identity().ifPresent(key -> c.addAll(List.of("-i", key.toString(), "-o", "IdentitiesOnly=yes")));
    for (String option : host.sshOptions()) {
      c.addAll(List.of("-o", option));
    }
    if (!host.get("user").isEmpty()) {
      c.addAll(List.of("-l", host.get("user")));
    }
    c.add(host.name());
    return c;
  }

  /** ssh's complaint, as one line naming the cause a person can act on. */
  static String cause(String stderr, HostsFile.Host host) {
    String last = stderr.lines().map(String::trim).filter(l -> !l.isEmpty() && !l.startsWith("Warning: Permanently added"))
        .reduce((a, b) -> b).orElse("ssh failed without saying why");
    String who = (host.get("user").isEmpty() ? "" : host.get("user") + "@") + host.name();
    if (stderr.contains("Permission denied")) {
      return "rejected the SSH key (" + last + "): add your public key to " + who + ":~/.ssh/authorized_keys";
    }
    if (stderr.contains("Host key verification failed") || stderr.contains("REMOTE HOST IDENTIFICATION HAS CHANGED")) {
      return "its SSH host key is unknown or has changed: check it with `ssh " + who + "` and accept it, then try again";
    }
    if (stderr.contains("Connection refused")) {
      return "unreachable: SSH connection refused on port " + host.get("ssh-port") + " (is sshd running there?)";
    }
    if (stderr.contains("Could not resolve hostname")) {
      return "unreachable: its name does not resolve (" + last + ")";
    }
    if (stderr.contains("timed out") || stderr.contains("No route to host") || stderr.contains("Network is unreachable")) {
      return "unreachable: " + last;
    }
    return "ssh failed: " + last;
  }

  /** {@code text} as one single-quoted shell word. */
  public static String quote(String text) {
    return "'" + text.replace("'", "'\\''") + "'";
  }

  /** Closes the shared connections and deletes their folder. */
  @Override
  public void close() {
    try (Stream<Path> sockets = Files.list(controlDir)) {
      for (Path socket : sockets.toList()) {
        // `ssh -O exit` needs the host; the socket's owner (the master ssh) exits when its socket goes.
        Process exit = new ProcessBuilder(ssh, "-o", "ControlPath=" + socket, "-O", "exit", "unused")
            .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!exit.waitFor(5, TimeUnit.SECONDS)) {
          exit.destroyForcibly();
        }
      }
    } catch (IOException e) {
      // nothing to close
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try (Stream<Path> all = Files.walk(controlDir)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      // a temporary folder left behind
    }
  }

  /** Threads that read the processes' output: blocking reads, so not the common pool (one thread on two cores). */
  private static final java.util.concurrent.ExecutorService READERS = java.util.concurrent.Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "ssh-output");
    t.setDaemon(true);
    return t;
  });

  private static CompletableFuture<byte[]> readAll(InputStream in) {
    return CompletableFuture.supplyAsync(() -> {
      try (in) {
        return in.readAllBytes();
      } catch (IOException e) {
        return new byte[0];
      }
    }, READERS);
  }

  private static String text(CompletableFuture<byte[]> bytes) {
    return new String(bytes.join(), StandardCharsets.UTF_8);
  }
}
