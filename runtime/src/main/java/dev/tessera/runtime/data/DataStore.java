package dev.tessera.runtime.data;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.runtime.tls.TesseraSslEngineProvider;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import dev.tessera.runtime.metrics.NodeMetrics;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's object store: its objects ({@link ObjectStore}), the server that hands them to other
 * nodes and the client that fetches theirs, started with the node's actor system on first use
 * (every node that runs tasks uses it) and closed when the system terminates. {@link Data} is the
 * public face; this is the machinery.
 *
 * <p>Reads of one object on one node share one transfer: a thousand tasks asking at once for a
 * panel fetch it once. Inside a task (see {@link DataScope}) the copy stays for the rest of the
 * job, so the node's next tasks read it locally; outside, it is dropped once its readers have it.
 *
 * <p>Thread safety: every method may be called from any thread; transfers run on the store's own
 * I/O threads, never on the caller's dispatcher.
 */
public final class DataStore implements Extension {

  private static final Logger log = LoggerFactory.getLogger(DataStore.class);

  /** The extension's id: {@code DataStore.ID.get(system)}. */
  public static final ExtensionId<DataStore> ID = new ExtensionId<>() {
    @Override
    public DataStore createExtension(ActorSystem<?> system) {
      return new DataStore(system);
    }
  };

  /**
   * Makes a lost object again (by running the task that made it, see {@link DataRef#lineage()}).
   * Registered by the work patterns; without one, a lost object stays lost.
   */
  @FunctionalInterface
  public interface Remaker {
    /** A ref to the object made again, or a failure saying why it cannot be. */
    CompletionStage<DataRef<?>> remake(DataRef<?> lost, DataException why);

    /** The object was released from this node: it need not be made again any more. */
    default void released(DataRef<?> ref) {}
  }

  private static final ObjectMapper JSON = new ObjectMapper().findAndRegisterModules();

  private final ActorSystem<?> system;
  private final DataSettings settings;
  private final ObjectStore store;
  private final DataServer server;
  private final DataClient client;
  private final DataRef.Holder self;
  private final ExecutorService io;
  private final ActorRef<DataNode.Command> node;
  private final SharedFetches fetches;
  private final AtomicLong sequence = new AtomicLong();
  private final String prefix;
  private volatile Remaker remaker;
  private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();
  private final java.util.concurrent.atomic.LongAdder received = new java.util.concurrent.atomic.LongAdder();

