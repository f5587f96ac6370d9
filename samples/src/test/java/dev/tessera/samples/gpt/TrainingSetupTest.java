package dev.tessera.samples.gpt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TrainingSetupTest {

  private static final TrainingSetup SETUP = new TrainingSetup(TrainingSetup.model(32, 2), 1, 96, 6, 3e-3f, 0f);

  @Test
  void eachStepDrawsFreshSumsNotTheStepBeforesAgain() {
    // Sums (a, b) drawn uniformly: two batches of 96 share about one by chance (96 * 96 / 9000).
    for (long step = 1; step < 50; step++) {
      Set<String> these = sums(SETUP.batch(step));
      Set<String> next = sums(SETUP.batch(step + 1));
      next.retainAll(these);
      assertThat(next).as("sums of step %d drawn again at step %d", step, step + 1).hasSizeLessThan(8);
    }
  }

  @Test
  void aStepsBatchIsTheSameEveryTimeAndItsShardsAreItsPiecesInOrder() {
    ArithmeticCorpus.Batch whole = SETUP.batch(7);
    assertThat(SETUP.batch(7).inputs()).isDeepEqualTo(whole.inputs());
    int[][] joined = new int[0][];
    for (int shard = 0; shard < SETUP.shards(); shard++) {
      ArithmeticCorpus.Batch piece = SETUP.shard(7, shard);
      assertThat(piece.inputs()).hasNumberOfRows(SETUP.batch() / SETUP.shards());
      int[][] grown = Arrays.copyOf(joined, joined.length + piece.inputs().length);
      System.arraycopy(piece.inputs(), 0, grown, joined.length, piece.inputs().length);
      joined = grown;
    }
    assertThat(joined).isDeepEqualTo(whole.inputs());
  }

  @Test
  void setupsThatCannotWorkAreRefused() {
    assertThatThrownBy(() -> new TrainingSetup(SETUP.config(), 1, 4, 6, 3e-3f, 0f))
        .hasMessageContaining("one example per shard");
    assertThatThrownBy(() -> new TrainingSetup(SETUP.config(), 1, 96, 6, 0f, 0f)).hasMessageContaining("learning rate");
    assertThatThrownBy(() -> TrainingSetup.model(40, 2)).hasMessageContaining("multiple of 16");
    assertThatThrownBy(() -> SETUP.batch(0)).hasMessageContaining("steps count from 1");
  }

  private static Set<String> sums(ArithmeticCorpus.Batch batch) {
    Set<String> sums = new HashSet<>();
    CharTokenizer tokens = new ArithmeticCorpus().tokenizer();
    for (int[] input : batch.inputs()) {
      sums.add(tokens.decode(Arrays.copyOf(input, 5)));
    }
    return sums;
  }
}
