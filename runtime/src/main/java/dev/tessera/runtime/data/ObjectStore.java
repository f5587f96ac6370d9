package dev.tessera.runtime.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node's objects: kept off the Java heap, in direct memory up to a limit and in files of a
 * local directory beyond it, and each cut into fixed-size chunks with a CRC-32C apiece (checked by
 * whoever receives them). An object never sits whole on the heap, so a node with a 256 MiB heap
 * holds and serves a 2 GiB object.
 *
 * <p>Objects up to a quarter of the memory limit go to memory; when memory is full the least
 * recently used ones move to files to make room (spill). Larger objects go straight to a file. The
 * files together may use at most the disk limit: an object that would pass it is refused with
 * {@link DataException.Reason#STORE_FULL} before a byte is written, and nothing else changes.
 *
 * <p>Each object has a scope: the job whose task made or fetched it (freed with {@link
 * #releaseScope} when the job ends), or none (lives until {@link #release}).
 *
 * <p>Thread safety: every method may be called from any thread. Writing and reading an object's
 * bytes happen outside the store's lock; a reader keeps the buffer or file it opened even if the
 * object is released or spilled meanwhile (a released file's space returns when its last reader
 * closes it).
 */
final class ObjectStore implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ObjectStore.class);

  /**
   * The scope of a copy fetched for readers outside any job: invisible to {@link #lookup} (it is
   * reached only through the fetch that made it, and freed when that fetch's readers are done),
   * and never served to other nodes.
   */
  static final String TRANSIENT = "\u0000transient";

  /** Where an object's bytes are, and what they are. */
  static final class Entry {
    final String id;
    final long size;
    final int chunkSize;
    final int[] crcs;
    final String hash;
    volatile String scope;
    /** Read-only view, position 0; null once spilled, and for objects in files. Read before {@link #file}. */
    volatile ByteBuffer memory;
    /** The memory's own buffer (its capacity rounded up, see {@link MemoryPool#capacityFor}); guarded by the store. */
    private ByteBuffer root;
    /** Readers that opened the memory ({@link #open}) and have not closed it; guarded by the store. */
    private int readers;
    /** The memory was freed while read: it returns to the pool when the last reader closes. */
    private boolean freedWhileRead;
    /** Set before {@link #memory} is cleared, so that a reader finds one or the other. */
    volatile Path file;

    Entry(String id, long size, int chunkSize, int[] crcs, int wholeCrc, String scope) {
      this.id = id;
      this.size = size;
      this.chunkSize = chunkSize;
      this.crcs = crcs;
      this.hash = hashOf(wholeCrc);
      this.scope = scope;
    }

    int chunks() {
      return crcs.length;
    }

    long chunkOffset(int chunk) {
      return (long) chunk * chunkSize;
    }

    int chunkLength(int chunk) {
      return (int) Math.min(chunkSize, size - chunkOffset(chunk));
    }
  }

  private final DataSettings settings;
  private final Path directory;
  private final Map<String, Entry> entries = new HashMap<>();
  /** Objects in memory, least recently used first. */
  private final LinkedHashMap<String, Entry> inMemory = new LinkedHashMap<>(16, 0.75f, true);
  /** Bytes of memory held by objects: their buffers' capacities. */
  private long memoryUsed;
  /** Freed object memory, for the next object of its size; counted against the memory limit. */
  private final MemoryPool pool = new MemoryPool();
  private long diskUsed;
  /** Bytes promised to writes in progress, on disk and in memory. */
  private long diskReserved;
  private long memoryReserved;
  private boolean closed;

  ObjectStore(DataSettings settings, Path directory) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.directory = Objects.requireNonNull(directory, "directory");
    try {
      Files.createDirectories(directory);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the object store's directory " + directory, e);
    }
  }

  /**
   * The "crc32c:..." digest of an object whose whole content has this CRC-32C: the same whatever
   * chunk size a node stores it with, so any copy can be checked against its ref.
   */
  static String hashOf(int wholeCrc) {
    return String.format("crc32c:%08x", wholeCrc);
  }

  /**
   * Starts writing a new object: decides memory or file, and reserves its room.
   *
   * @throws DataException STORE_FULL when it fits neither memory nor the disk limit
   */
  Writer create(String id, long size, String scope) {
    Objects.requireNonNull(id, "id");
    boolean toMemory;
    ByteBuffer reused = null;
    synchronized (this) {
      checkOpen(id);
      if (entries.containsKey(id)) {
        throw new IllegalStateException("object " + id + " exists already on this node");
      }
      int capacity = MemoryPool.capacityFor(size);
      toMemory = size <= largestInMemory() && makeRoomInMemory(capacity);
      if (toMemory) {
        memoryReserved += capacity;
        reused = pool.take(capacity);
      } else {
        long free = settings.diskLimit() - diskUsed - diskReserved;
        if (size > free) {
          throw storeFull(id, size, free);
        }
        diskReserved += size;
      }
    }
    try {
      return toMemory ? new Writer(id, size, scope, reused != null ? reused : ByteBuffer.allocateDirect(MemoryPool.capacityFor(size)), null)
          : new Writer(id, size, scope, null, FileChannel.open(fileOf(id), StandardOpenOption.CREATE_NEW,
              StandardOpenOption.WRITE));
    } catch (IOException | OutOfMemoryError e) {
      synchronized (this) {
        if (toMemory) {
          memoryReserved -= MemoryPool.capacityFor(size);
        } else {
          diskReserved -= size;
        }
      }
      throw new DataException(DataException.Reason.IO, id, "cannot start storing it: " + e, e);
    }
  }

  /** The largest object kept in memory: a quarter of the memory limit; larger ones go straight to a file. */
  long largestInMemory() {
    return settings.memoryLimit() / 4;
  }

  /**
   * A file for writing an object whose size is not known yet (a result being serialized): write
   * it, then {@link #adopt} it. It lies in the store's folder, so the adoption is a rename.
   */
  Path incomingFile(String id) {
    return directory.resolve(id.replace(':', '_') + ".incoming");
  }

  /**
   * Makes a finished file (from {@link #incomingFile}) an object: reads it once for its chunks'
   * CRCs and renames it into place. The file is deleted if it does not fit the disk limit.
   */
  Entry adopt(String id, Path incoming, String scope) {
    long size;
    try {
      size = Files.size(incoming);
    } catch (IOException e) {
      throw new DataException(DataException.Reason.IO, id, "cannot read " + incoming + ": " + e, e);
    }
    synchronized (this) {
      checkOpen(id);
      long free = settings.diskLimit() - diskUsed - diskReserved;
      if (size > free) {
        delete(incoming);
        throw storeFull(id, size, free);
      }
      diskReserved += size;
    }
    int chunkSize = settings.chunkSize();
    int[] crcs = new int[(int) Math.max(1, (size + chunkSize - 1) / chunkSize)];
    CRC32C whole = new CRC32C();
    try (FileChannel in = FileChannel.open(incoming, StandardOpenOption.READ)) {
      ByteBuffer buffer = ByteBuffer.allocateDirect(chunkSize);
      CRC32C crc = new CRC32C();
      for (int c = 0; c < crcs.length; c++) {
        buffer.clear();
        while (buffer.hasRemaining() && in.read(buffer) >= 0) {
          // fill the chunk
        }
        crc.reset();
        crc.update(buffer.flip().duplicate());
        crcs[c] = (int) crc.getValue();
        whole.update(buffer);
      }
      Files.move(incoming, fileOf(id), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      synchronized (this) {
        diskReserved -= size;
      }
      delete(incoming);
      throw new DataException(DataException.Reason.IO, id, "storing " + incoming + " failed: " + e, e);
    }
    Entry entry = new Entry(id, size, chunkSize, crcs, (int) whole.getValue(), scope);
    synchronized (this) {
      diskReserved -= size;
      diskUsed += size;
      entry.file = fileOf(id);
      entries.put(id, entry);
    }
    return entry;
  }

  private DataException storeFull(String id, long size, long free) {
    return new DataException(DataException.Reason.STORE_FULL, id, "cannot store " + size + " bytes on this node:"
        + " its object store has " + Math.max(0, free) + " of " + settings.diskLimit() + " bytes free on disk"
        + " (tessera.data.disk-limit, in " + directory + "); release objects or raise the limit");
  }

  /** Stores a whole buffer's remaining bytes as a new object. */
  Entry put(String id, ByteBuffer bytes, String scope) {
    Writer writer = create(id, bytes.remaining(), scope);
    try {
      writer.write(bytes);
      return writer.commit();
    } finally {
      writer.abortIfOpen();
    }
  }

  /**
   * The object, or null if this node does not hold it (a {@link #TRANSIENT} copy does not count).
   * Counts as a use (for spilling).
   */
  synchronized Entry lookup(String id) {
    Entry entry = entries.get(id);
    if (entry == null || TRANSIENT.equals(entry.scope)) {
      return null;
    }
    if (entry.memory != null) {
      inMemory.get(id); // touch
    }
    return entry;
  }

  /** Frees an object; false if this node did not hold it. */
  boolean release(String id) {
    Path file;
    synchronized (this) {
      Entry entry = entries.remove(id);
      if (entry == null) {
        return false;
      }
      file = forget(entry);
    }
    delete(file);
    return true;
  }

  /** Frees every object of a scope, except those {@link #keep kept} since; returns how many. */
  int releaseScope(String scope) {
    List<Path> files = new ArrayList<>();
    int released = 0;
    synchronized (this) {
      for (var it = entries.values().iterator(); it.hasNext(); ) {
        Entry entry = it.next();
        if (scope.equals(entry.scope)) {
          it.remove();
          files.add(forget(entry));
          released++;
        }
      }
    }
    files.forEach(ObjectStore::delete);
    return released;
  }

  /** Takes an object out of its job's scope: it lives until released. False if not held here. */
  synchronized boolean keep(String id) {
    Entry entry = entries.get(id);
    if (entry == null || TRANSIENT.equals(entry.scope)) {
      return false;
    }
    entry.scope = null;
    return true;
  }

  synchronized long memoryUsed() {
    return memoryUsed;
  }

  /** Freed memory kept for reuse (counted against the memory limit, not in {@link #memoryUsed}). */
  synchronized long pooledBytes() {
    return pool.bytes();
  }

  synchronized long diskUsed() {
    return diskUsed;
  }

  synchronized int objects() {
    return entries.size();
  }

  Path directory() {
    return directory;
  }

  @Override
  public void close() {
    synchronized (this) {
      closed = true;
      entries.clear();
      inMemory.clear();
      pool.freeAll();
      memoryUsed = 0;
      diskUsed = 0;
    }
    try (var files = Files.list(directory)) {
      files.forEach(ObjectStore::delete);
      Files.deleteIfExists(directory);
    } catch (IOException e) {
      log.warn("could not delete the object store's directory {}: {}", directory, e.toString());
    }
  }

  private Path forget(Entry entry) {
    if (entry.memory != null) {
      inMemory.remove(entry.id);
      entry.memory = null;
      freeMemory(entry);
      return null;
    }
    diskUsed -= entry.size;
    return entry.file;
  }

  private static void delete(Path file) {
    if (file != null) {
      try {
        Files.deleteIfExists(file);
      } catch (IOException e) {
        log.warn("could not delete {}: {}", file, e.toString());
      }
    }
  }

  private Path fileOf(String id) {
    return directory.resolve(id.replace(':', '_') + ".obj");
  }

  private void checkOpen(String id) {
    if (closed) {
      throw new DataException(DataException.Reason.IO, id, "this node's object store is closed");
    }
  }

  /**
   * What a reader of an object has opened: its memory (a view of its own) or its file. While a
   * reader holds the memory, freeing the object (release, spill) does not let another object
   * reuse it; close it when done. Thread safety: one thread.
   */
  final class Reading implements AutoCloseable {
    private final Entry entry;
    private final ByteBuffer memory;
    private final Path file;
    private boolean closed;

    private Reading(Entry entry, ByteBuffer memory, Path file) {
      this.entry = entry;
      this.memory = memory;
      this.file = file;
    }

    /** The object's bytes (position 0, limit its size), or null when it is in {@link #file}. */
    ByteBuffer memory() {
      return memory;
    }

    /** The object's file, when not in memory. */
    Path file() {
      return file;
    }

    @Override
    public void close() {
      if (memory != null && !closed) {
        closed = true;
        synchronized (ObjectStore.this) {
          entry.readers--;
          if (entry.readers == 0 && entry.freedWhileRead) {
            entry.freedWhileRead = false;
            ByteBuffer root = entry.root;
            entry.root = null;
            free(root);
          }
        }
      }
    }
  }

  /** Opens the object for reading: its memory if it is still there, else its file. */
  synchronized Reading open(Entry entry) {
    ByteBuffer memory = entry.memory;
    if (memory != null) {
      entry.readers++;
      return new Reading(entry, memory.duplicate(), null);
    }
    return new Reading(entry, null, entry.file);
  }

  /** The object's memory is no longer its: pooled now, or when its last reader closes. Holds the lock. */
  private void freeMemory(Entry entry) {
    if (entry.readers > 0) {
      entry.freedWhileRead = true;
      return;
    }
    ByteBuffer root = entry.root;
    entry.root = null;
    free(root);
  }

  /** Moves a freed buffer from the objects' memory to the pool. Holds the lock. */
  private void free(ByteBuffer root) {
    if (root == null) {
      return;
    }
    memoryUsed -= root.capacity();
    if (!closed) {
      pool.give(root);
    }
  }

  /** Moves least recently used objects to files until {@code size} more fits memory. Holds the lock. */
  private boolean makeRoomInMemory(long size) {
    if (pool.has((int) size)) {
      return true; // the pooled buffer it will take is counted already
    }
    while (memoryUsed + memoryReserved + pool.bytes() + size > settings.memoryLimit() && pool.freeOne()) {
      // pooled memory goes before any object spills
    }
    while (memoryUsed + memoryReserved + size > settings.memoryLimit() && !inMemory.isEmpty()) {
      Entry victim = inMemory.values().iterator().next();
      if (diskUsed + diskReserved + victim.size > settings.diskLimit() || !spill(victim)) {
        return false;
      }
    }
    return memoryUsed + memoryReserved + size <= settings.memoryLimit();
  }

  /** Writes an in-memory object to its file and frees its memory. Holds the lock (a rare, bounded copy). */
  private boolean spill(Entry entry) {
    Path file = fileOf(entry.id);
    try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
        StandardOpenOption.WRITE)) {
      ByteBuffer bytes = entry.memory.duplicate();
      while (bytes.hasRemaining()) {
        out.write(bytes);
      }
    } catch (IOException e) {
      log.warn("could not spill object {} to {}: {}", entry.id, file, e.toString());
      delete(file);
      return false;
    }
    inMemory.remove(entry.id);
    diskUsed += entry.size;
    entry.file = file;
    entry.memory = null; // after file: a reader that finds no memory finds the file
    freeMemory(entry);
    log.debug("object {} ({} bytes) spilled to {}", entry.id, entry.size, file);
    return true;
  }

  /**
   * Writes one object's bytes in order, computing its chunks' CRCs as they pass; {@link #commit}
   * makes it visible. Thread safety: one thread.
   */
  final class Writer {
    private final String id;
    private final long size;
    private final String scope;
    private final ByteBuffer memory;
    private final FileChannel file;
    private final int chunkSize = settings.chunkSize();
    private final int[] crcs;
    private final CRC32C crc = new CRC32C();
    private final CRC32C whole = new CRC32C();
    private long written;
    private boolean open = true;

    private Writer(String id, long size, String scope, ByteBuffer memory, FileChannel file) {
      this.id = id;
      this.size = size;
      this.scope = scope;
      this.memory = memory;
      this.file = file;
      this.crcs = new int[(int) Math.max(1, (size + chunkSize - 1) / chunkSize)];
    }

    /** Appends the buffer's remaining bytes. */
    void write(ByteBuffer bytes) {
      if (written + bytes.remaining() > size) {
        throw new IllegalStateException("object " + id + " is " + size + " bytes; " + (written + bytes.remaining())
            + " written");
      }
      while (bytes.hasRemaining()) {
        int inChunk = (int) (written % chunkSize);
        int n = Math.min(bytes.remaining(), chunkSize - inChunk);
        ByteBuffer part = bytes.slice().limit(n);
        crc.update(part.duplicate());
        whole.update(part.duplicate());
        try {
          if (memory != null) {
            memory.put(part);
          } else {
            while (part.hasRemaining()) {
              file.write(part);
            }
          }
        } catch (IOException e) {
          throw new DataException(DataException.Reason.IO, id, "writing it to " + fileOf(id) + " failed: " + e, e);
        }
        bytes.position(bytes.position() + n);
        written += n;
        if (written % chunkSize == 0 || written == size) {
          crcs[(int) ((written - 1) / chunkSize)] = (int) crc.getValue();
          crc.reset();
        }
      }
    }

    long written() {
      return written;
    }

    /** Makes the object visible once every byte is written. */
    Entry commit() {
      if (written != size) {
        throw new IllegalStateException("object " + id + " is " + size + " bytes; only " + written + " written");
      }
      if (size == 0) {
        crcs[0] = (int) new CRC32C().getValue();
      }
      try {
        if (file != null) {
          file.close();
        }
      } catch (IOException e) {
        throw new DataException(DataException.Reason.IO, id, "closing " + fileOf(id) + " failed: " + e, e);
      }
      Entry entry = new Entry(id, size, chunkSize, crcs, (int) whole.getValue(), scope);
      synchronized (ObjectStore.this) {
        open = false;
        if (memory != null) {
          memoryReserved -= memory.capacity();
          memoryUsed += memory.capacity();
          entry.root = memory;
          entry.memory = memory.duplicate().flip().asReadOnlyBuffer();
          inMemory.put(id, entry);
        } else {
          diskReserved -= size;
          diskUsed += size;
          entry.file = fileOf(id);
        }
        if (closed) {
          throw new DataException(DataException.Reason.IO, id, "this node's object store closed while it was written");
        }
        entries.put(id, entry);
      }
      return entry;
    }

    /** Gives up the object (a failed transfer): its room is returned. Safe after commit. */
    void abortIfOpen() {
      synchronized (ObjectStore.this) {
        if (!open) {
          return;
        }
        open = false;
        if (memory != null) {
          memoryReserved -= memory.capacity();
          memoryUsed += memory.capacity(); // as if committed, then freed at once: back to the pool
          free(memory);
        } else {
          diskReserved -= size;
        }
      }
      if (file != null) {
        try {
          file.close();
        } catch (IOException ignored) {
          // deleted next
        }
        delete(fileOf(id));
      }
    }
  }
}
