package dev.tessera.work.worker.isolation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class FramesTest {

  @Test
  void framesReadBackAsWrittenAndTheStreamEndsBetweenThem() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    Frames.write(out, new Frames.Run(7, "square", new byte[] {1, 2, 3}));
    Frames.write(out, new Frames.Cancel(7));
    Frames.write(out, new Frames.Ready(List.of("square", "cube"), List.of("a reason")));
    Frames.write(out, new Frames.Succeeded(8, new byte[] {4}));
    Frames.write(out, new Frames.Failed(9, "é".repeat(40_000), false));
    DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes.toByteArray()));

    Frames.Run run = (Frames.Run) Frames.read(in, 1 << 20);
    assertThat(run.id()).isEqualTo(7);
    assertThat(run.taskType()).isEqualTo("square");
    assertThat(run.input()).containsExactly(1, 2, 3);
    assertThat(Frames.read(in, 1 << 20)).isEqualTo(new Frames.Cancel(7));
    assertThat(Frames.read(in, 1 << 20)).isEqualTo(new Frames.Ready(List.of("square", "cube"), List.of("a reason")));
    assertThat(((Frames.Succeeded) Frames.read(in, 1 << 20)).output()).containsExactly(4);
    assertThat(Frames.read(in, 1 << 20)).isEqualTo(new Frames.Failed(9, "é".repeat(40_000), false));
    assertThat(Frames.read(in, 1 << 20)).isNull();
  }

  @Test
  void printedTextWhereAFrameShouldBeIsAProtocolErrorKeepingItsFirstBytes() {
    DataInputStream in = new DataInputStream(new ByteArrayInputStream("#\n# A fatal error".getBytes(StandardCharsets.UTF_8)));

    assertThatThrownBy(() -> Frames.read(in, 1 << 20))
        .isInstanceOfSatisfying(Frames.ProtocolException.class,
            e -> assertThat(new String(e.stray(), StandardCharsets.UTF_8)).isEqualTo("#\n# "))
        .hasMessage("expected a frame, read bytes 0x230a2320");
  }

  @Test
  void aFrameLongerThanTheLimitIsAProtocolError() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    Frames.write(new DataOutputStream(bytes), new Frames.Succeeded(1, new byte[100]));

    assertThatThrownBy(() -> Frames.read(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())), 50))
        .isInstanceOf(Frames.ProtocolException.class)
        .hasMessageStartingWith("frame of 113 bytes, outside 1..50");
  }
}
