package dev.tessera.samples.gpt;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * A float array sent between nodes as chunks of raw little-endian bytes, each small enough for one
 * network message without crowding out the cluster's own traffic ({@link #CHUNK_FLOATS} floats,
 * 64 KiB): gradients, parameters and optimizer state are far bigger than one Artery frame (256 KiB
 * by default), and the bytes are exact, so every replica receives the same bits.
 *
 * <p>{@link Assembly} puts the chunks of one array back together, in whatever order they come.
 *
 * <p>Thread safety: the static methods are; an {@link Assembly} is not (one actor owns it).
 */
public final class FloatChunks {

  /** Floats in one chunk. */
  public static final int CHUNK_FLOATS = 16 * 1024;

  private FloatChunks() {}

  /** How many chunks an array of {@code length} floats is sent in (at least one). */
  public static int count(int length) {
    return Math.max(1, (length + CHUNK_FLOATS - 1) / CHUNK_FLOATS);
  }

  /** Chunk {@code index} of {@code values}. */
  public static byte[] chunk(float[] values, int index) {
    int from = index * CHUNK_FLOATS;
    if (index < 0 || (from >= values.length && !(index == 0 && values.length == 0))) {
      throw new IndexOutOfBoundsException("chunk " + index + " of " + count(values.length));
    }
    int to = Math.min(values.length, from + CHUNK_FLOATS);
    ByteBuffer bytes = ByteBuffer.allocate((to - from) * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    bytes.asFloatBuffer().put(values, from, to - from);
    return bytes.array();
  }

  /** The whole of {@code values} as bytes (for a checkpoint). */
  public static byte[] toBytes(float[] values) {
    ByteBuffer bytes = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    bytes.asFloatBuffer().put(values);
    return bytes.array();
  }

  /** The floats in {@code bytes}, as {@link #toBytes} wrote them. */
  public static float[] fromBytes(byte[] bytes) {
    if (bytes.length % Float.BYTES != 0) {
      throw new IllegalArgumentException(bytes.length + " bytes are not a whole number of floats");
    }
    float[] values = new float[bytes.length / Float.BYTES];
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
    return values;
  }

  /**
   * A 64-bit fingerprint of the exact bits of {@code values}: replicas that hold the same
   * parameters report the same one.
   */
  public static long fingerprint(float[] values) {
    long h = 0xcbf29ce484222325L;
    for (float v : values) {
      h ^= Float.floatToRawIntBits(v);
      h *= 0x100000001b3L;
    }
    return h;
  }

  /** The chunks of one array of a known length, as they arrive. */
  public static final class Assembly {
    private final float[] values;
    private final boolean[] received;
    private int missing;

    public Assembly(int length) {
      this.values = new float[length];
      this.received = new boolean[count(length)];
      this.missing = received.length;
    }

    /**
     * Puts chunk {@code index} of {@code chunks} in place; a chunk received before is ignored.
     *
     * @return whether every chunk is now in
     * @throws IllegalArgumentException if the chunk does not belong to an array of this length
     */
    public boolean add(int index, int chunks, byte[] bytes) {
      Objects.requireNonNull(bytes, "bytes");
      if (chunks != received.length || index < 0 || index >= chunks) {
        throw new IllegalArgumentException("chunk " + index + " of " + chunks + " does not belong to an array of "
            + values.length + " floats (" + received.length + " chunks)");
      }
      int from = index * CHUNK_FLOATS;
      int expected = Math.min(values.length, from + CHUNK_FLOATS) - from;
      if (bytes.length != expected * Float.BYTES) {
        throw new IllegalArgumentException("chunk " + index + " holds " + bytes.length + " bytes, expected "
            + expected * Float.BYTES);
      }
      if (!received[index]) {
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values, from, expected);
        received[index] = true;
        missing--;
      }
      return missing == 0;
    }

    public boolean complete() {
      return missing == 0;
    }

    /** The array; only once {@link #complete}. */
    public float[] values() {
      if (missing != 0) {
        throw new IllegalStateException(missing + " of " + received.length + " chunks are still missing");
      }
      return values;
    }
  }
}