  private DataStore(ActorSystem<?> system) {
    this.system = system;
    this.settings = DataSettings.create(system.settings().config());
    SSLContext tls = tlsContext(system);
    Path directory = StoreDirectories.claim(settings.directory(), system.name());
    this.store = new ObjectStore(settings, directory);
    this.client = new DataClient(settings, tls);
    try {
      this.server = new DataServer(settings, new ServedRequests(), tls);
    } catch (IOException e) {
      store.close();
      throw new UncheckedIOException("the object store cannot listen on " + settings.bindHost() + ":"
          + settings.port() + " (tessera.data.port): " + e.getMessage(), e);
    }
    String address = system.address().toString();
    this.self = new DataRef.Holder(address, hostForUri(settings.advertisedHost()) + ":" + server.port());
    this.prefix = Long.toString(new SecureRandom().nextLong() & Long.MAX_VALUE, 36);
    DataMeters.bind(NodeMetrics.get(system).registry(), this, server, received);
    AtomicInteger threads = new AtomicInteger();
    this.io = Executors.newFixedThreadPool(Math.max(4, settings.serverThreads() / 2), r -> {
      Thread t = new Thread(r, "tessera-data-io-" + threads.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    this.fetches = new SharedFetches(store, io, this::copyHere);
    this.node = system.systemActorOf(DataNode.create(self), "tessera-data-node", Props.empty());
    // Closed before the system counts as terminated (a stopped node's port refuses connections at
    // once), and on termination too, for a system stopped without its coordinated shutdown.
    org.apache.pekko.actor.CoordinatedShutdown.get(system).addTask(
        org.apache.pekko.actor.CoordinatedShutdown.PhaseBeforeActorSystemTerminate(), "tessera-data-close", () -> {
          close();
          return CompletableFuture.completedFuture(org.apache.pekko.Done.getInstance());
        });
    system.getWhenTerminated().whenComplete((done, error) -> close());
    log.info("object store of {} serving on {} ({} MiB in memory, then files in {}; {} TLS)", address,
        self.endpoint(), settings.memoryLimit() >> 20, directory, tls == null ? "no" : "with");
  }

  /** This node's store. */
  public static DataStore get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  /** Lets the work patterns make lost objects again through their lineage. */
  public void remakeWith(Remaker remaker) {
    this.remaker = remaker;
  }

  /** Where this node serves objects. */
  public DataRef.Holder self() {
    return self;
  }

  public DataSettings settings() {
    return settings;
  }

  /** Bytes of objects in memory, and in files, on this node now. */
  public long memoryUsed() {
    return store.memoryUsed();
  }

  public long diskUsed() {
    return store.diskUsed();
  }

  /** Objects held on this node now (made here, replicas and cached copies). */
  public int objects() {
    return store.objects();
  }

  /** The objects being fetched into this node's store now. */
  public List<DataRef<?>> transfersInFlight() {
    return fetches.inFlight();
  }

  /** Transfers of objects into this node begun so far (reads of one object at once share one). */
  public long transfersStarted() {
    return fetches.transfersStarted();
  }

  /** True if this node holds the object now. */
  public boolean holds(String id) {
    return store.lookup(id) != null;
  }

  // ---- put -----------------------------------------------------------------------------------

  /**
   * Stores a buffer's remaining bytes (the buffer is left as it was). Inside a task the object
   * belongs to the task's job and records the task as its lineage.
   */
  public <T> DataRef<T> put(ByteBuffer bytes) {
    DataScope.Task task = DataScope.current();
    ObjectStore.Entry entry = store.put(newId(), bytes.duplicate(), task == null ? null : task.jobId);
    return refTo(entry, task == null ? null : task.nextPut());
  }

  /**
   * Stores a task's result, too large to send inline: it belongs to the job until the coordinator
   * has it, and records the task as its lineage.
   */
  public DataRef<byte[]> putResult(ByteBuffer bytes, String jobId, int taskId) {
    ObjectStore.Entry entry = store.put(newId(), bytes.duplicate(), jobId);
    return refTo(entry, new DataRef.Lineage(jobId, taskId, DataRef.Lineage.RESULT));
  }

  /** Writes an object onto a stream. */
  @FunctionalInterface
  public interface StreamWriter {
    void writeTo(java.io.OutputStream out) throws IOException;
  }

  /**
   * Stores a task's result as {@code writer} serializes it: in memory when it fits the quarter of
   * the memory limit that one object may take there (one copy into the store, no file), else
   * straight into a file of the store (never whole on the heap); otherwise as {@link
   * #putResult(ByteBuffer, String, int)}.
   */
  public DataRef<byte[]> putResult(StreamWriter writer, String jobId, int taskId) {
    String id = newId();
    Path incoming = store.incomingFile(id);
    ResultOutput out = new ResultOutput(store.largestInMemory(), incoming);
    try (out) {
      writer.writeTo(out);
    } catch (IOException | RuntimeException e) {
      try {
        Files.deleteIfExists(incoming);
      } catch (IOException ignored) {
        // reported below
      }
      if (e instanceof RuntimeException runtime && !(e instanceof UncheckedIOException)) {
        throw runtime;
      }
      throw new DataException(DataException.Reason.IO, id, "writing the result to " + incoming + " failed: " + e, e);
    }
    DataRef.Lineage lineage = new DataRef.Lineage(jobId, taskId, DataRef.Lineage.RESULT);
    if (out.inFile()) {
      return refTo(store.adopt(id, incoming, jobId), lineage);
    }
    ObjectStore.Writer stored = store.create(id, out.size(), jobId);
    try {
      out.copyTo(stored);
      return refTo(stored.commit(), lineage);
    } finally {
      stored.abortIfOpen();
    }
  }

  /** Stores a file's content, streamed through a direct buffer: the file may be larger than the heap. */
  public <T> DataRef<T> put(Path file) {
    long size;
    try {
      size = Files.size(file);
    } catch (IOException e) {
      throw new DataException(DataException.Reason.IO, file.toString(), "cannot read the file: " + e, e);
    }
    String id = newId();
    DataScope.Task task = DataScope.current();
    ObjectStore.Writer writer = store.create(id, size, task == null ? null : task.jobId);
    try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer buffer = ByteBuffer.allocateDirect(settings.chunkSize());
      while (writer.written() < size) {
        buffer.clear();
        if (in.read(buffer) < 0) {
          throw new DataException(DataException.Reason.IO, id, file + " shrank while it was stored");
        }
        writer.write(buffer.flip());
      }
      return refTo(writer.commit(), task == null ? null : task.nextPut());
    } catch (IOException e) {
      throw new DataException(DataException.Reason.IO, id, "reading " + file + " failed: " + e, e);
    } finally {
      writer.abortIfOpen();
    }
  }

  private <T> DataRef<T> refTo(ObjectStore.Entry entry, DataRef.Lineage lineage) {
    return new DataRef<>(entry.id, entry.size, entry.hash, List.of(self), lineage);
  }

  private String newId() {
    return prefix + "-" + Long.toString(sequence.incrementAndGet(), 36);
  }

  /** The other nodes' stores this node knows of now (through the receptionist). */
  public CompletionStage<List<DataRef.Holder>> peers() {
    return AskPattern.ask(node, DataNode.Peers::new, Duration.ofSeconds(10), system.scheduler());
  }

  /**
   * Copies the object to {@code count} other nodes' stores (fewer if the cluster has fewer), and
   * answers with a ref naming them too: if its owner is lost, readers fetch from them.
   */
  public <T> CompletionStage<DataRef<T>> replicate(DataRef<T> ref, int count) {
    if (count <= 0) {
      return CompletableFuture.completedFuture(ref);
    }
    return peers().thenApplyAsync(candidates -> {
      byte[] json;
      try {
        json = JSON.writeValueAsBytes(ref);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      DataRef<T> replicated = ref;
      List<String> refused = new ArrayList<>();
      for (DataRef.Holder peer : candidates) {
        if (replicated.holders().size() > count || replicated.holders().contains(peer)) {
          continue;
        }
        String why = client.ask(peer, Wire.PULL, ref.id(), json);
        if (why == null) {
          replicated = replicated.withHolder(peer);
        } else {
          refused.add(why);
        }
      }
      if (replicated.holders().size() <= count) {
        log.warn("{}: {} of {} replicas made (the cluster's other stores: {}){}", ref,
            replicated.holders().size() - 1, count, candidates.size(), refused.isEmpty() ? "" : "; " + refused);
      }
      return replicated;
    }, io);
  }

  // ---- get -----------------------------------------------------------------------------------

  /** {@link Data#read}: the reader gets a read-only view of this node's copy, pinned during the call. */
  public <T> CompletionStage<T> readView(DataRef<?> ref, java.util.function.Function<ByteBuffer, T> reader) {
    return read(ref, entry -> {
      try (ObjectStore.Reading reading = store.open(entry)) {
        if (reading.memory() != null) {
          return reader.apply(reading.memory().asReadOnlyBuffer());
        }
        if (reading.file() == null) {
          throw new DataException(DataException.Reason.UNKNOWN, entry.id, "it was released while being read");
        }
        try (FileChannel in = FileChannel.open(reading.file(), StandardOpenOption.READ)) {
          if (entry.size > Integer.MAX_VALUE) {
            throw new DataException(DataException.Reason.TOO_LARGE_FOR_HEAP, entry.id,
                entry.size + " bytes do not fit one buffer: read it with Data.getToFile");
          }
          return reader.apply(in.map(FileChannel.MapMode.READ_ONLY, 0, entry.size).asReadOnlyBuffer());
        } catch (IOException e) {
          throw new DataException(DataException.Reason.IO, entry.id, "reading its file " + reading.file() + " failed: " + e, e);
        }
      }
    });
  }

  /** The object's bytes, on the heap: for objects that fit one array. */
  public CompletionStage<byte[]> getBytes(DataRef<?> ref) {
    if (ref.size() > Integer.MAX_VALUE - 16) {
      return CompletableFuture.failedFuture(new DataException(DataException.Reason.TOO_LARGE_FOR_HEAP, ref.id(),
          ref.size() + " bytes do not fit one Java array: read it with Data.getToFile"));
    }
    return read(ref, entry -> {
      byte[] bytes = new byte[(int) entry.size];
      copy(entry, ByteBuffer.wrap(bytes));
      return bytes;
    });
  }

  /**
   * Writes the object to a file (replacing it), streamed: for objects of any size. Outside a task,
   * an object this node does not hold goes straight from its holder into the file (no copy in the
   * store: a 2 GiB object costs 2 GiB of disk here, not 4).
   */
  public CompletionStage<Path> getToFile(DataRef<?> ref, Path target) {
    if (DataScope.currentJob() == null && store.lookup(ref.id()) == null) {
      return CompletableFuture.supplyAsync(() -> fetchToFile(ref, target), io)
          .exceptionallyCompose(error -> remade(ref, error).thenCompose(again -> getToFile(again, target)));
    }
    return read(ref, entry -> {
      try (FileChannel out = FileChannel.open(target, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING); ObjectStore.Reading reading = store.open(entry)) {
        ByteBuffer memory = reading.memory();
        Path file = reading.file();
        if (memory != null) {
          ByteBuffer all = memory;
          while (all.hasRemaining()) {
            out.write(all);
          }
        } else {
          try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
            long done = 0;
            while (done < entry.size) {
              done += in.transferTo(done, entry.size - done, out);
            }
          }
        }
      } catch (IOException e) {
        throw new DataException(DataException.Reason.IO, ref.id(), "writing it to " + target + " failed: " + e, e);
      }
      return target;
    });
  }

  @FunctionalInterface
  private interface Reader<V> {
    V read(ObjectStore.Entry entry);
  }

  /**
   * Reads the object here, fetching it first if this node does not hold it: one transfer per node
   * however many read at once; the copy is kept for the job when a task reads it, and dropped
   * after its readers otherwise. A lost object with a lineage is made again if it can be.
   */
  private <V> CompletionStage<V> read(DataRef<?> ref, Reader<V> reader) {
    ObjectStore.Entry local = store.lookup(ref.id());
    if (local != null) {
      return CompletableFuture.supplyAsync(() -> reader.read(local), io);
    }
    return fetches.read(ref, DataScope.currentJob(), reader::read)
        .exceptionallyCompose(error -> remade(ref, error).thenCompose(again -> read(again, reader)));
  }

  /**
   * Fetches the object into this node's store under {@code scope}, checked against the ref's hash
   * once whole (a copy that differs is dropped: CORRUPT); a failed fetch leaves nothing behind.
   */
  private ObjectStore.Entry copyHere(DataRef<?> ref, String scope) {
    ObjectStore.Writer writer = store.create(ref.id(), ref.size(), scope);
    try {
      client.fetch(ref, writer::write);
      ObjectStore.Entry entry = writer.commit();
      received.add(entry.size);
      if (!entry.hash.equals(ref.hash())) {
        store.release(ref.id());
        throw new DataException(DataException.Reason.CORRUPT, ref.id(), "the copy's hash is " + entry.hash
            + ", the ref says " + ref.hash());
      }
      return entry;
    } finally {
      writer.abortIfOpen();
    }
  }

  /** The object made again through its lineage, if it was lost and can be; else the read's failure. */
  private CompletionStage<DataRef<?>> remade(DataRef<?> ref, Throwable error) {
    Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
        ? error.getCause() : error;
    Remaker r = remaker;
    if (cause instanceof DataException lost && lost.reason() == DataException.Reason.LOST && ref.lineage() != null
        && r != null) {
      log.warn("{} is lost ({}); making it again from its lineage (job {}, task {})", ref, lost.getMessage(),
          ref.lineage().jobId(), ref.lineage().taskId());
      return r.remake(ref, lost);
    }
    return CompletableFuture.failedFuture(cause);
  }

  /** Fetches the object straight into a file, without keeping it in the store. */
  private Path fetchToFile(DataRef<?> ref, Path target) {
    try (FileChannel out = FileChannel.open(target, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      client.fetch(ref, chunk -> {
        try {
          while (chunk.hasRemaining()) {
            out.write(chunk);
          }
        } catch (IOException e) {
          throw new DataException(DataException.Reason.IO, ref.id(), "writing it to " + target + " failed: " + e, e);
        }
      });
      return target;
    } catch (IOException e) {
      throw new DataException(DataException.Reason.IO, ref.id(), "cannot write " + target + ": " + e, e);
    }
  }

  private void copy(ObjectStore.Entry entry, ByteBuffer into) {
    try (ObjectStore.Reading reading = store.open(entry)) {
      if (reading.memory() != null) {
        into.put(reading.memory());
        return;
      }
      if (reading.file() == null) {
        throw new DataException(DataException.Reason.UNKNOWN, entry.id, "it was released while being read");
      }
      copyFile(entry, reading.file(), into);
    }
  }

  private static void copyFile(ObjectStore.Entry entry, Path file, ByteBuffer into) {
    try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
      while (into.hasRemaining()) {
        if (in.read(into) < 0) {
          throw new DataException(DataException.Reason.IO, entry.id, "its file " + entry.file + " ended early");
        }
      }
    } catch (IOException e) {
      throw new DataException(DataException.Reason.IO, entry.id, "reading its file " + entry.file + " failed: " + e, e);
    }
  }

  // ---- release ----------------------------------------------------------------------------------

  /**
   * Frees the object on every node that holds it (its owner and replicas; copies cached by jobs go
   * when their job ends). Completes once every reachable holder has freed it.
   */
  public CompletionStage<Void> release(DataRef<?> ref) {
    Remaker r = remaker;
    if (r != null) {
      r.released(ref);
    }
    return CompletableFuture.runAsync(() -> {
      store.release(ref.id());
      for (DataRef.Holder holder : ref.holders()) {
        if (!holder.equals(self)) {
          String why = client.ask(holder, Wire.RELEASE, ref.id(), new byte[0]);
          if (why != null) {
            log.debug("releasing {} on {}: {}", ref, holder.node(), why);
          }
        }
      }
    }, io);
  }

  /**
   * Starts fetching an object a task of {@code jobId} queued on this node will read, so that the
   * transfer overlaps the tasks running now: the copy belongs to the job like one a task fetched,
   * and a task's read of it joins the fetch or finds the copy. Does nothing if this node holds
   * the object or is fetching it. A failure is only logged: the task's own read tries again and
   * reports it.
   */
  public void prefetch(DataRef<?> ref, String jobId) {
    fetches.prefetch(ref, jobId);
  }

  /** Frees every object of the job on this node, except those kept; returns how many. */
  public int releaseJob(String jobId) {
    fetches.jobEnded(jobId); // before the objects go: a prefetch landing later sees it
    int released = store.releaseScope(jobId);
    if (released > 0) {
      log.debug("job {} ended: {} of its objects freed on this node", jobId, released);
    }
    return released;
  }

  /** Takes objects this node holds out of their job: they live until released (a result names them). */
  public void keep(List<DataRef<?>> refs) {
    for (DataRef<?> ref : refs) {
      store.keep(ref.id());
    }
  }

  /** For tests of the chunk checks: damages chunks as this node receives them. */
  void damageIncoming(DataClient.Damage damage) {
    client.damage(damage);
  }

  private void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    server.close();
    io.shutdownNow();
    store.close();
  }

  private static String hostForUri(String host) {
    return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
  }

  private static SSLContext tlsContext(ActorSystem<?> system) {
    // The cluster's TLS setting: Artery over TLS means the object store too, with the same
    // certificates and the same mutual authentication.
    if (!"tls-tcp".equals(system.settings().config().getString("pekko.remote.artery.transport"))) {
      return null;
    }
    try {
      TesseraSslEngineProvider provider = new TesseraSslEngineProvider(system.classicSystem());
      SSLContext context = SSLContext.getInstance(provider.SSLProtocol());
      context.init(provider.keyManagers(), provider.trustManagers(), provider.createSecureRandom());
      return context;
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException("the object store cannot set up TLS with the cluster's certificates: " + e, e);
    }
  }

  /** What the server does with other nodes' requests. */
  private final class ServedRequests implements DataServer.Requests {
    @Override
    public ObjectStore.Entry lookup(String id) {
      return store.lookup(id);
    }

    @Override
    public ObjectStore.Reading open(ObjectStore.Entry entry) {
      return store.open(entry);
    }

    @Override
    public boolean release(String id) {
      return store.release(id);
    }

    @Override
    public void pull(byte[] refJson) throws Exception {
      DataRef<?> ref = JSON.readValue(refJson, DataRef.class);
      if (store.lookup(ref.id()) != null) {
        return;
      }
      copyHere(ref, null);
    }
  }
}
