package dev.tessera.runtime.data;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Where a task's result is serialized when its size is not known beforehand: into heap chunks of
 * 1 MiB while it stays within {@code memoryBytes}, and from the byte that passes them on into a
 * file (the chunks written so far go there first). A result that fits memory is then stored with
 * one copy into the store's memory and never touches a file (writing it to the page cache and
 * reading it back for its CRCs cost more than the copy); a larger one never sits whole on the heap.
 *
 * <p>Thread safety: one thread.
 */
final class ResultOutput extends OutputStream {

  private static final int CHUNK = 1 << 20;

  private final long memoryBytes;
  private final Path file;
  private final List<byte[]> chunks = new ArrayList<>();
  private byte[] current;
  private int used;
  private long size;
  private OutputStream fileOut;

  /**
   * @param memoryBytes how many bytes may be kept on the heap before the result goes to {@code file}
   * @param file created (it must not exist) only if the result passes {@code memoryBytes}
   */
  ResultOutput(long memoryBytes, Path file) {
    this.memoryBytes = memoryBytes;
    this.file = file;
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] bytes, int offset, int length) throws IOException {
    if (fileOut == null && size + length > memoryBytes) {
      toFile();
    }
    size += length;
    if (fileOut != null) {
      fileOut.write(bytes, offset, length);
      return;
    }
    while (length > 0) {
      if (current == null || used == current.length) {
        current = new byte[(int) Math.max(1, Math.min(CHUNK, memoryBytes))];
        chunks.add(current);
        used = 0;
      }
      int n = Math.min(length, current.length - used);
      System.arraycopy(bytes, offset, current, used, n);
      used += n;
      offset += n;
      length -= n;
    }
  }

  private void toFile() throws IOException {
    fileOut = new BufferedOutputStream(Files.newOutputStream(file, StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE), CHUNK);
    for (int i = 0; i < chunks.size(); i++) {
      byte[] chunk = chunks.get(i);
      fileOut.write(chunk, 0, i == chunks.size() - 1 ? used : chunk.length);
    }
    chunks.clear();
    current = null;
  }

  /** True when the result went to the file: adopt it from there. */
  boolean inFile() {
    return fileOut != null;
  }

  /** The bytes written. */
  long size() {
    return size;
  }

  /** Hands the bytes kept in memory to {@code writer}, in order (when not {@link #inFile}). */
  void copyTo(ObjectStore.Writer writer) {
    for (int i = 0; i < chunks.size(); i++) {
      byte[] chunk = chunks.get(i);
      writer.write(ByteBuffer.wrap(chunk, 0, i == chunks.size() - 1 ? used : chunk.length));
    }
  }

  @Override
  public void flush() throws IOException {
    if (fileOut != null) {
      fileOut.flush();
    }
  }

  @Override
  public void close() throws IOException {
    if (fileOut != null) {
      fileOut.close();
    }
  }
}
