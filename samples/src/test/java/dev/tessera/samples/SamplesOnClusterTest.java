package dev.tessera.samples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.runtime.data.DataStore;
import dev.tessera.runtime.job.JobOptions;
import dev.tessera.samples.launch.SampleCluster;
import dev.tessera.samples.matmul.MatrixMultiply;
import dev.tessera.samples.matmul.MatrixTasks;
import dev.tessera.samples.montecarlo.MonteCarloPi;
import dev.tessera.samples.montecarlo.MonteCarloTasks;
import dev.tessera.samples.montecarlo.PiEstimate;
import dev.tessera.samples.pipeline.KmerPipeline;
import dev.tessera.samples.pipeline.KmerTasks;
import dev.tessera.samples.pipeline.SequencingRun;
import dev.tessera.samples.wordcount.Corpus;
import dev.tessera.samples.wordcount.WordCount;
import dev.tessera.samples.wordcount.WordCountTasks;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every sample, run small on one local cluster of two node processes (started once for the class,
 * as {@code bin/sample} starts them), each answer checked against the same computation done here
 * without the cluster.
 */
class SamplesOnClusterTest {

  @TempDir
  static Path workDir;

  private static SampleCluster cluster;
  private static final ByteArrayOutputStream printed = new ByteArrayOutputStream();
  private static final PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8);

  @BeforeAll
  static void startCluster() throws Exception {
    // Node 1 counts k-mers, node 2 parses: the pipeline's stages on nodes of their own roles.
    cluster = SampleCluster.local(2, node -> List.of(node == 1 ? KmerPipeline.COUNT_ROLE : KmerPipeline.PARSE_ROLE),
        workDir.resolve("cluster"), out);
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void monteCarloPiCountsExactlyTheHitsOfItsBatchesAndLandsNearPi() throws Exception {
    long darts = 8_000_000;
    long batch = 500_000;
    PiEstimate estimate = MonteCarloPi.run(cluster.system(), darts, batch, 7, out);

    long expectedHits = MonteCarloPi.batches(darts, batch, 7).stream().mapToLong(MonteCarloTasks::countHits).sum();
    assertThat(estimate.hits()).isEqualTo(expectedHits);
    assertThat(estimate.samples()).isEqualTo(darts);
    assertThat(estimate.error()).isLessThan(5 * estimate.standardError());
    assertThat(printed.toString(StandardCharsets.UTF_8)).contains("pi: 16 tasks in");
  }

  @Test
  void wordCountEqualsCountingEveryFileHere() throws Exception {
    Path corpus = workDir.resolve("corpus");
    Corpus.generate(corpus, 12, 8_000, 5);
    List<WordCountTasks.TextChunk> chunks = WordCount.chunks(corpus);
    assertThat(chunks.size()).isGreaterThan(12); // files of ~50 kB: each is cut in two

    WordCount.Result result = WordCount.run(cluster.system(), chunks, out);

    Map<String, Long> expected = new HashMap<>();
    try (Stream<Path> files = Files.list(corpus)) {
      for (Path file : files.toList()) {
        WordCountTasks.count(Files.readString(file)).counts().forEach((word, n) -> expected.merge(word, n, Long::sum));
      }
    }
    assertThat(result.counts()).isEqualTo(expected);
    assertThat(result.words()).isEqualTo(12 * 8_000);
    assertThat(result.files()).isEqualTo(12);
  }

  @Test
  void matrixMultiplyPutsEveryBlockInPlaceWithinRoundingBounds() throws Exception {
    // Sizes that are not multiples of the block: edge blocks are smaller.
    MatrixTasks.Problem problem = new MatrixTasks.Problem(3, 300, 257, 200);
    MatrixMultiply.Result result = MatrixMultiply.run(cluster.system(), problem, new MatrixMultiply.Blocking(128, 96),
        JobOptions.defaults(), out);

    assertThat(MatrixMultiply.worstError(problem, result.c())).isLessThanOrEqualTo(1.0);
    assertThat(result.blocksByBackend().values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(3 * 3);
    assertThat(result.gflops()).isPositive();
    // The panels were released, and the blocks' stored copies dropped once placed.
    long deadline = System.nanoTime() + java.time.Duration.ofSeconds(10).toNanos();
    while (DataStore.get(cluster.system()).objects() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(DataStore.get(cluster.system()).objects()).isZero();
  }

  @Test
  void theKmerPipelinesSpectrumEqualsRunningBothStagesHere() throws Exception {
    SequencingRun run = new SequencingRun(50_000, 100, 100, 40, 3);
    KmerPipeline.Result result = KmerPipeline.run(cluster.system(), run, 4, out);

    long[] expected = new long[1 << (2 * KmerTasks.K)];
    long reads = 0;
    long dropped = 0;
    long trimmed = 0;
    String genome = run.genome();
    for (int i = 0; i < run.batches(); i++) {
      KmerTasks.KmerSpectrum spectrum = KmerTasks.count(KmerTasks.parseAndTrim(run.batch(genome, i)));
      for (int code = 0; code < expected.length; code++) {
        expected[code] += spectrum.counts()[code];
      }
      reads += spectrum.reads();
      dropped += spectrum.dropped();
      trimmed += spectrum.basesTrimmed();
    }
    assertThat(result.counts()).isEqualTo(expected);
    assertThat(result.reads()).isEqualTo(reads);
    assertThat(result.reads() + result.dropped()).isEqualTo(40 * 100);
    assertThat(result.dropped()).isEqualTo(dropped);
    assertThat(result.basesTrimmed()).isEqualTo(trimmed).isPositive();
    // Backpressure: never more in flight than the two stages may hold.
    assertThat(result.maxInPipeline()).isBetween(1L, 2L * 4);
  }

  @Test
  void aPipelineStageWhoseRoleNoNodeHasIsRefusedAtOnce() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> KmerPipeline.requireRoles(cluster.system(), "kmer-nowhere"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("no node of the cluster has role 'kmer-nowhere'");
  }
}
