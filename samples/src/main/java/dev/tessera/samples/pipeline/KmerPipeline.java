package dev.tessera.samples.pipeline;

import dev.tessera.runtime.job.JobOptions;
import dev.tessera.samples.launch.ClusterOptions;
import dev.tessera.samples.launch.JobProgressBar;
import dev.tessera.samples.launch.SampleCluster;
import dev.tessera.work.Pipeline;
import dev.tessera.work.PipelineHandle;
import dev.tessera.work.PipelineProgress;
import dev.tessera.work.PipelineResult;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * A pipeline of two stages, each on nodes of its own role: FASTQ batches of generated DNA reads are
 * parsed and quality-trimmed on the {@value #PARSE_ROLE} nodes, their k-mers counted on the {@value
 * #COUNT_ROLE} nodes, and the spectra summed here as they arrive. Each stage holds at most {@code
 * --stage-capacity} batches, so when counting is the slower stage, parsing waits for room and the
 * source is read only as fast as the batches get through: backpressure, shown live and summed up at
 * the end.
 *
 * <pre>bin/sample kmers                          # 3 local nodes: 1 parses, 2 count
 * bin/sample kmers --seeds 192.168.1.10:25520 --host 192.168.1.20   # your nodes with roles kmer-parse, kmer-count</pre>
 */
@Command(name = "kmers", mixinStandardHelpOptions = true,
    description = "A two-stage pipeline on nodes of their own roles: parse and trim DNA reads, count their k-mers.")
public final class KmerPipeline implements Callable<Integer> {

  /** Nodes that parse and trim. */
  public static final String PARSE_ROLE = "kmer-parse";
  /** Nodes that count k-mers. */
  public static final String COUNT_ROLE = "kmer-count";

  @Mixin
  ClusterOptions cluster;

  @Option(names = "--batches", paramLabel = "N", defaultValue = "600",
      description = "FASTQ batches to put through (default: ${DEFAULT-VALUE})")
  int batches;

  @Option(names = "--reads-per-batch", paramLabel = "N", defaultValue = "400",
      description = "reads in a batch (default: ${DEFAULT-VALUE})")
  int readsPerBatch;

  @Option(names = "--read-length", paramLabel = "N", defaultValue = "150",
      description = "bases per read (default: ${DEFAULT-VALUE})")
  int readLength;

  @Option(names = "--genome", paramLabel = "N", defaultValue = "1000000",
      description = "bases of the generated genome (default: ${DEFAULT-VALUE})")
  int genomeLength;

  @Option(names = "--seed", paramLabel = "S", defaultValue = "1", description = "the run's seed (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--stage-capacity", paramLabel = "N", defaultValue = "8",
      description = "batches a stage may hold at once (default: ${DEFAULT-VALUE})")
  int stageCapacity;

  @Override
  public Integer call() throws Exception {
    SequencingRun run = new SequencingRun(genomeLength, readLength, readsPerBatch, batches, seed);
    PrintStream out = System.out;
    // Local nodes: node 1 counts, the others parse, so counting is the narrower stage; one node does both.
    int nodes = cluster.localNodes();
    try (SampleCluster running = cluster.open("kmers", out,
        node -> nodes == 1 ? List.of(PARSE_ROLE, COUNT_ROLE) : List.of(node == 1 ? COUNT_ROLE : PARSE_ROLE))) {
      Result result = run(running.system(), run, stageCapacity, out);
      out.print(result.summary());
    }
    return 0;
  }

  /**
   * What came out of the pipeline.
   *
   * @param counts the summed spectrum, by canonical k-mer code
   * @param maxInPipeline the most batches that were ever in the pipeline at once
   * @param parseWaitingShare of the progress samples taken while it ran, the share in which the
   *     parse stage held finished batches waiting for room in the count stage
   */
  public record Result(SequencingRun run, long reads, long bases, long dropped, long basesTrimmed, long[] counts,
      long maxInPipeline, int stageCapacity, double parseWaitingShare, double seconds) {

    /** The canonical k-mers, most frequent first. */
    public List<Integer> mostFrequent(int n) {
      return IntStream.range(0, counts.length).filter(code -> counts[code] > 0).boxed()
          .sorted(Comparator.comparingLong((Integer code) -> -counts[code]).thenComparing(code -> code))
          .limit(n).toList();
    }

    public String summary() {
      StringBuilder text = new StringBuilder();
      text.append(String.format("kmers: %d batches, %d reads through parse -> count in %.1f s (%.0f reads/s)%n",
          run.batches(), (long) run.batches() * run.readsPerBatch(), seconds, run.batches() * run.readsPerBatch() / seconds));
      text.append(String.format("kmers: %d reads kept (%d bases), %d dropped (an N, or too short once trimmed),"
          + " %d low-quality bases trimmed%n", reads, bases, dropped, basesTrimmed));
      long kmers = java.util.Arrays.stream(counts).sum();
      long gc = 0;
      for (int code = 0; code < counts.length; code++) {
        String kmer = KmerTasks.decode(code);
        gc += counts[code] * kmer.chars().filter(c -> c == 'G' || c == 'C').count();
      }
      text.append(String.format("kmers: %d canonical %d-mers counted, %d distinct; GC content %.1f %%%n", kmers,
          KmerTasks.K, java.util.Arrays.stream(counts).filter(c -> c > 0).count(), 100.0 * gc / Math.max(1, kmers * KmerTasks.K)));
      List<String> top = new ArrayList<>();
      for (int code : mostFrequent(5)) {
        top.add(KmerTasks.decode(code) + " " + counts[code]);
      }
      text.append("kmers: most frequent: ").append(String.join(", ", top)).append('\n');
      text.append(String.format("kmers: backpressure: at most %d batches in the pipeline at once (2 stages x capacity %d),"
          + " of %d; parsing waited for room in counting in %.0f %% of the samples%n", maxInPipeline, stageCapacity,
          run.batches(), 100 * parseWaitingShare));
      return text.toString();
    }
  }

