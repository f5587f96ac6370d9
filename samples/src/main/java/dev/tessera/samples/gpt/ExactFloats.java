package dev.tessera.samples.gpt;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Float arrays as their exact bits: raw little-endian bytes (4 a float), as they go into the object
 * store, checkpoints and the pipeline's messages, and a fingerprint that replicas holding the same
 * parameters share.
 *
 * <p>Thread safety: stateless.
 */
final class ExactFloats {

  private ExactFloats() {}

  /** {@code values} as bytes. */
  static byte[] toBytes(float[] values) {
    ByteBuffer bytes = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    bytes.asFloatBuffer().put(values);
    return bytes.array();
  }

  /** The floats in {@code bytes}, as {@link #toBytes} wrote them. */
  static float[] fromBytes(byte[] bytes) {
    if (bytes.length % Float.BYTES != 0) {
      throw new IllegalArgumentException(bytes.length + " bytes are not a whole number of floats");
    }
    float[] values = new float[bytes.length / Float.BYTES];
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
    return values;
  }

  /** A 64-bit fingerprint (FNV-1a) of the exact bits of {@code values}. */
  static long fingerprint(float[] values) {
    long h = 0xcbf29ce484222325L;
    for (float v : values) {
      h ^= Float.floatToRawIntBits(v);
      h *= 0x100000001b3L;
    }
    return h;
  }
}
