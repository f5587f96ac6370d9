package dev.tessera.runtime.data;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.CRC32C;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fetches objects from the nodes that hold them, chunk by chunk, checking each chunk's CRC-32C as
 * it arrives. A damaged chunk is asked for again (from the same chunk on, up to {@code
 * chunk-retries} times); a holder that refuses the connection, closes it or goes silent for the
 * idle timeout is left for the next holder, which resumes where the last one stopped.
 *
 * <p>Thread safety: any thread; each fetch uses its own connections and one direct buffer of a
 * chunk's size, taken from a small pool and given back after: a direct buffer's memory returns only
 * when the garbage collector finds the buffer, so one allocated per fetch would reach the JVM's
 * direct memory limit after a few hundred small reads, and the next would wait for a full
 * collection (the JDK then collects and sleeps before it tries again).
 */
final class DataClient {

  private static final Logger log = LoggerFactory.getLogger(DataClient.class);

  /** Receives an object's chunks, in order, each checked. */
  @FunctionalInterface
  interface ChunkSink {
    void accept(ByteBuffer chunk);
  }

  /**
   * Damages bytes as they arrive, for tests of the checks: returns true if it changed the chunk.
   * Null in production.
   */
  @FunctionalInterface
  interface Damage {
    boolean apply(String objectId, int chunk, ByteBuffer bytes);
  }

  /** Chunk buffers kept for the next fetches: about as many as run at once. */
  private static final int POOLED_BUFFERS = 16;

  private final DataSettings settings;
  private final SSLContext tls;
  private final ConcurrentLinkedQueue<ByteBuffer> buffers = new ConcurrentLinkedQueue<>();
  private final AtomicInteger pooled = new AtomicInteger();
  private volatile Damage damage;

  DataClient(DataSettings settings, SSLContext tls) {
    this.settings = settings;
    this.tls = tls;
  }

  void damage(Damage damage) {
    this.damage = damage;
  }

  /**
   * Fetches the whole object into {@code sink}.
   *
   * @throws DataException UNKNOWN when every holder answered that it does not hold it, LOST when
   *     some could not be reached, CORRUPT when a chunk kept arriving damaged
   */
  void fetch(DataRef<?> ref, ChunkSink sink) {
    ByteBuffer buffer = takeBuffer();
    try {
      fetch(ref, sink, buffer);
    } finally {
      giveBack(buffer);
    }
  }

  private void fetch(DataRef<?> ref, ChunkSink sink, ByteBuffer pooledBuffer) {
    Progress progress = new Progress();
    int damagedTries = 0;
    List<String> failures = new ArrayList<>();
    boolean anyUnreachable = false;
    for (DataRef.Holder holder : ref.holders()) {
      while (true) {
        try (Link link = connect(holder)) {
          link.writeFully(Wire.request(Wire.GET, ref.id(), progress.delivered, new byte[0]));
          ByteBuffer status = ByteBuffer.allocate(1);
          link.readFully(status);
          if (status.flip().get() != Wire.OK) {
            failures.add(holder.node() + " answered: " + Wire.readMessage(link));
            break;
          }
          ByteBuffer head = ByteBuffer.allocate(16);
          link.readFully(head);
          head.flip();
          long size = head.getLong();
          int chunkSize = head.getInt();
          int chunks = head.getInt();
          if (size != ref.size()) {
            failures.add(holder.node() + " holds " + size + " bytes under that id, the ref says " + ref.size());
            break;
          }
          ByteBuffer buffer = pooledBuffer.capacity() >= chunkSize ? pooledBuffer
              : ByteBuffer.allocateDirect(chunkSize); // a holder configured with larger chunks
          if (receive(ref, link, size, chunkSize, chunks, buffer, sink, progress)) {
            return;
          }
          damagedTries++;
          log.warn("{}: chunk {} from {} arrived damaged (CRC-32C mismatch); fetching it again ({} of {})",
              ref, progress.chunk, holder.node(), damagedTries, settings.chunkRetries());
          if (damagedTries > settings.chunkRetries()) {
            throw new DataException(DataException.Reason.CORRUPT, ref.id(), "chunk " + progress.chunk + " of "
                + chunks + " arrived damaged " + damagedTries + " times from " + holder.node());
          }
        } catch (IOException e) {
          anyUnreachable = true;
          failures.add(holder.node() + " (" + holder.endpoint() + "): " + describe(e)
              + (progress.delivered > 0 ? " after " + progress.delivered + " of " + ref.size() + " bytes" : ""));
          break;
        }
      }
    }
    if (!anyUnreachable) {
      throw new DataException(DataException.Reason.UNKNOWN, ref.id(), "no node holds it (released, or never stored): "
          + String.join("; ", failures));
    }
    throw new DataException(DataException.Reason.LOST, ref.id(), "every node holding it is lost: "
        + String.join("; ", failures));
  }

