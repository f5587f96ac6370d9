package dev.tessera.runtime.data;

import dev.tessera.runtime.job.PayloadCodec;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * The cluster's object store, as Ray's {@code ray.put}/{@code ray.get} and Dask's {@code scatter}
 * offer it: put data of any size on this node and pass the small {@link DataRef} around (in task
 * inputs, results, messages); any node reads it, fetched straight from a node that holds it in
 * checked chunks, once per node.
 *
 * <pre>{@code
 * DataRef<byte[]> weights = Data.put(system, bytes);                  // now, on this node
 * DataRef<Matrix> panel = Data.putValue(system, matrix);              // a Jackson value, as CBOR
 * DataRef<byte[]> kept = Data.put(system, bytes, 2).toCompletableFuture().join(); // and a replica
 * byte[] back = Data.get(system, weights).toCompletableFuture().join();
 * Matrix m = Data.getValue(system, panel, Matrix.class).toCompletableFuture().join();
 * Data.getToFile(system, hugeRef, Path.of("/scratch/grid.bin"));     // any size, streamed
 * Data.release(system, weights);                                      // on every holder
 * }</pre>
 *
 * <p><b>Lifetime.</b> An object put inside a task belongs to the task's job and is freed when the
 * job ends, unless the task's result names it: then it passes to the submitter's keeping. An object
 * put outside a task lives until {@link #release}d (or its node stops).
 *
 * <p><b>Faults.</b> A read never hangs: a holder that refuses, closes or goes silent (the idle
 * timeout) is left for the next holder (a replica); an object a task made is made again by running
 * that task again if every holder is lost and its job still runs; otherwise the read fails with a
 * {@link DataException} naming the object and the lost nodes.
 *
 * <p>Thread safety: every method may be called from any thread, including task handlers; none
 * blocks on the network (puts copy into this node's store; gets and releases return futures).
 */
public final class Data {

  private static final PayloadCodec CODEC = new PayloadCodec();

  private Data() {}

  /** Stores the bytes on this node (copied, off the heap or in a file). */
  public static DataRef<byte[]> put(ActorSystem<?> system, byte[] bytes) {
    return put(system, ByteBuffer.wrap(Objects.requireNonNull(bytes, "bytes")));
  }

  /** Stores the buffer's remaining bytes on this node (copied; the buffer is left as it was). */
  public static DataRef<byte[]> put(ActorSystem<?> system, ByteBuffer bytes) {
    return DataStore.get(system).put(Objects.requireNonNull(bytes, "bytes"));
  }

  /** Stores a file's content on this node, streamed: the file may be larger than the heap. */
  public static DataRef<byte[]> put(ActorSystem<?> system, Path file) {
    return DataStore.get(system).put(Objects.requireNonNull(file, "file"));
  }

  /**
   * Stores the bytes here and copies them to {@code replicas - 1} other nodes: the ref it answers
   * with names them all, and reads survive the loss of the owner.
   */
  public static CompletionStage<DataRef<byte[]>> put(ActorSystem<?> system, byte[] bytes, int replicas) {
    if (replicas < 1) {
      throw new IllegalArgumentException("replicas must be at least 1, got " + replicas);
    }
    DataStore store = DataStore.get(system);
    return store.replicate(store.put(ByteBuffer.wrap(Objects.requireNonNull(bytes, "bytes"))), replicas - 1);
  }

  /** Stores a value (a Jackson-serializable record, array, list...) as CBOR. */
  public static <T> DataRef<T> putValue(ActorSystem<?> system, T value) {
    byte[] bytes = CODEC.encode(Objects.requireNonNull(value, "value"));
    DataRef<byte[]> ref = put(system, bytes);
    @SuppressWarnings("unchecked")
    DataRef<T> typed = (DataRef<T>) ref;
    return typed;
  }

  /** The object's bytes (it must fit one array: up to 2 GiB; see {@link #getToFile}). */
  public static CompletionStage<byte[]> get(ActorSystem<?> system, DataRef<?> ref) {
    return DataStore.get(system).getBytes(Objects.requireNonNull(ref, "ref"));
  }

  /**
   * Reads the object without copying it onto the heap: {@code reader} gets a read-only view of
   * this node's copy (fetched first if the node has none), position 0, limit its size, valid only
   * during the call (do not keep it or a slice of it). For decoding into arrays of one's own, such
   * as floats, with one copy where {@link #get} makes two. Objects in files are mapped.
   */
  public static <T> CompletionStage<T> read(ActorSystem<?> system, DataRef<?> ref,
      java.util.function.Function<ByteBuffer, T> reader) {
    return DataStore.get(system).readView(Objects.requireNonNull(ref, "ref"), Objects.requireNonNull(reader, "reader"));
  }

  /** The object read as a {@code type}, from what {@link #putValue} stored. */
  public static <T> CompletionStage<T> getValue(ActorSystem<?> system, DataRef<T> ref, Class<T> type) {
    Objects.requireNonNull(type, "type");
    return get(system, ref).thenApply(bytes -> CODEC.decode(bytes, type));
  }

  /** Writes the object to {@code target} (created or replaced), streamed: for objects of any size. */
  public static CompletionStage<Path> getToFile(ActorSystem<?> system, DataRef<?> ref, Path target) {
    return DataStore.get(system).getToFile(Objects.requireNonNull(ref, "ref"), Objects.requireNonNull(target, "target"));
  }

  /** Frees the object on every node that holds it. Reading it afterwards fails, naming it. */
  public static CompletionStage<Void> release(ActorSystem<?> system, DataRef<?> ref) {
    return DataStore.get(system).release(Objects.requireNonNull(ref, "ref"));
  }
}
