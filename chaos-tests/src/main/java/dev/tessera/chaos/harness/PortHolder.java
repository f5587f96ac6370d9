package dev.tessera.chaos.harness;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * A program that is not a Tessera node and holds a port: listens on every interface at the port
 * given, prints {@code holding PORT}, and accepts and closes connections until killed. Tests start
 * it inside a test host's network namespace ({@link SshTestHosts#holdPort}) to take a node's port.
 */
public final class PortHolder {

  private PortHolder() {}

  public static void main(String[] args) throws IOException {
    int port = Integer.parseInt(args[0]);
    try (ServerSocket server = new ServerSocket()) {
      server.bind(new InetSocketAddress("0.0.0.0", port));
      System.out.println("holding " + port);
      System.out.flush();
      while (true) {
        try (Socket s = server.accept()) {
          s.getInputStream().available(); // nothing to say
        }
      }
    }
  }
}
