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
