package dev.tessera.chaos;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Finds blocks of consecutive free TCP ports on 127.0.0.1, so each test gets its own cluster ports
 * and tests never collide with each other or with a cluster a developer is running.
 */
public final class FreePorts {

  private static final int LOWEST = 20_000;
  private static final int HIGHEST = 60_000;

  private FreePorts() {}

  /** The first port of {@code count} consecutive ports that were all free a moment ago. */
  public static int block(int count) {
    for (int attempt = 0; attempt < 200; attempt++) {
      int base = ThreadLocalRandom.current().nextInt(LOWEST, HIGHEST - count);
      if (allFree(base, count)) {
        return base;
      }
    }
    throw new IllegalStateException("no block of " + count + " free ports found on 127.0.0.1");
  }

  private static boolean allFree(int base, int count) {
    List<ServerSocket> held = new ArrayList<>();
    try {
      for (int port = base; port < base + count; port++) {
        ServerSocket socket = new ServerSocket();
        held.add(socket);
        socket.setReuseAddress(false);
        socket.bind(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      }
      return true;
    } catch (IOException e) {
      return false;
    } finally {
      for (ServerSocket socket : held) {
        try {
          socket.close();
        } catch (IOException ignored) {
          // closing a probe socket cannot fail in a way that matters
        }
      }
    }
  }
}
