package dev.tessera.work.worker.isolation;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The protocol between a node and its isolated child JVM: binary frames on the child's standard
 * input (node to child) and standard output (child to node). Requests carry an id, so many tasks
 * share one pair of pipes and their answers come back in any order.
 *
 * <p>A frame is {@code MAGIC, length, body}, the body a kind byte and its fields. The magic number
 * makes stray bytes on the child's standard output (native code printing there, which Java cannot
 * redirect) a {@link ProtocolException} instead of a misread result.
 *
 * <p>Thread safety: the records are immutable; {@link #write} and {@link #read} are not
 * synchronized, so each stream needs one writer (or a lock) and one reader.
 */
final class Frames {

  /** "TSRA": Tessera, remote, answer or ask. */
  static final int MAGIC = 0x54535241;

  private static final byte RUN = 1;
  private static final byte CANCEL = 2;
  private static final byte READY = 3;
  private static final byte SUCCEEDED = 4;
  private static final byte FAILED = 5;

  /** A frame of the protocol. */
  sealed interface Frame permits Run, Cancel, Ready, Succeeded, Failed {}

  /** Node to child: run a task of the named type on the encoded input. */
  record Run(long id, String taskType, byte[] input) implements Frame {}

  /** Node to child: interrupt the handler of the task, if it still runs. It answers as usual. */
  record Cancel(long id) implements Frame {}

  /**
   * Child to node, once, before any answer: the task libraries are loaded.
   *
   * @param taskTypes the types the child can run
   * @param unavailable why libraries could not register here (each a sentence naming the library)
   */
  record Ready(List<String> taskTypes, List<String> unavailable) implements Frame {}

  /** Child to node: the task's encoded result. */
  record Succeeded(long id, byte[] output) implements Frame {}

  /** Child to node: the task failed (threw, returned nothing usable, or has no handler here). */
  record Failed(long id, String cause, boolean retryable) implements Frame {}

  /** Bytes that break the protocol: the stream can no longer be trusted. */
  static final class ProtocolException extends IOException {
    private final byte[] stray;

    ProtocolException(String message) {
      this(message, new byte[0]);
    }

    ProtocolException(String message, byte[] stray) {
      super(message);
      this.stray = stray.clone();
    }

    /** The bytes read where a frame should have begun: the start of whatever was printed there. */
    byte[] stray() {
      return stray.clone();
    }
  }

  private Frames() {}

  /** Writes one frame (not flushed). */
  static void write(DataOutputStream out, Frame frame) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(frame instanceof Run r ? r.input().length + 64 : 64);
    DataOutputStream body = new DataOutputStream(bytes);
    if (frame instanceof Run r) {
      body.writeByte(RUN);
      body.writeLong(r.id());
      writeString(body, r.taskType());
      writeBytes(body, r.input());
    } else if (frame instanceof Cancel c) {
      body.writeByte(CANCEL);
      body.writeLong(c.id());
    } else if (frame instanceof Ready r) {
      body.writeByte(READY);
      writeStrings(body, r.taskTypes());
      writeStrings(body, r.unavailable());
    } else if (frame instanceof Succeeded s) {
      body.writeByte(SUCCEEDED);
      body.writeLong(s.id());
      writeBytes(body, s.output());
    } else if (frame instanceof Failed f) {
      body.writeByte(FAILED);
      body.writeLong(f.id());
      writeString(body, f.cause());
      body.writeBoolean(f.retryable());
    }
    out.writeInt(MAGIC);
    out.writeInt(bytes.size());
    bytes.writeTo(out);
  }

  /**
   * Reads the next frame.
   *
   * @param maxLength a longer frame is a protocol error (a corrupt length must not allocate gigabytes)
   * @return null at the end of the stream, between frames
   * @throws ProtocolException on a wrong magic number, length or kind
   * @throws EOFException when the stream ends inside a frame
   */
  static Frame read(DataInputStream in, int maxLength) throws IOException {
    int first = in.read();
    if (first < 0) {
      return null;
    }
    int magic = (first << 24) | (in.readUnsignedByte() << 16) | (in.readUnsignedShort());
    if (magic != MAGIC) {
      throw new ProtocolException(String.format("expected a frame, read bytes 0x%08x", magic),
          new byte[] {(byte) (magic >>> 24), (byte) (magic >>> 16), (byte) (magic >>> 8), (byte) magic});
    }
    int length = in.readInt();
    if (length < 1 || length > maxLength) {
      throw new ProtocolException("frame of " + length + " bytes, outside 1.." + maxLength);
    }
    byte[] body = new byte[length];
    in.readFully(body);
    DataInputStream fields = new DataInputStream(new ByteArrayInputStream(body));
    byte kind = fields.readByte();
    return switch (kind) {
      case RUN -> new Run(fields.readLong(), readString(fields), readBytes(fields));
      case CANCEL -> new Cancel(fields.readLong());
      case READY -> new Ready(readStrings(fields), readStrings(fields));
      case SUCCEEDED -> new Succeeded(fields.readLong(), readBytes(fields));
      case FAILED -> new Failed(fields.readLong(), readString(fields), fields.readBoolean());
      default -> throw new ProtocolException("unknown frame kind " + kind);
    };
  }

  private static void writeBytes(DataOutputStream out, byte[] bytes) throws IOException {
    out.writeInt(bytes.length);
    out.write(bytes);
  }

  private static byte[] readBytes(DataInputStream in) throws IOException {
    int length = in.readInt();
    if (length < 0 || length > in.available()) {
      throw new ProtocolException("field of " + length + " bytes in a frame with " + in.available() + " left");
    }
    byte[] bytes = new byte[length];
    in.readFully(bytes);
    return bytes;
  }

  /** UTF-8 with an int length: {@code writeUTF} stops at 64 KiB, a stack trace may not. */
  private static void writeString(DataOutputStream out, String text) throws IOException {
    writeBytes(out, text.getBytes(StandardCharsets.UTF_8));
  }

  private static String readString(DataInputStream in) throws IOException {
    return new String(readBytes(in), StandardCharsets.UTF_8);
  }

  private static void writeStrings(DataOutputStream out, List<String> texts) throws IOException {
    out.writeInt(texts.size());
    for (String text : texts) {
      writeString(out, text);
    }
  }

  private static List<String> readStrings(DataInputStream in) throws IOException {
    int count = in.readInt();
    if (count < 0 || count > in.available()) {
      throw new ProtocolException("list of " + count + " strings in a frame with " + in.available() + " bytes left");
    }
    List<String> texts = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      texts.add(readString(in));
    }
    return List.copyOf(texts);
  }
}
