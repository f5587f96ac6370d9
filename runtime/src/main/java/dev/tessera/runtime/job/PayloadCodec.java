package dev.tessera.runtime.job;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Turns task inputs and results into bytes and back (CBOR through Jackson), with the classes the
 * task type declares: the bytes never name a class, so a peer cannot make a node instantiate one.
 *
 * <p>Thread safety: immutable; share one instance.
 *
 * <pre>{@code
 * PayloadCodec codec = new PayloadCodec();
 * byte[] bytes = codec.encode(new Point(1.0, 2.0));
 * Point back = codec.decode(bytes, Point.class);
 * }</pre>
 */
public final class PayloadCodec {

  private final ObjectMapper mapper = new ObjectMapper(new CBORFactory()).findAndRegisterModules();

  /** @throws IllegalArgumentException naming the value's class when it cannot be serialized */
  public byte[] encode(Object value) {
    Objects.requireNonNull(value, "value");
    try {
      return mapper.writeValueAsBytes(value);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "cannot serialize a " + value.getClass().getName() + ": " + e.getMessage(), e);
    }
  }

  /**
   * Serializes a value onto a stream (left open), for values too large to hold twice in memory.
   *
   * @throws IllegalArgumentException naming the value's class when it cannot be serialized
   * @throws java.io.UncheckedIOException when the stream fails
   */
  public void write(Object value, java.io.OutputStream out) {
    Objects.requireNonNull(value, "value");
    try {
      mapper.writer().without(com.fasterxml.jackson.core.JsonGenerator.Feature.AUTO_CLOSE_TARGET).writeValue(out, value);
    } catch (com.fasterxml.jackson.databind.JsonMappingException e) {
      throw new IllegalArgumentException(
          "cannot serialize a " + value.getClass().getName() + ": " + e.getMessage(), e);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /**
   * Serializes a value into at most {@code maxBytes} bytes, stopping as soon as it writes more: an
   * oversized result fails at once, without a second copy of it in memory (a 50 MB result on a
   * 256 MiB node heap used to end in OutOfMemoryError while it was being encoded).
   *
   * @throws TooLargeException when the value needs more than {@code maxBytes}
   * @throws IllegalArgumentException naming the value's class when it cannot be serialized
   */
  public byte[] encode(Object value, int maxBytes) {
    Objects.requireNonNull(value, "value");
    BoundedOutput out = new BoundedOutput(maxBytes);
    try {
      mapper.writeValue(out, value);
      return out.toByteArray();
    } catch (IOException | java.io.UncheckedIOException e) {
      for (Throwable t = e; t != null; t = t.getCause()) {
        if (t instanceof BoundedOutput.Overflow) {
          throw new TooLargeException(maxBytes);
        }
      }
      throw new IllegalArgumentException(
          "cannot serialize a " + value.getClass().getName() + ": " + e.getMessage(), e);
    }
  }

  /** A value that does not fit the bytes allowed to it. */
  public static final class TooLargeException extends RuntimeException {
    private final int limit;

    TooLargeException(int limit) {
      super("serialized, it is larger than the limit of " + limit + " bytes");
      this.limit = limit;
    }

    public int limit() {
      return limit;
    }
  }

  /** Collects bytes up to a limit, and throws {@link Overflow} at the first byte beyond it. */
  private static final class BoundedOutput extends java.io.ByteArrayOutputStream {
    static final class Overflow extends IOException {
      Overflow() {
        super("over the limit");
      }
    }

    private final int limit;

    BoundedOutput(int limit) {
      super(Math.min(limit, 8192));
      this.limit = limit;
    }

    @Override
    public synchronized void write(int b) {
      if (count + 1 > limit) {
        throw new OverflowUnchecked();
      }
      super.write(b);
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) {
      if (count + (long) len > limit) {
        throw new OverflowUnchecked();
      }
      super.write(b, off, len);
    }
  }

  /** ByteArrayOutputStream's writes may not throw IOException; this one carries the overflow out. */
  private static final class OverflowUnchecked extends java.io.UncheckedIOException {
    OverflowUnchecked() {
      super(new BoundedOutput.Overflow());
    }
  }

  /**
   * Serializes the inputs of a job of {@code type}, one per task.
   *
   * @throws IllegalArgumentException naming the input (by index) that is null or cannot be serialized
   */
  public List<byte[]> encodeInputs(TaskType<?, ?> type, List<?> inputs) {
    List<byte[]> encoded = new ArrayList<>(inputs.size());
    for (int i = 0; i < inputs.size(); i++) {
      Object input = inputs.get(i);
      if (input == null) {
        throw new IllegalArgumentException("input " + i + " of job of '" + type.name() + "' is null");
      }
      try {
        encoded.add(encode(input));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("input " + i + " of job of '" + type.name() + "': " + e.getMessage(), e);
      }
    }
    return encoded;
  }

  /** @throws IllegalArgumentException when the bytes are not a {@code type} */
  public <T> T decode(byte[] bytes, Class<T> type) {
    Objects.requireNonNull(bytes, "bytes");
    Objects.requireNonNull(type, "type");
    try {
      return mapper.readValue(bytes, type);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read a " + type.getName() + ": " + e.getMessage(), e);
    }
  }
}
