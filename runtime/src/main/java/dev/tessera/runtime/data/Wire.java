package dev.tessera.runtime.data;

import java.io.IOException;
import java.net.ProtocolException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The object stores' wire format, one request per connection. A request is the magic number, an
 * operation, the object's id, a byte offset and a payload; the answer starts with a status byte.
 *
 * <pre>
 * request:  int MAGIC, byte op, short idLength, id (UTF-8), long offset, int payloadLength, payload
 * GET ok:   byte OK, long size, int chunkSize, int chunks, then from the chunk holding offset, in
 *           groups of {@link #CRC_GROUP} chunks: the group's int crc32c values, then its bytes
 * other ok: byte OK
 * refused:  byte status (UNKNOWN or FAILED), short length, message (UTF-8)
 * </pre>
 *
 * <p>A GET resumes at a byte offset, not a chunk number, so that a reader that switches holders
 * mid-object (the first one lost) resumes at the right byte even if their chunk sizes differ. The
 * CRCs come a group at a time ahead of their chunks, so that the holder sends a group's bytes in
 * one {@code sendfile} (64 MiB at the default chunk size) instead of a 4-byte write and a send per
 * chunk, while the reader still checks each chunk as it arrives and keeps only a group's CRCs.
 *
 * <p>The magic number names the version: a node of another version answers nothing and is left
 * as a failed holder, never misread.
 */
final class Wire {

  static final int MAGIC = 0x54534432; // "TSD2"

  /** Chunks whose CRCs travel together ahead of their bytes. */
  static final int CRC_GROUP = 64;

  /** Send the object's chunks from the one holding the offset on. */
  static final byte GET = 1;
  /** Free the object on this node. */
  static final byte RELEASE = 2;
  /** Fetch the object (the payload: its ref, JSON) from its holders and keep it: become a replica. */
  static final byte PULL = 3;

  static final byte OK = 0;
  static final byte UNKNOWN = 1;
  static final byte FAILED = 2;

  private Wire() {}

  record Request(byte op, String id, long offset, byte[] payload) {}

  static ByteBuffer request(byte op, String id, long offset, byte[] payload) {
    byte[] name = id.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(4 + 1 + 2 + name.length + 8 + 4 + payload.length);
    b.putInt(MAGIC).put(op).putShort((short) name.length).put(name).putLong(offset).putInt(payload.length)
        .put(payload);
    return b.flip();
  }

  static Request readRequest(Link link) throws IOException {
    ByteBuffer head = ByteBuffer.allocate(7);
    link.readFully(head);
    head.flip();
    if (head.getInt() != MAGIC) {
      throw new ProtocolException("not an object store request");
    }
    byte op = head.get();
    int nameLength = head.getShort() & 0xffff;
    if (nameLength > 1024) {
      throw new ProtocolException("object id of " + nameLength + " bytes");
    }
    ByteBuffer rest = ByteBuffer.allocate(nameLength + 12);
    link.readFully(rest);
    rest.flip();
    byte[] name = new byte[nameLength];
    rest.get(name);
    long offset = rest.getLong();
    int payloadLength = rest.getInt();
    if (offset < 0) {
      throw new ProtocolException("offset " + offset);
    }
    if (payloadLength < 0 || payloadLength > 1 << 20) {
      throw new ProtocolException("payload of " + payloadLength + " bytes");
    }
    ByteBuffer payload = ByteBuffer.allocate(payloadLength);
    link.readFully(payload);
    return new Request(op, new String(name, StandardCharsets.UTF_8), offset, payload.array());
  }

  static ByteBuffer refusal(byte status, String message) {
    byte[] text = message.getBytes(StandardCharsets.UTF_8);
    int length = Math.min(text.length, 8192);
    return ByteBuffer.allocate(3 + length).put(status).putShort((short) length).put(text, 0, length).flip();
  }

  /** Reads a refusal's message, after its status byte. */
  static String readMessage(Link link) throws IOException {
    ByteBuffer length = ByteBuffer.allocate(2);
    link.readFully(length);
    ByteBuffer text = ByteBuffer.allocate(length.flip().getShort() & 0xffff);
    link.readFully(text);
    return new String(text.array(), StandardCharsets.UTF_8);
  }
}