  /** How far a fetch has come: bytes handed to the sink, and the holder's chunk being read. */
  private static final class Progress {
    long delivered;
    int chunk;
  }

  /**
   * Reads a holder's answer to a GET from {@code progress.delivered} on: each chunk checked against
   * its CRC-32C, then handed to the sink (but for the bytes before the offset, when this holder's
   * chunks do not start there). Returns false at the first damaged chunk: the caller asks again
   * from there.
   */
  private boolean receive(DataRef<?> ref, Link link, long size, int chunkSize, int chunks, ByteBuffer buffer,
      ChunkSink sink, Progress progress) throws IOException {
    CRC32C crc = new CRC32C();
    int first = (int) Math.min(chunks, progress.delivered / chunkSize);
    ByteBuffer crcs = ByteBuffer.allocate(4 * Wire.CRC_GROUP);
    for (int c = first; c < chunks; c++) {
      progress.chunk = c;
      if ((c - first) % Wire.CRC_GROUP == 0) {
        link.readFully(crcs.clear().limit(4 * Math.min(Wire.CRC_GROUP, chunks - c)));
        crcs.flip();
      }
      int expected = crcs.getInt();
      long offset = (long) c * chunkSize;
      buffer.clear().limit((int) Math.min(chunkSize, size - offset));
      link.readFully(buffer);
      buffer.flip();
      Damage d = damage;
      if (d != null) {
        d.apply(ref.id(), c, buffer);
      }
      crc.reset();
      crc.update(buffer.duplicate());
      if ((int) crc.getValue() != expected) {
        return false;
      }
      buffer.position((int) (progress.delivered - offset)); // 0 but for a first chunk that started earlier
      progress.delivered += buffer.remaining();
      sink.accept(buffer);
    }
    return true;
  }

  /** A direct buffer of this node's chunk size, from the pool if it has one. */
  private ByteBuffer takeBuffer() {
    ByteBuffer buffer = buffers.poll();
    if (buffer == null) {
      return ByteBuffer.allocateDirect(settings.chunkSize());
    }
    pooled.decrementAndGet();
    return buffer;
  }

  private void giveBack(ByteBuffer buffer) {
    if (pooled.incrementAndGet() <= POOLED_BUFFERS) {
      buffers.offer(buffer.clear());
    } else {
      pooled.decrementAndGet(); // enough kept: this one goes with the garbage
    }
  }

  /** Sends a one-byte-answer request (RELEASE, PULL) to a holder; returns null if it said OK, else why not. */
  String ask(DataRef.Holder holder, byte op, String id, byte[] payload) {
    try (Link link = connect(holder)) {
      link.writeFully(Wire.request(op, id, 0, payload));
      ByteBuffer status = ByteBuffer.allocate(1);
      link.readFully(status);
      return status.flip().get() == Wire.OK ? null : Wire.readMessage(link);
    } catch (IOException e) {
      return holder.node() + " (" + holder.endpoint() + "): " + describe(e);
    }
  }

  private Link connect(DataRef.Holder holder) throws IOException {
    InetSocketAddress address = new InetSocketAddress(holder.host(), holder.port());
    int timeout = (int) Math.min(Integer.MAX_VALUE, settings.connectTimeout().toMillis());
    if (tls == null) {
      SocketChannel channel = SocketChannel.open();
      try {
        channel.socket().connect(address, timeout);
        channel.socket().setTcpNoDelay(true);
        return Link.plain(channel, settings.idleTimeout());
      } catch (IOException e) {
        channel.close();
        throw e;
      }
    }
    SSLSocket socket = (SSLSocket) tls.getSocketFactory().createSocket();
    try {
      socket.connect(address, timeout);
      socket.startHandshake();
      return Link.tls(socket, settings.idleTimeout());
    } catch (IOException e) {
      socket.close();
      throw e;
    }
  }

  private static String describe(IOException e) {
    if (e instanceof ConnectException) {
      return "refused the connection (its node is down?)";
    }
    if (e instanceof java.net.SocketTimeoutException) {
      return "went silent (" + e.getMessage() + ")";
    }
    if (e instanceof java.io.EOFException) {
      return "closed the connection mid-transfer";
    }
    return e.toString();
  }
}
