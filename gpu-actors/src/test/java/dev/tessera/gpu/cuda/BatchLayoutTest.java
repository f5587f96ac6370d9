package dev.tessera.gpu.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BatchLayoutTest {

  @Test
  void buffersStartOn256ByteBoundariesAndNeverOverlap() {
    BatchLayout layout = new BatchLayout();

    BatchLayout.Region a = layout.upload(new float[17], false);
    BatchLayout.Region b = layout.add(8, null, true);
    BatchLayout.Region c = layout.upload(new float[64], true);
    BatchLayout.Region d = layout.add(4, null, true);

    assertThat(a.offset()).isZero();
    assertThat(b.offset()).isEqualTo(256);
    assertThat(c.offset()).isEqualTo(512);
    assertThat(d.offset()).isEqualTo(768);
    assertThat(layout.total()).isEqualTo(772);
    for (BatchLayout.Region region : layout.regions()) {
      assertThat(region.offset() % BatchLayout.ALIGNMENT).isZero();
    }
    assertThat(a.bytes()).isEqualTo(68);
    assertThat(c.download()).isTrue();
  }
}
