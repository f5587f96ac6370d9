package dev.tessera.runtime.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The transfer between two stores' client and servers, without actor systems: what the wire
 * protocol promises when a holder is lost mid-object.
 */
class DataClientTest {

  @TempDir Path dir;

  static DataSettings settings(Path directory, int chunkSize) {
    return new DataSettings("127.0.0.1", "127.0.0.1", 0, 1 << 20, 1L << 30, directory, chunkSize,
        Duration.ofSeconds(5), Duration.ofSeconds(5), 3, 4, 0);
  }

  /** A server over one store: serves what the store holds. */
  static DataServer serve(DataSettings settings, ObjectStore store) throws IOException {
    return new DataServer(settings, new DataServer.Requests() {
      @Override
      public ObjectStore.Entry lookup(String id) {
        return store.lookup(id);
      }

      @Override
      public ObjectStore.Reading open(ObjectStore.Entry entry) {
        return store.open(entry);
      }

      @Override
      public boolean release(String id) {
        return store.release(id);
      }

      @Override
      public void pull(byte[] refJson) {
        throw new UnsupportedOperationException("not in this test");
      }
    }, null);
  }

  @Test
  void aReadThatLosesItsHolderMidObjectResumesAtTheRightByteFromAHolderWithOtherChunks() throws Exception {
    byte[] bytes = new byte[1 << 20];
    new Random(7).nextBytes(bytes);
    // The first holder cuts its object into 40 KiB chunks and its file ends after 120 KiB (three
    // chunks): it closes the connection there. The second cuts it into 64 KiB chunks, so the read
    // resumes inside its second chunk.
    DataSettings cutSettings = settings(dir.resolve("cut"), 40 << 10);
    DataSettings wholeSettings = settings(dir.resolve("whole"), 64 << 10);
    try (ObjectStore cut = new ObjectStore(cutSettings, dir.resolve("cut"));
        ObjectStore whole = new ObjectStore(wholeSettings, dir.resolve("whole"));
        DataServer cutServer = serve(cutSettings, cut);
        DataServer wholeServer = serve(wholeSettings, whole)) {
      ObjectStore.Entry cutEntry = cut.put("obj-1", ByteBuffer.wrap(bytes), null); // over a quarter of memory: a file
      whole.put("obj-1", ByteBuffer.wrap(bytes), null);
      try (FileChannel file = FileChannel.open(cutEntry.file, StandardOpenOption.WRITE)) {
        file.truncate(120 << 10);
      }
      DataRef<byte[]> ref = new DataRef<>("obj-1", bytes.length, "crc32c:any", List.of(
          new DataRef.Holder("cut", "127.0.0.1:" + cutServer.port()),
          new DataRef.Holder("whole", "127.0.0.1:" + wholeServer.port())), null);
      ByteArrayOutputStream received = new ByteArrayOutputStream();

      new DataClient(wholeSettings, null).fetch(ref, chunk -> {
        byte[] part = new byte[chunk.remaining()];
        chunk.get(part);
        received.writeBytes(part);
      });

      byte[] read = received.toByteArray();
      assertThat(read).hasSize(bytes.length);
      assertThat(Arrays.mismatch(read, bytes)).as("the first byte read wrong").isEqualTo(-1);
    }
  }
}
