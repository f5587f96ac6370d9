package dev.tessera.samples.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tessera.samples.pipeline.KmerTasks.CleanReads;
import dev.tessera.samples.pipeline.KmerTasks.FastqBatch;
import dev.tessera.samples.pipeline.KmerTasks.KmerSpectrum;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The pipeline's two stages and its generated reads, without the cluster. */
class KmerTasksTest {

  private static String record(String id, String bases, String quality) {
    return "@" + id + "\n" + bases + "\n+\n" + quality + "\n";
  }

  @Test
  void lowQualityEndsAreTrimmedAndReadsWithAnNOrTooShortAreDropped() {
    String good = "I".repeat(10); // Phred 40
    String fastq = record("r1", "ACGTACGTAC", good)
        + record("r2", "ACGTACGTAC", "IIIIIII###") // the last three below 20: trimmed to 7
        + record("r3", "ACGTNCGTAC", good) // an N: dropped
        + record("r4", "ACGTACGTAC", "IIII######"); // 4 bases left, under K: dropped
    CleanReads clean = KmerTasks.parseAndTrim(new FastqBatch(3, fastq));

    assertThat(clean.index()).isEqualTo(3);
    assertThat(clean.reads()).containsExactly("ACGTACGTAC", "ACGTACG");
    assertThat(clean.dropped()).isEqualTo(2);
    assertThat(clean.basesTrimmed()).isEqualTo(3 + 6);
  }

  @Test
  void textThatIsNotFastqIsAnErrorNamingTheBatchAndRead() {
    assertThatThrownBy(() -> KmerTasks.parseAndTrim(new FastqBatch(5, "@r1\nACGT\n+\nIII\n")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("batch 5, read r1: 4 bases but 3 quality scores");
    assertThatThrownBy(() -> KmerTasks.parseAndTrim(new FastqBatch(5, "@r1\nACGT\n+\n")))
        .hasMessageContaining("4 lines a read");
    assertThatThrownBy(() -> KmerTasks.parseAndTrim(new FastqBatch(5, "r1\nACGT\n+\nIIII\n")))
        .hasMessageContaining("line 1: not a FASTQ record");
    assertThatThrownBy(() -> KmerTasks.parseAndTrim(new FastqBatch(5, "@r1\nACXT\n+\nIIII\n")))
        .hasMessageContaining("'X' is not a base");
  }

  @Test
  void aReadAndItsReverseComplementHaveTheSameCanonicalSpectrum() {
    String read = "ACGGTCAATTGCCATAGGA";
    KmerSpectrum forward = KmerTasks.count(new CleanReads(0, List.of(read), 0, 0));
    KmerSpectrum backward = KmerTasks.count(new CleanReads(0, List.of(reverse(read)), 0, 0));

    assertThat(forward.counts()).isEqualTo(backward.counts());
    assertThat(java.util.Arrays.stream(forward.counts()).sum()).isEqualTo(read.length() - KmerTasks.K + 1);
    // ACGGTC's reverse complement is GACCGT; ACGGTC is the smaller, so it is counted under its own code.
    int acggtc = Integer.parseInt("012231", 4);
    assertThat(KmerTasks.decode(acggtc)).isEqualTo("ACGGTC");
    assertThat(forward.counts()[acggtc]).isEqualTo(1);
    assertThat(forward.counts()[Integer.parseInt("201123", 4)]).isZero(); // GACCGT: not canonical
  }

  @Test
  void aBatchIsTheSameWhateverElseIsGeneratedAndBatchesDiffer() {
    SequencingRun run = new SequencingRun(5_000, 100, 50, 20, 9);
    String genome = run.genome();
    FastqBatch seventh = run.batch(genome, 7);
    List<FastqBatch> all = new java.util.ArrayList<>();
    run.batches(genome).forEachRemaining(all::add);

    assertThat(all).hasSize(20);
    assertThat(all.get(7)).isEqualTo(seventh);
    assertThat(all.get(8).text()).isNotEqualTo(seventh.text());
    CleanReads clean = KmerTasks.parseAndTrim(seventh);
    assertThat(clean.reads().size() + clean.dropped()).isEqualTo(50);
  }

  @Test
  void mostReadsAreFoundInTheGenomeOnOneStrandOrTheOther() {
    SequencingRun run = new SequencingRun(20_000, 60, 200, 1, 4);
    String genome = run.genome();
    CleanReads clean = KmerTasks.parseAndTrim(run.batch(genome, 0));
    long exact = clean.reads().stream().filter(read -> genome.contains(read) || genome.contains(reverse(read))).count();
    // 1 % substitutions over ~60 bases: about half the reads carry none.
    assertThat(exact).isGreaterThan(clean.reads().size() / 4);
    assertThat(exact).isLessThan(clean.reads().size());
  }

  private static String reverse(String read) {
    StringBuilder out = new StringBuilder();
    for (int i = read.length() - 1; i >= 0; i--) {
      out.append(KmerTasks.complement(read.charAt(i)));
    }
    return out.toString();
  }
}
