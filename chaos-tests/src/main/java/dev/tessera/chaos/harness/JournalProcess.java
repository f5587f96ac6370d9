package dev.tessera.chaos.harness;

import dev.tessera.runtime.launch.NodeProcess;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The partition scenario's journal: an H2 server in a JVM of its own, listening on the address of
 * the namespaces' bridge, where every node reaches it whichever side of a cut it is on (a database
 * server on the LAN). Not in the harness's JVM: H2 reads its bind address once per JVM, and the
 * other scenarios' servers bind loopback there.
 */
public final class JournalProcess implements AutoCloseable {

  private final Process process;
  private final String address;
  private final int port;

  private JournalProcess(Process process, String address, int port) {
    this.process = process;
    this.address = address;
    this.port = port;
  }

  /** Starts the server for the databases under {@code dataDir}; returns once it accepts connections. */
  public static JournalProcess start(Path dataDir, String address, Path logFile) throws IOException, InterruptedException {
    Files.createDirectories(dataDir);
    int port;
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getByName(address))) {
      port = probe.getLocalPort();
    }
    String classpath = System.getProperty(NodeProcess.CLASSPATH_PROPERTY, System.getProperty("java.class.path"));
    List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx128m", "-XX:+UseSerialGC", "-Dh2.bindAddress=" + address, "-cp", classpath, "org.h2.tools.Server",
        // Others than the server's own address may connect: it listens on the bridge alone.
        "-tcp", "-tcpPort", Integer.toString(port), "-tcpAllowOthers", "-ifNotExists",
        "-baseDir", dataDir.toAbsolutePath().toString());
    Process process = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile())).start();
    JournalProcess journal = new JournalProcess(process, address, port);
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (true) {
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress(address, port), 500);
        return journal;
      } catch (IOException notYet) {
        if (!process.isAlive() || System.nanoTime() > deadline) {
          journal.close();
          throw new IOException("the journal server did not start on " + address + ":" + port + "; its log: " + logFile);
        }
        Thread.sleep(100);
      }
    }
  }

  public String url() {
    return "jdbc:h2:tcp://" + address + ":" + port + "/journal;WRITE_DELAY=0";
  }

  /** HOCON for the nodes: this journal, durable jobs on (as {@code JournalServer.nodeConfig()}). */
  public String nodeConfig() {
    return "tessera.persistence.jobs.enabled = on\n"
        + "tessera.persistence.jdbc = ${tessera.persistence.presets.h2-server} { url = \"" + url() + "\" }\n";
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
