package dev.tessera.samples.wordcount;

import dev.tessera.runtime.job.JobOptions;
import dev.tessera.samples.launch.ClusterOptions;
import dev.tessera.samples.launch.JobProgressBar;
import dev.tessera.samples.launch.SampleCluster;
import dev.tessera.work.GatherHandle;
import dev.tessera.work.Gathered;
import dev.tessera.work.WorkPulling;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.apache.pekko.actor.typed.ActorSystem;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Word count, map/reduce style, over a folder of text files: the files are cut into chunks at
 * whitespace, each chunk is counted by a task somewhere in the cluster (map, with the counting
 * inside the task as combiner), and the counts are merged as they arrive (reduce). Writes every
 * word's count to {@code word-counts.tsv} and prints the most frequent.
 *
 * <pre>bin/sample wordcount --input ~/books        # 3 local nodes
 * bin/sample wordcount                             # on a generated corpus</pre>
 */
@Command(name = "wordcount", mixinStandardHelpOptions = true,
    description = "Count the words of a folder of UTF-8 text files over the cluster (map/reduce with a combiner).")
public final class WordCount implements Callable<Integer> {

  /** Chunks are at most this many characters: a chunk's counts must fit one message back. */
  static final int CHUNK_CHARS = 32 * 1024;

  @Mixin
  ClusterOptions cluster;

  @Option(names = "--input", paramLabel = "DIR",
      description = "folder of UTF-8 text files, read recursively (default: a corpus generated in the work folder)")
  Path input;

  @Option(names = "--top", paramLabel = "N", defaultValue = "10", description = "most frequent words to print (default: ${DEFAULT-VALUE})")
  int top;

  /** What a run counted. */
  public record Result(int files, int chunks, Map<String, Long> counts, double seconds) {
    public long words() {
      return counts.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Words by count, most frequent first (ties alphabetically). */
    public List<Map.Entry<String, Long>> ranked() {
      return counts.entrySet().stream()
          .sorted(Map.Entry.<String, Long>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
          .toList();
    }
  }

  @Override
  public Integer call() throws Exception {
    PrintStream out = System.out;
    Path workDir = cluster.workDir("wordcount");
    Path folder = input;
    if (folder == null) {
      folder = workDir.resolve("corpus");
      if (!Files.isDirectory(folder)) {
        out.printf("no --input: generating a corpus of 200 files in %s%n", folder);
        Corpus.generate(folder, 200, 20_000, 42);
      }
    }
    List<WordCountTasks.TextChunk> chunks = chunks(folder);
    try (SampleCluster running = cluster.open("wordcount", out)) {
      Result result = run(running.system(), chunks, out);
      Path tsv = workDir.resolve("word-counts.tsv");
      Files.createDirectories(workDir);
      try (var writer = Files.newBufferedWriter(tsv, StandardCharsets.UTF_8)) {
        for (Map.Entry<String, Long> entry : result.ranked()) {
          writer.write(entry.getKey() + "\t" + entry.getValue() + "\n");
        }
      }
      out.printf("%,d words (%,d distinct) in %,d files, %,d chunks, %.1f s%n", result.words(), result.counts().size(),
          result.files(), result.chunks(), result.seconds());
      result.ranked().stream().limit(Math.max(top, 0))
          .forEach(entry -> out.printf("%12d  %s%n", entry.getValue(), entry.getKey()));
      out.println("every count: " + tsv);
    }
    return 0;
  }

  /** Counts the words of {@code chunks} on the cluster of {@code system}. */
  public static Result run(ActorSystem<?> system, List<WordCountTasks.TextChunk> chunks, PrintStream out) throws Exception {
    long started = System.nanoTime();
    GatherHandle<Map<String, Long>> job = WorkPulling.scatterGather(system, WordCountTasks.COUNT_WORDS, chunks,
        JobOptions.defaults(), new HashMap<>(), (total, counts) -> {
          // The accumulator is this job's own map, touched by one thread at a time.
          counts.counts().forEach((word, count) -> total.merge(word, count, Long::sum));
          return total;
        });
    Gathered<Map<String, Long>> gathered =
        JobProgressBar.follow("wordcount", job::progress, job.result(), out, Duration.ofHours(24));
    if (!gathered.succeeded()) {
      var failure = gathered.failures().entrySet().iterator().next();
      throw new IllegalStateException("wordcount: " + gathered.failures().size() + " chunks failed, e.g. "
          + chunks.get(failure.getKey()).source() + ": " + failure.getValue().lastCause());
    }
    int files = (int) chunks.stream().map(WordCountTasks.TextChunk::source).distinct().count();
    return new Result(files, chunks.size(), gathered.value(), (System.nanoTime() - started) / 1e9);
  }

  /**
   * Every regular file under {@code folder}, in path order, cut into chunks of at most {@link
   * #CHUNK_CHARS} characters at whitespace (so no word is cut in two).
   *
   * @throws IOException naming the file that is not UTF-8 text or cannot be read
   */
  public static List<WordCountTasks.TextChunk> chunks(Path folder) throws IOException {
    if (!Files.isDirectory(folder)) {
      throw new IOException("--input: " + folder + " is not a folder");
    }
    List<Path> files;
    try (Stream<Path> walk = Files.walk(folder)) {
      files = walk.filter(Files::isRegularFile).sorted(Comparator.comparing(Path::toString)).toList();
    }
    if (files.isEmpty()) {
      throw new IOException("--input: " + folder + " holds no files");
    }
    List<WordCountTasks.TextChunk> chunks = new ArrayList<>();
    for (Path file : files) {
      String text;
      try {
        text = Files.readString(file, StandardCharsets.UTF_8);
      } catch (CharacterCodingException e) {
        throw new IOException(file + " is not UTF-8 text (" + e + "); nothing was counted", e);
      } catch (UncheckedIOException e) {
        throw e.getCause();
      }
      String source = folder.relativize(file).toString();
      chunks.addAll(split(source, text, CHUNK_CHARS));
    }
    return chunks;
  }

  /** {@code text} cut into chunks of at most {@code max} characters, each ending at whitespace where it can. */
  static List<WordCountTasks.TextChunk> split(String source, String text, int max) {
    List<WordCountTasks.TextChunk> chunks = new ArrayList<>();
    int from = 0;
    while (from < text.length()) {
      int to = Math.min(from + max, text.length());
      if (to < text.length()) {
        int cut = to;
        while (cut > from && !Character.isWhitespace(text.charAt(cut - 1))) {
          cut--;
        }
        if (cut > from) {
          to = cut;
        } else if (Character.isHighSurrogate(text.charAt(to - 1))) {
          to--; // a word longer than a chunk: cut it, but never inside a character
        }
      }
      chunks.add(new WordCountTasks.TextChunk(source, text.substring(from, to)));
      from = to;
    }
    return chunks;
  }
}
