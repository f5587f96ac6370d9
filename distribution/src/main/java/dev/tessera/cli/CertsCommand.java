package dev.tessera.cli;

import dev.tessera.runtime.launch.ExitCodes;
import dev.tessera.runtime.node.ClusterCa;
import dev.tessera.runtime.node.ClusterCertificates;
import dev.tessera.runtime.node.Secrets;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine;

/**
 * {@code tessera certs}: the keys that turn on mutual TLS. {@code init} makes the cluster's CA,
 * {@code issue HOST} a certificate per node ({@link ClusterCa}); {@code tessera up} runs both.
 * Without a subcommand, {@code --out DIR} makes the older shared self-signed certificate.
 */
@Command(
    name = "certs",
    mixinStandardHelpOptions = true,
    subcommands = {CertsCommand.Init.class, CertsCommand.Issue.class},
    description = {
      "Make the keys for mutual TLS between nodes:",
      "  tessera certs init --dir certs          the cluster's CA (once; keep certs/ca.p12 off the nodes)",
      "  tessera certs issue HOST --dir certs    a certificate for one node, in certs/HOST/",
      "Start each node with --tls-dir certs/HOST and TESSERA_TLS_PASSWORD=$(cat certs/HOST/password).",
      "(--out DIR alone makes one self-signed certificate that every node shares; a lost node then exposes the whole cluster.)"
    })
final class CertsCommand implements Callable<Integer> {

  static final String KEY_STORE_FILE = ClusterCertificates.KEY_STORE_FILE;
  static final String TRUST_STORE_FILE = ClusterCertificates.TRUST_STORE_FILE;
  static final String PASSWORD_FILE = "password";

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--out", paramLabel = "DIR", description = "Write one shared self-signed certificate to DIR (the older scheme).")
  Path out;

  @Option(names = "--name", paramLabel = "CN", defaultValue = "tessera-cluster", description = "Certificate common name (default ${DEFAULT-VALUE}).")
  String name;

  @Option(names = "--days", paramLabel = "N", defaultValue = "3650", description = "Validity in days (default ${DEFAULT-VALUE}).")
  int days;

  @Override
  public Integer call() throws IOException {
    if (out == null) {
      throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: init or issue (or --out DIR)");
    }
    checkDays(spec, days);
    String password = System.getenv("TESSERA_TLS_PASSWORD");
    boolean generated = password == null || password.isEmpty();
    if (generated) {
      password = Secrets.newPassword();
    }
    ClusterCertificates.generate(out, KEY_STORE_FILE, TRUST_STORE_FILE, name, password, days);
    System.out.println("wrote " + out.resolve(KEY_STORE_FILE) + " and " + out.resolve(TRUST_STORE_FILE));
    if (generated) {
      Path file = out.resolve(PASSWORD_FILE);
      Secrets.writePrivate(file, password + "\n");
      System.out.println("password in " + file + "; before starting a node run:");
      System.out.println("  export TESSERA_TLS_PASSWORD=$(cat " + file + ")");
    }
    System.out.println("start every node with: --tls-dir " + out);
    System.out.println("note: every node shares this one key; `tessera certs init` and `issue` give each node its own");
    return ExitCodes.OK;
  }

  static void checkDays(CommandLine.Model.CommandSpec spec, int days) {
    if (days < 1) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--days: must be at least 1, got " + days);
    }
  }

  /** {@code tessera certs init}: the cluster's CA. */
  @Command(name = "init", mixinStandardHelpOptions = true, description = "Make the cluster's certificate authority in DIR.")
  static final class Init implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--dir", paramLabel = "DIR", defaultValue = "certs", description = "Where the CA goes (default ${DEFAULT-VALUE}; made 0700).")
    Path dir;

    @Option(names = "--name", paramLabel = "CN", defaultValue = "tessera-cluster-ca", description = "The CA's common name (default ${DEFAULT-VALUE}).")
    String name;

    @Option(names = "--days", paramLabel = "N", defaultValue = "3650", description = "Validity in days (default ${DEFAULT-VALUE}).")
    int days;

    @Override
    public Integer call() throws IOException {
      checkDays(spec, days);
      try {
        ClusterCa.init(dir, name, days);
      } catch (IOException e) {
        throw new CommandFailedException(ExitCodes.USAGE, e.getMessage());
      }
      System.out.println("made the cluster's CA in " + dir + " (" + ClusterCa.CA_STORE + " and " + ClusterCa.CA_PASSWORD
          + " stay here; " + ClusterCa.CA_CERTIFICATE + " is public)");
      System.out.println("next, for each node: tessera certs issue HOST --dir " + dir);
      return ExitCodes.OK;
    }
  }

  /** {@code tessera certs issue HOST}: a node's key and certificate, signed by the CA. */
  @Command(name = "issue", mixinStandardHelpOptions = true, description = "Issue node HOST a certificate signed by the CA in DIR, into DIR/HOST.")
  static final class Issue implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Parameters(paramLabel = "HOST", description = "The node's host name or address (the certificate's name).")
    String host;

    @Option(names = "--dir", paramLabel = "DIR", defaultValue = "certs", description = "The CA's folder (default ${DEFAULT-VALUE}).")
    Path dir;

    @Option(names = "--name", split = ",", paramLabel = "NAME", description = "More names or addresses of the node, comma-separated.")
    List<String> names = List.of();

    @Option(names = "--days", paramLabel = "N", defaultValue = "825", description = "Validity in days (default ${DEFAULT-VALUE}).")
    int days;

    @Override
    public Integer call() throws IOException {
      checkDays(spec, days);
      Path node;
      try {
        node = ClusterCa.issue(dir, host, names, days);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
      } catch (IOException e) {
        throw new CommandFailedException(ExitCodes.USAGE, e.getMessage());
      }
      System.out.println("issued " + host + " a certificate: " + node.resolve(KEY_STORE_FILE) + ", " + node.resolve(TRUST_STORE_FILE));
      System.out.println("copy " + node + " to the node (mode 0700) and start it with --tls-dir DIR and");
      System.out.println("  TESSERA_TLS_PASSWORD=$(cat " + node.resolve(ClusterCa.NODE_PASSWORD) + ")");
      return ExitCodes.OK;
    }
  }
}
