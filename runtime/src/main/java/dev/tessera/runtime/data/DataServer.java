package dev.tessera.runtime.data;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves this node's objects to other nodes over plain TCP, or TLS with the cluster's certificates
 * when the cluster uses TLS (both sides must present a certificate the other trusts). One request
 * per connection, answered on one of {@code server-threads} threads; a connection beyond those
 * waits in a queue, and beyond the queue is refused (its reader tries another holder).
 *
 * <p>Thread safety: started once; {@link #close} from any thread.
 */
final class DataServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(DataServer.class);

  /** What the server does with each request. Called on the server's threads. */
  interface Requests {
    /** The object, or null if this node does not hold it. */
    ObjectStore.Entry lookup(String id);

    /** Opens a held object for sending: its memory stays its own until the reading is closed. */
    ObjectStore.Reading open(ObjectStore.Entry entry);

    boolean release(String id);

    /** Fetches the object the ref names and keeps it; throws (with a message) if it cannot. */
    void pull(byte[] refJson) throws Exception;
  }

  private final DataSettings settings;
  private final Requests requests;
  private final SSLContext tls;
  private final ServerSocketChannel plain;
  private final SSLServerSocket secure;
  private final ThreadPoolExecutor pool;
  private final Thread acceptor;
  private final ServeRate rate;
  private volatile boolean closed;

  DataServer(DataSettings settings, Requests requests, SSLContext tls) throws IOException {
    this.settings = settings;
    this.requests = requests;
    this.tls = tls;
    this.rate = new ServeRate(settings.maxServeRate());
    InetSocketAddress bind = new InetSocketAddress(settings.bindHost(), settings.port());
    if (tls == null) {
      plain = ServerSocketChannel.open();
      plain.bind(bind, 256);
      secure = null;
    } else {
      plain = null;
      secure = (SSLServerSocket) tls.getServerSocketFactory().createServerSocket();
      secure.setNeedClientAuth(true);
      secure.bind(bind, 256);
    }
    AtomicInteger threads = new AtomicInteger();
    pool = new ThreadPoolExecutor(settings.serverThreads(), settings.serverThreads(), 30, TimeUnit.SECONDS,
        new ArrayBlockingQueue<>(1024), r -> {
          Thread t = new Thread(r, "tessera-data-serve-" + threads.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
    pool.allowCoreThreadTimeOut(true);
    acceptor = new Thread(this::acceptLoop, "tessera-data-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** The port it listens on. */
  int port() {
    return tls == null ? plain.socket().getLocalPort() : secure.getLocalPort();
  }

  private void acceptLoop() {
    while (!closed) {
      try {
        if (tls == null) {
          SocketChannel channel = plain.accept();
          channel.socket().setTcpNoDelay(true);
          submit(() -> serve(Link.plain(channel, settings.idleTimeout())), channel.socket());
        } else {
          SSLSocket socket = (SSLSocket) secure.accept();
          submit(() -> serve(Link.tls(socket, settings.idleTimeout())), socket);
        }
      } catch (IOException e) {
        if (!closed) {
          log.warn("the object store's server could not accept a connection: {}", e.toString());
        }
      }
    }
  }

  @FunctionalInterface
  private interface Serving {
    void run() throws IOException;
  }

  private void submit(Serving serving, Socket socket) {
    try {
      pool.execute(() -> {
        try {
          serving.run();
        } catch (IOException e) {
          log.debug("serving {} failed: {}", socket.getRemoteSocketAddress(), e.toString());
        } finally {
          try {
            socket.close();
          } catch (IOException ignored) {
            // closed anyway
          }
        }
      });
    } catch (RejectedExecutionException e) {
      log.warn("the object store is serving {} connections with {} more waiting: refused one from {}",
          settings.serverThreads(), pool.getQueue().size(), socket.getRemoteSocketAddress());
      try {
        socket.close();
      } catch (IOException ignored) {
        // refused
      }
    }
  }

  private void serve(Link link) throws IOException {
    try (link) {
      Wire.Request request = Wire.readRequest(link);
      switch (request.op()) {
        case Wire.GET -> sendChunks(link, request);
        case Wire.RELEASE -> link.writeFully(requests.release(request.id())
            ? ByteBuffer.allocate(1).put(Wire.OK).flip()
            : Wire.refusal(Wire.UNKNOWN, "not held by this node"));
        case Wire.PULL -> {
          try {
            requests.pull(request.payload());
            link.writeFully(ByteBuffer.allocate(1).put(Wire.OK).flip());
          } catch (Exception e) {
            link.writeFully(Wire.refusal(Wire.FAILED, String.valueOf(e.getMessage())));
          }
        }
        default -> link.writeFully(Wire.refusal(Wire.FAILED, "unknown operation " + request.op()));
      }
    }
  }

  private void sendChunks(Link link, Wire.Request request) throws IOException {
    ObjectStore.Entry entry = requests.lookup(request.id());
    if (entry == null) {
      link.writeFully(Wire.refusal(Wire.UNKNOWN, "not held by this node (never stored here, or released)"));
      return;
    }
    // Take the bytes' place once: a concurrent spill or release leaves this reader what it opened.
    try (ObjectStore.Reading reading = requests.open(entry)) {
      sendChunks(link, request, entry, reading.memory(), reading.file());
    }
  }

  /** Object bytes sent to other nodes so far. */
  long sentBytes() {
    return sent.sum();
  }

  private final java.util.concurrent.atomic.LongAdder sent = new java.util.concurrent.atomic.LongAdder();

  private void sendChunks(Link link, Wire.Request request, ObjectStore.Entry entry, ByteBuffer memory,
      java.nio.file.Path file) throws IOException {
    link.writeFully(ByteBuffer.allocate(17).put(Wire.OK).putLong(entry.size).putInt(entry.chunkSize)
        .putInt(entry.chunks()).flip());
    int first = (int) Math.min(entry.chunks(), request.offset() / entry.chunkSize);
    long from = first < entry.chunks() ? entry.chunkOffset(first) : entry.size;
    long[] upTo = {from};
    try {
      sendGroups(link, entry, memory, file, first, upTo);
    } finally {
      // What was sent, as far as it got (a reader that hung up midway got the groups before).
      sent.add(upTo[0] - from);
    }
  }

  /** Sends the chunks from {@code first} on, group by group; {@code upTo[0]} is where the sent bytes end. */
  private void sendGroups(Link link, ObjectStore.Entry entry, ByteBuffer memory, java.nio.file.Path file, int first,
      long[] upTo) throws IOException {
    try (FileChannel channel = memory == null ? FileChannel.open(file, StandardOpenOption.READ) : null) {
      for (int group = first; group < entry.chunks(); group += Wire.CRC_GROUP) {
        int end = Math.min(entry.chunks(), group + Wire.CRC_GROUP);
        ByteBuffer crcs = ByteBuffer.allocate(4 * (end - group));
        for (int c = group; c < end; c++) {
          crcs.putInt(entry.crcs[c]);
        }
        link.writeFully(crcs.flip());
        if (rate.limited()) {
          // Paced chunk by chunk: a capped node sends evenly, not a group at a time.
          for (int c = group; c < end; c++) {
            rate.pace(entry.chunkLength(c));
            send(link, memory, channel, entry.chunkOffset(c), entry.chunkOffset(c) + entry.chunkLength(c));
          }
        } else {
          send(link, memory, channel, entry.chunkOffset(group), entry.chunkOffset(end - 1) + entry.chunkLength(end - 1));
        }
        upTo[0] = entry.chunkOffset(end - 1) + entry.chunkLength(end - 1);
      }
    }
  }

  /** Sends bytes {@code from .. to} of an object, from its memory or its file. */
  private static void send(Link link, ByteBuffer memory, FileChannel file, long from, long to) throws IOException {
    if (memory != null) {
      link.writeFully(memory.duplicate().position((int) from).limit((int) to));
    } else {
      link.writeFile(file, from, to - from);
    }
  }

  @Override
  public void close() {
    closed = true;
    try {
      if (plain != null) {
        plain.close();
      } else {
        secure.close();
      }
    } catch (IOException ignored) {
      // closing anyway
    }
    pool.shutdownNow();
  }
}
