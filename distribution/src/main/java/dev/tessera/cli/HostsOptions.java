package dev.tessera.cli;

import dev.tessera.cli.hosts.HostsFile;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/** The options every command that drives hosts over SSH takes ({@code up}, {@code down}, {@code restart}, {@code logs}). */
final class HostsOptions {

  @Option(names = "--hosts", required = true, paramLabel = "FILE", description = "The hosts file: one line per host, its roles and settings.")
  Path hostsFile;

  @Option(
      names = "--certs",
      paramLabel = "DIR",
      description = "The cluster's CA and the nodes' certificates (default: certs/ beside the hosts file).")
  Path certs;

  HostsFile read(CommandLine.Model.CommandSpec spec) {
    try {
      return HostsFile.read(hostsFile);
    } catch (HostsFile.HostsFileException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    } catch (IOException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "cannot read " + hostsFile + ": " + e.getMessage());
    }
  }

  Path certsDir() {
    return certs != null ? certs : hostsFile.toAbsolutePath().getParent().resolve("certs");
  }
}
