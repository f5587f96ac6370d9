package dev.tessera.runtime.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import javax.net.ssl.SSLSocket;

/**
 * One connection between two object stores, read and written in whole buffers, where no read or
 * write may wait longer than the idle timeout: a holder that stops sending is found, never waited
 * on forever. Plain links move bytes without copying them through the heap ({@code sendfile} from
 * a file, direct buffers otherwise); TLS links go through the socket's streams.
 *
 * <p>Thread safety: one thread at a time.
 */
abstract sealed class Link implements AutoCloseable {

  /** Fills {@code dst}; throws {@link java.io.EOFException} if the peer closes first. */
  abstract void readFully(ByteBuffer dst) throws IOException;

  /** Writes all of {@code src}. */
  abstract void writeFully(ByteBuffer src) throws IOException;

  /** Writes {@code length} bytes of {@code file} from {@code offset}. */
  abstract void writeFile(FileChannel file, long offset, long length) throws IOException;

  @Override
  public abstract void close();

  static Link plain(SocketChannel channel, Duration idleTimeout) throws IOException {
    return new Plain(channel, idleTimeout.toMillis());
  }

  static Link tls(SSLSocket socket, Duration idleTimeout) throws IOException {
    socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, idleTimeout.toMillis()));
    return new Tls(socket);
  }

  /** A plain socket in non-blocking mode, waited on with a selector so that waits can time out. */
  static final class Plain extends Link {
    private final SocketChannel channel;
    private final long idleMillis;
    private final Selector selector;
    private final SelectionKey key;

    Plain(SocketChannel channel, long idleMillis) throws IOException {
      this.channel = channel;
      this.idleMillis = idleMillis;
      channel.configureBlocking(false);
      this.selector = Selector.open();
      this.key = channel.register(selector, 0);
    }

    @Override
    void readFully(ByteBuffer dst) throws IOException {
      while (dst.hasRemaining()) {
        int n = channel.read(dst);
        if (n < 0) {
          throw new java.io.EOFException("the peer closed the connection");
        }
        if (n == 0) {
          await(SelectionKey.OP_READ);
        }
      }
    }

    @Override
    void writeFully(ByteBuffer src) throws IOException {
      while (src.hasRemaining()) {
        if (channel.write(src) == 0) {
          await(SelectionKey.OP_WRITE);
        }
      }
    }

    @Override
    void writeFile(FileChannel file, long offset, long length) throws IOException {
      long done = 0;
      while (done < length) {
        long n = file.transferTo(offset + done, length - done, channel);
        if (n == 0) {
          if (offset + done >= file.size()) { // 0 also means end of file: never wait on that
            throw new java.io.EOFException("the object's file ended early");
          }
          await(SelectionKey.OP_WRITE);
        }
        done += n;
      }
    }

    private void await(int op) throws IOException {
      key.interestOps(op);
      int ready = selector.select(idleMillis);
      key.interestOps(0);
      selector.selectedKeys().clear();
      if (ready == 0) {
        throw new SocketTimeoutException("nothing moved for " + idleMillis + " ms");
      }
    }

    @Override
    public void close() {
      try {
        selector.close();
      } catch (IOException ignored) {
        // closing anyway
      }
      try {
        channel.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
  }

  /** A TLS socket (mutually authenticated with the cluster's certificates), through its streams. */
  static final class Tls extends Link {
    private final SSLSocket socket;
    private final InputStream in;
    private final OutputStream out;
    private final byte[] scratch = new byte[64 * 1024];

    Tls(SSLSocket socket) throws IOException {
      this.socket = socket;
      this.in = socket.getInputStream();
      this.out = socket.getOutputStream();
    }

    @Override
    void readFully(ByteBuffer dst) throws IOException {
      while (dst.hasRemaining()) {
        int n = in.read(scratch, 0, Math.min(scratch.length, dst.remaining()));
        if (n < 0) {
          throw new java.io.EOFException("the peer closed the connection");
        }
        dst.put(scratch, 0, n);
      }
    }

    @Override
    void writeFully(ByteBuffer src) throws IOException {
      while (src.hasRemaining()) {
        int n = Math.min(scratch.length, src.remaining());
        src.get(scratch, 0, n);
        out.write(scratch, 0, n);
      }
      out.flush();
    }

    @Override
    void writeFile(FileChannel file, long offset, long length) throws IOException {
      ByteBuffer buffer = ByteBuffer.wrap(scratch);
      long done = 0;
      while (done < length) {
        buffer.clear().limit((int) Math.min(scratch.length, length - done));
        int n = file.read(buffer, offset + done);
        if (n < 0) {
          throw new java.io.EOFException("the object's file ended early");
        }
        out.write(scratch, 0, n);
        done += n;
      }
      out.flush();
    }

    @Override
    public void close() {
      try {
        socket.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
  }
}
