package dev.tessera.runtime.data;

import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import dev.tessera.runtime.serialization.CborSerializable;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A reference to an object in the cluster's object store: what a task takes or returns instead of
 * the data itself, so that a 500 MB array crosses the network only to the nodes that read it, once
 * each, straight from node to node. Make one with {@link Data#put}; read it with {@link Data#get}.
 *
 * <pre>{@code
 * DataRef<double[]> panel = Data.putValue(system, rows);        // stays on this node
 * handle = WorkPulling.submit(system, MULTIPLY, List.of(new Block(panel, 0), new Block(panel, 1)), options);
 * // in the handler, on whichever node runs it (fetched once per node, then cached for the job):
 * double[] rows = Data.getValue(system, block.panel(), double[].class).toCompletableFuture().join();
 * }</pre>
 *
 * <p>The type parameter says what the object holds when it was made with {@link Data#putValue};
 * the bytes never name a class, so a reader says which class to read ({@link Data#getValue}).
 * Refs are plain values: they serialize (CBOR or JSON) inside task inputs, results and messages.
 *
 * @param id the object's name, unique in the cluster
 * @param size its length in bytes
 * @param hash a digest of its content: "crc32c:" and the CRC-32C of all its bytes, in hex (each
 *     chunk is also checked on arrival against its own CRC, and a copy against this once whole)
 * @param holders the nodes that hold it, the owner first and then its replicas
 * @param lineage the task that made it, when a task of a job did, so that it can be made again
 *     if every holder is lost; null otherwise
 * @param <T> what the object holds, for {@link Data#getValue}
 */
@JsonSerialize(using = DataRefSerializer.class)
public record DataRef<T>(String id, long size, String hash, List<Holder> holders, Lineage lineage)
    implements CborSerializable {

  private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:-]{0,200}");

  public DataRef {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(hash, "hash");
    Objects.requireNonNull(holders, "holders");
    if (!ID.matcher(id).matches()) {
      throw new IllegalArgumentException("object id '" + id + "' may hold only letters, digits and _ . : - (at most 201)");
    }
    if (size < 0) {
      throw new IllegalArgumentException("object " + id + " has a negative size: " + size);
    }
    if (holders.isEmpty()) {
      throw new IllegalArgumentException("object " + id + " names no node that holds it");
    }
    holders = List.copyOf(holders);
  }

  /**
   * A node holding the object.
   *
   * @param node the node's cluster address, as {@code Address.toString()} gives it
   *     ({@code pekko://tessera@10.0.0.5:25520})
   * @param endpoint where its object store serves objects, {@code host:port}
   */
  public record Holder(String node, String endpoint) implements CborSerializable {
    public Holder {
      Objects.requireNonNull(node, "node");
      Objects.requireNonNull(endpoint, "endpoint");
      if (endpoint.lastIndexOf(':') <= 0) {
        throw new IllegalArgumentException("endpoint '" + endpoint + "' is not host:port");
      }
    }

    String host() {
      String host = endpoint.substring(0, endpoint.lastIndexOf(':'));
      return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    int port() {
      return Integer.parseInt(endpoint.substring(endpoint.lastIndexOf(':') + 1));
    }
  }

  /**
   * The task that produced an object: running it again makes the object again (a task must be
   * deterministic for that, as Ray and Spark ask too).
   *
   * @param jobId the job the task belongs to
   * @param taskId the task, within the job
   * @param index which of the task's objects: {@link #RESULT} for its result stored by the
   *     runtime, else 0 for the first object it put, 1 for the next...
   */
  public record Lineage(String jobId, int taskId, int index) implements CborSerializable {
    /** The index of a task's result, stored by the runtime because it was too large to send inline. */
    public static final int RESULT = -1;

    public Lineage {
      Objects.requireNonNull(jobId, "jobId");
    }
  }

  /** The node that made the object and serves it first. */
  public Holder owner() {
    return holders.get(0);
  }

  /** This ref with one more holder (a replica), after those it has. */
  public DataRef<T> withHolder(Holder holder) {
    if (holders.contains(holder)) {
      return this;
    }
    List<Holder> more = new java.util.ArrayList<>(holders);
    more.add(holder);
    return new DataRef<>(id, size, hash, more, lineage);
  }

  /** The same object read as another type (the bytes are untyped; the reader says what they are). */
  @SuppressWarnings("unchecked")
  public <U> DataRef<U> as(Class<U> type) {
    Objects.requireNonNull(type, "type");
    return (DataRef<U>) this;
  }

  @Override
  public String toString() {
    return "object " + id + " (" + size + " bytes on " + owner().node() + ")";
  }
}
