package dev.tessera.runtime.launch;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Finds blocks of consecutive free TCP ports on 127.0.0.1, so each test gets its own cluster ports
 * and tests never collide with each other or with a cluster a developer is running.
 *
 * <p>Blocks are taken below the kernel's ephemeral range: a port chosen there could be handed to
 * any outgoing connection or {@code bind(0)} (the test's own client node, JDBC connections, a
 * journal server) between the check and the node binding it. That happened in CI: a node exited
 * with "management port 41164 ... already in use".
 */
public final class FreePorts {

  private static final int LOWEST = 20_000;
  /** Exclusive; the start of the ephemeral range, or 32768 (Linux's default) if it cannot be read. */
  private static final int HIGHEST = ephemeralRangeStart();

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

  /** The first port of the kernel's ephemeral range, or 32768 (Linux's default) if it cannot be read. */
  static int ephemeralRangeStart() {
    // Read as a stream: Files.readString trusts the size stat reports, which for a /proc file can be
    // wrong (in CI's sandbox it read "3" of "32768\t60999"; every test port then came from the
    // ephemeral range and one was taken before its node bound it).
    try (InputStream in = Files.newInputStream(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))) {
      int low = Integer.parseInt(new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim().split("\\s+")[0]);
      // A range that starts too low leaves no room below it: then use the space above 20000 anyway.
      return low > LOWEST + 2_000 ? low : 60_000;
    } catch (IOException | RuntimeException e) {
      return 32_768;
    }
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
