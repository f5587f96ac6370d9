package dev.tessera.benchmarks.data;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The baseline of {@link DataBench}: a file copied from one process to another over one plain
 * loopback TCP connection, as well as plain Java does it: {@code sendfile} from the file on the
 * sending side ({@link FileChannel#transferTo}), and on the receiving side a blocking {@link
 * SocketChannel} read into one 1 MiB direct buffer, written to the target (a file, or {@code
 * /dev/null}) each time it is full. No framing, no checks, no timeouts: what the object store's
 * transfer is measured against, from the same file in the page cache to the same target.
 *
 * <p>Thread safety: each call on its own; {@link #serveOnce} serves on a thread of its own.
 */
final class SocketCopy {

  private static final int BUFFER = 1 << 20;

  private SocketCopy() {}

  /** Listens on a free loopback port and sends the file to the first connection; answers the port. */
  static int serveOnce(Path file) throws IOException {
    ServerSocketChannel server = ServerSocketChannel.open();
    server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1);
    Thread sender = new Thread(() -> {
      try (server;
          SocketChannel channel = server.accept();
          FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
        long size = in.size();
        long done = 0;
        while (done < size) {
          done += in.transferTo(done, size - done, channel);
        }
      } catch (IOException e) {
        e.printStackTrace();
      }
    }, "socket-copy-send");
    sender.setDaemon(true);
    sender.start();
    return server.socket().getLocalPort();
  }

  /** Connects to the port and writes what arrives, until the sender closes, to {@code target}. */
  static long receive(int port, Path target) throws IOException {
    long received = 0;
    ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER);
    try (SocketChannel channel = SocketChannel.open(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        FileChannel out = FileChannel.open(target, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
      while (true) {
        int n = channel.read(buffer);
        if (n < 0 || !buffer.hasRemaining()) {
          buffer.flip();
          received += buffer.remaining();
          while (buffer.hasRemaining()) {
            out.write(buffer);
          }
          buffer.clear();
          if (n < 0) {
            return received;
          }
        }
      }
    }
  }
}
