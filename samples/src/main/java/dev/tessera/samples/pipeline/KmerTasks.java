package dev.tessera.samples.pipeline;

import dev.tessera.runtime.job.TaskLibrary;
import dev.tessera.runtime.job.TaskRegistry;
import dev.tessera.runtime.job.TaskType;
import dev.tessera.runtime.serialization.CborSerializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The two stages of the k-mer pipeline, as task types: {@link #PARSE_AND_TRIM} (FASTQ text to clean
 * reads) and {@link #COUNT} (clean reads to their spectrum of canonical {@value #K}-mers). Both are
 * plain functions of their input, so the sample's answer can be checked exactly.
 */
public final class KmerTasks implements TaskLibrary {

  /** The k of the k-mers counted: 4^6 = 4096 codes, a spectrum small enough for one task result. */
  public static final int K = 6;
  /** Bases called below this Phred quality are trimmed off a read's 3' end. */
  public static final int MIN_QUALITY = 20;

  /** One pipeline item: reads as FASTQ text (4 lines a read). */
  public record FastqBatch(int index, String text) implements CborSerializable {
    public FastqBatch {
      Objects.requireNonNull(text, "text");
    }
  }

  /**
   * A batch's reads after trimming.
   *
   * @param reads the reads kept: trimmed, at least {@link #K} bases, no {@code N}
   * @param dropped reads dropped (an {@code N}, or shorter than {@link #K} once trimmed)
   * @param basesTrimmed low-quality bases cut off the reads' ends
   */
  public record CleanReads(int index, List<String> reads, int dropped, long basesTrimmed) implements CborSerializable {
    public CleanReads {
      reads = List.copyOf(reads);
    }
  }

  /**
   * A batch's k-mer spectrum: {@code counts[code]} is how often the canonical k-mer {@code code}
   * (two bits a base, A=0 C=1 G=2 T=3, first base highest; the smaller of a k-mer and its reverse
   * complement) occurs; the other codes stay 0.
   */
  public record KmerSpectrum(int index, int reads, long bases, int dropped, long basesTrimmed, int[] counts)
      implements CborSerializable {
    public KmerSpectrum {
      Objects.requireNonNull(counts, "counts");
      if (counts.length != 1 << (2 * K)) {
        throw new IllegalArgumentException("a spectrum has " + (1 << (2 * K)) + " counts, got " + counts.length);
      }
    }
  }

  public static final TaskType<FastqBatch, CleanReads> PARSE_AND_TRIM =
      TaskType.of("samples.kmers.parse-and-trim", FastqBatch.class, CleanReads.class);
  public static final TaskType<CleanReads, KmerSpectrum> COUNT =
      TaskType.of("samples.kmers.count", CleanReads.class, KmerSpectrum.class);

  @Override
  public void register(TaskRegistry.Builder registry) {
    registry.register(PARSE_AND_TRIM, KmerTasks::parseAndTrim);
    registry.register(COUNT, KmerTasks::count);
  }

  /**
   * Parses a FASTQ batch, trims each read's 3' end below {@link #MIN_QUALITY}, and keeps the reads
   * that are still at least {@link #K} long and hold no {@code N}.
   *
   * @throws IllegalArgumentException naming the batch and line, if the text is not FASTQ
   */
  public static CleanReads parseAndTrim(FastqBatch batch) {
    String[] lines = batch.text().split("\n", -1);
    int count = lines.length / 4;
    if (lines.length % 4 != 1 || !lines[lines.length - 1].isEmpty()) {
      throw new IllegalArgumentException("batch " + batch.index() + ": FASTQ is 4 lines a read, ending in a newline; got "
          + (lines.length - 1) + " lines");
    }
    List<String> kept = new ArrayList<>(count);
    int dropped = 0;
    long trimmed = 0;
    for (int r = 0; r < count; r++) {
      int line = 4 * r;
      String header = lines[line];
      String sequence = lines[line + 1];
      String quality = lines[line + 3];
      if (!header.startsWith("@") || !lines[line + 2].startsWith("+")) {
        throw new IllegalArgumentException("batch " + batch.index() + ", line " + (line + 1) + ": not a FASTQ record ("
            + abbreviate(header) + ")");
      }
      if (sequence.length() != quality.length()) {
        throw new IllegalArgumentException("batch " + batch.index() + ", read " + header.substring(1) + ": "
            + sequence.length() + " bases but " + quality.length() + " quality scores");
      }
      int end = sequence.length();
      while (end > 0 && quality.charAt(end - 1) - '!' < MIN_QUALITY) {
        end--;
      }
      trimmed += sequence.length() - end;
      String read = sequence.substring(0, end);
      for (int i = 0; i < read.length(); i++) {
        char base = read.charAt(i);
        if (base != 'A' && base != 'C' && base != 'G' && base != 'T' && base != 'N') {
          throw new IllegalArgumentException("batch " + batch.index() + ", read " + header.substring(1) + ": '" + base
              + "' is not a base");
        }
      }
      if (read.length() < K || read.indexOf('N') >= 0) {
        dropped++;
      } else {
        kept.add(read);
      }
    }
    return new CleanReads(batch.index(), kept, dropped, trimmed);
  }

  /** Counts the canonical {@link #K}-mers of every read. */
  public static KmerSpectrum count(CleanReads clean) {
    int[] counts = new int[1 << (2 * K)];
    int mask = (1 << (2 * K)) - 1;
    long bases = 0;
    for (String read : clean.reads()) {
      bases += read.length();
      int forward = 0;
      int reverse = 0;
      for (int i = 0; i < read.length(); i++) {
        int code = code(read.charAt(i));
        forward = ((forward << 2) | code) & mask;
        reverse = (reverse >>> 2) | ((3 - code) << (2 * (K - 1)));
        if (i >= K - 1) {
          counts[Math.min(forward, reverse)]++;
        }
      }
    }
    return new KmerSpectrum(clean.index(), clean.reads().size(), bases, clean.dropped(), clean.basesTrimmed(), counts);
  }

  /** The k-mer a code stands for. */
  public static String decode(int code) {
    char[] kmer = new char[K];
    for (int i = K - 1; i >= 0; i--) {
      kmer[i] = "ACGT".charAt(code & 3);
      code >>>= 2;
    }
    return new String(kmer);
  }

  static char complement(char base) {
    return switch (base) {
      case 'A' -> 'T';
      case 'C' -> 'G';
      case 'G' -> 'C';
      case 'T' -> 'A';
      default -> 'N';
    };
  }

  private static int code(char base) {
    return switch (base) {
      case 'A' -> 0;
      case 'C' -> 1;
      case 'G' -> 2;
      case 'T' -> 3;
      default -> throw new IllegalArgumentException("'" + base + "' is not a base");
    };
  }

  private static String abbreviate(String text) {
    return text.length() <= 40 ? text : text.substring(0, 40) + "...";
  }
}
