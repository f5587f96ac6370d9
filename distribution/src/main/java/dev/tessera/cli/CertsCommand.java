package dev.tessera.cli;

import dev.tessera.runtime.launch.ExitCodes;
import dev.tessera.runtime.node.ClusterCertificates;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/** {@code cluster certs}: makes the key store and trust store that turn on mutual TLS. */
@Command(
    name = "certs",
    mixinStandardHelpOptions = true,
    description = {
      "Create a cluster certificate for mutual TLS: DIR/node.p12 (key store) and DIR/trust.p12 (trust store).",
      "Copy DIR to every node and start each with --tls-dir DIR and TESSERA_TLS_PASSWORD set.",
      "The password is taken from TESSERA_TLS_PASSWORD, or generated into DIR/password."
    })
final class CertsCommand implements Callable<Integer> {

  static final String KEY_STORE_FILE = ClusterCertificates.KEY_STORE_FILE;
  static final String TRUST_STORE_FILE = ClusterCertificates.TRUST_STORE_FILE;
  static final String PASSWORD_FILE = "password";

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "Directory to write the stores to.")
  Path out;

  @Option(names = "--name", paramLabel = "CN", defaultValue = "tessera-cluster", description = "Certificate common name (default ${DEFAULT-VALUE}).")
  String name;

  @Option(names = "--days", paramLabel = "N", defaultValue = "3650", description = "Validity in days (default ${DEFAULT-VALUE}).")
  int days;

  @Override
  public Integer call() throws IOException {
    if (days < 1) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--days: must be at least 1, got " + days);
    }
    String password = System.getenv("TESSERA_TLS_PASSWORD");
    boolean generated = password == null || password.isEmpty();
    if (generated) {
      byte[] random = new byte[24];
      new SecureRandom().nextBytes(random);
      password = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
    }
    ClusterCertificates.generate(out, KEY_STORE_FILE, TRUST_STORE_FILE, name, password, days);
    System.out.println("wrote " + out.resolve(KEY_STORE_FILE) + " and " + out.resolve(TRUST_STORE_FILE));
    if (generated) {
      Path file = out.resolve(PASSWORD_FILE);
      Files.writeString(file, password + "\n", StandardCharsets.UTF_8);
      try {
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
      } catch (UnsupportedOperationException e) {
        System.err.println("warning: could not restrict permissions of " + file);
      }
      System.out.println("password in " + file + "; before starting a node run:");
      System.out.println("  export TESSERA_TLS_PASSWORD=$(cat " + file + ")");
    }
    System.out.println("start every node with: --tls-dir " + out);
    return ExitCodes.OK;
  }
}
