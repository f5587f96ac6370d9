package dev.tessera.work.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.runtime.data.DataRef;
import dev.tessera.runtime.job.PayloadCodec;
import java.util.List;
import org.junit.jupiter.api.Test;

class InputRefsTest {

  private final PayloadCodec codec = new PayloadCodec();

  record Block(DataRef<byte[]> a, DataRef<byte[]> b, int row) {}

  private static DataRef<byte[]> ref(String id, long size, String node) {
    return new DataRef<>(id, size, "crc32c:00000000",
        List.of(new DataRef.Holder(node, "127.0.0.1:1000")), null);
  }

  @Test
  void anInputPrefersTheNodeHoldingMostOfItsBytes() {
    Block block = new Block(ref("a-1", 3 << 20, "pekko://tessera@10.0.0.1:25520"),
        ref("b-1", 1 << 20, "pekko://tessera@10.0.0.2:25520"), 4);
    assertThat(InputRefs.preferredNode(codec.encode(block))).isEqualTo("pekko://tessera@10.0.0.1:25520");
    assertThat(InputRefs.preferredNode(codec.encode(List.of(block, ref("c", 5 << 20, "pekko://tessera@10.0.0.2:25520")))))
        .isEqualTo("pekko://tessera@10.0.0.2:25520");
  }

  @Test
  void inputsWithoutRefsOrWithLittleDataPreferNoNode() {
    assertThat(InputRefs.preferredNode(codec.encode(42))).isNull();
    assertThat(InputRefs.preferredNode(codec.encode("holders"))).isNull();
    assertThat(InputRefs.preferredNode(codec.encode(ref("small", 1000, "pekko://tessera@10.0.0.1:25520")))).isNull();
    assertThat(InputRefs.preferredNode(new byte[] {0x67, 'h', 'o', 'l', 'd', 'e', 'r', 's'})).isNull();
  }
}
