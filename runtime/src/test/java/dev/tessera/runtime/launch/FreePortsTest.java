package dev.tessera.runtime.launch;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.FileInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class FreePortsTest {

  @Test
  void blocksLieBelowTheKernelsEphemeralRange() throws IOException {
    String range;
    try (FileInputStream in = new FileInputStream("/proc/sys/net/ipv4/ip_local_port_range")) {
      range = new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim();
    }
    int low = Integer.parseInt(range.split("\\s+")[0]);
    int expectedStart = low > 22_000 ? low : 60_000;
    assertThat(FreePorts.ephemeralRangeStart()).as("ephemeral range read from \"%s\"", range).isEqualTo(expectedStart);
    for (int i = 0; i < 50; i++) {
      int base = FreePorts.block(3);
      assertThat(base).isGreaterThanOrEqualTo(20_000);
      assertThat(base + 2).isLessThan(expectedStart);
    }
  }

  @Test
  void aBlockIsFreeWhenFound() throws IOException {
    int base = FreePorts.block(2);
    for (int port = base; port < base + 2; port++) {
      try (ServerSocket socket = new ServerSocket()) {
        socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        assertThat(socket.getLocalPort()).isEqualTo(port);
      }
    }
  }
}