  /**
   * Runs the pipeline on the cluster of {@code system}, whose nodes must include some with role
   * {@link #PARSE_ROLE} and some with {@link #COUNT_ROLE}.
   *
   * @throws IllegalStateException if a stage's role is on no node, or batches failed
   */
  public static Result run(ActorSystem<?> system, SequencingRun run, int stageCapacity, PrintStream out) throws Exception {
    requireRoles(system, PARSE_ROLE, COUNT_ROLE);
    String genome = run.genome();
    Pipeline<KmerTasks.FastqBatch, KmerTasks.KmerSpectrum> pipeline = Pipeline
        .of(KmerTasks.PARSE_AND_TRIM, JobOptions.defaults().withRequiredRole(PARSE_ROLE))
        .then(KmerTasks.COUNT, JobOptions.defaults().withRequiredRole(COUNT_ROLE))
        .withStageCapacity(stageCapacity);
    long[] counts = new long[1 << (2 * KmerTasks.K)];
    long[] totals = new long[4]; // reads, bases, dropped, trimmed: written by the sink, one call at a time
    AtomicLong delivered = new AtomicLong();
    long started = System.nanoTime();
    PipelineHandle handle = pipeline.run(system, run.batches(genome), (spectrum, item) -> {
      int[] batch = spectrum.counts();
      for (int code = 0; code < batch.length; code++) {
        counts[code] += batch[code];
      }
      totals[0] += spectrum.reads();
      totals[1] += spectrum.bases();
      totals[2] += spectrum.dropped();
      totals[3] += spectrum.basesTrimmed();
      delivered.incrementAndGet();
    });
    long[] samples = new long[2]; // taken, with parse waiting for room
    PipelineResult result = JobProgressBar.followCount("kmers", " batches", run.batches(), delivered::get, () -> {
      try {
        PipelineProgress p = handle.progress().toCompletableFuture().get(1, TimeUnit.SECONDS);
        PipelineProgress.StageProgress parse = p.stages().get(0);
        PipelineProgress.StageProgress count = p.stages().get(1);
        samples[0]++;
        if (parse.waiting() > 0) {
          samples[1]++;
        }
        return String.format("parse %d/%d (%d waiting) -> count %d/%d", parse.held(), stageCapacity, parse.waiting(),
            count.held(), stageCapacity);
      } catch (Exception e) {
        return "(no answer from the pipeline)";
      }
    }, handle.result(), out, Duration.ofDays(1));
    double seconds = (System.nanoTime() - started) / 1e9;
    if (!result.succeeded()) {
      StringBuilder why = new StringBuilder("kmers: " + result.failures().size() + " of " + result.pulled()
          + " batches failed" + (result.cancelled() ? " (the pipeline was cancelled)" : ""));
      result.failures().entrySet().stream().limit(3).forEach(f -> why.append("; batch ").append(f.getKey()).append(" in ")
          .append(f.getValue().taskType()).append(": ").append(f.getValue().cause().lines().findFirst().orElse("")));
      throw new IllegalStateException(why.toString());
    }
    // The sink's last call happened before the result completed, so its sums are all visible here.
    return new Result(run, totals[0], totals[1], totals[2], totals[3], counts, result.progress().maxInPipeline(),
        stageCapacity, samples[0] == 0 ? 0 : (double) samples[1] / samples[0], seconds);
  }

  /** Fails, naming the role, if no node that is Up has it: the stage's batches would wait forever. */
  public static void requireRoles(ActorSystem<?> system, String... roles) {
    for (String role : roles) {
      boolean found = false;
      for (var member : Cluster.get(system).state().getMembers()) {
        if (member.status() == MemberStatus.up() && member.hasRole(role)) {
          found = true;
        }
      }
      if (!found) {
        throw new IllegalStateException("no node of the cluster has role '" + role + "': start one with"
            + " `bin/tessera node --roles worker," + role + " ...` (the stage's batches would wait for it forever)");
      }
    }
  }
}
