package dev.tessera.samples.pipeline;

import dev.tessera.samples.pipeline.KmerTasks.FastqBatch;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;

/**
 * A sequencing run made up in code, so the sample downloads nothing: a random genome, and reads
 * drawn from it at random places and strands, as FASTQ text in batches. Like real short reads, they
 * have substitution errors, quality that falls towards the 3' end (some reads end in a stretch of
 * low-quality calls), and now and then an {@code N} (a base the machine could not call).
 *
 * <p>Each batch is made from its own seed, so batch {@code i} is the same however many batches are
 * taken and in whatever order: the test makes them again to check the pipeline's answer.
 *
 * @param genomeLength bases of the genome the reads come from
 * @param readLength bases per read
 * @param readsPerBatch reads in one FASTQ batch (one pipeline item)
 * @param batches batches in the run
 * @param seed the genome's and the reads' seed
 */
public record SequencingRun(int genomeLength, int readLength, int readsPerBatch, int batches, long seed) {

  private static final char[] BASES = {'A', 'C', 'G', 'T'};
  /** Chance that a base is miscalled, and that a read carries an uncallable base. */
  private static final double ERROR_RATE = 0.01;
  private static final double N_RATE = 0.0005;
  /** Chance that a read ends in a low-quality stretch (what trimming removes). */
  private static final double BAD_TAIL_RATE = 0.2;

  public SequencingRun {
    if (genomeLength < 1 || readLength < 1 || readLength > genomeLength || readsPerBatch < 1 || batches < 0) {
      throw new IllegalArgumentException("a sequencing run needs genome >= read length >= 1, reads per batch >= 1,"
          + " batches >= 0; got " + genomeLength + ", " + readLength + ", " + readsPerBatch + ", " + batches);
    }
  }

  /** The genome: uniform random bases. */
  public String genome() {
    SplittableRandom random = new SplittableRandom(seed);
    StringBuilder genome = new StringBuilder(genomeLength);
    for (int i = 0; i < genomeLength; i++) {
      genome.append(BASES[random.nextInt(4)]);
    }
    return genome.toString();
  }

  /** Batch {@code index} of the run, as FASTQ text. */
  public FastqBatch batch(String genome, int index) {
    if (index < 0 || index >= batches) {
      throw new IndexOutOfBoundsException("batch " + index + " of " + batches);
    }
    SplittableRandom random = new SplittableRandom(batchSeed(index));
    StringBuilder fastq = new StringBuilder(readsPerBatch * (2 * readLength + 32));
    char[] read = new char[readLength];
    char[] quality = new char[readLength];
    for (int r = 0; r < readsPerBatch; r++) {
      int start = random.nextInt(genomeLength - readLength + 1);
      boolean reverse = random.nextBoolean();
      int badTailFrom = random.nextDouble() < BAD_TAIL_RATE ? readLength - 1 - random.nextInt(readLength / 3 + 1) : readLength;
      for (int i = 0; i < readLength; i++) {
        char base = reverse ? KmerTasks.complement(genome.charAt(start + readLength - 1 - i)) : genome.charAt(start + i);
        int phred = i >= badTailFrom ? 2 + random.nextInt(12) : 30 + random.nextInt(11) - i * 10 / readLength;
        if (random.nextDouble() < N_RATE) {
          base = 'N';
          phred = 2;
        } else if (random.nextDouble() < (i >= badTailFrom ? 0.25 : ERROR_RATE)) {
          base = BASES[(indexOf(base) + 1 + random.nextInt(3)) % 4];
        }
        read[i] = base;
        quality[i] = (char) ('!' + phred);
      }
      fastq.append("@run").append(seed).append(":batch").append(index).append(":read").append(r).append('\n')
          .append(read).append("\n+\n").append(quality).append('\n');
    }
    return new FastqBatch(index, fastq.toString());
  }

  /** Every batch in order, made as they are pulled (a pipeline's source). */
  public Iterator<FastqBatch> batches(String genome) {
    return new Iterator<>() {
      private int next;

      @Override
      public boolean hasNext() {
        return next < batches;
      }

      @Override
      public FastqBatch next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        return batch(genome, next++);
      }
    };
  }

  /**
   * Batch {@code index}'s seed: (seed, index) through MurmurHash3's 64-bit finalizer. Not {@code
   * seed + index * constant}: SplittableRandom's streams from such seeds are shifts of one another.
   */
  long batchSeed(int index) {
    long h = seed * 0x9E3779B97F4A7C15L + index + 1;
    h ^= h >>> 33;
    h *= 0xFF51AFD7ED558CCDL;
    h ^= h >>> 33;
    h *= 0xC4CEB9FE1A85EC53L;
    return h ^ (h >>> 33);
  }

  private static int indexOf(char base) {
    return switch (base) {
      case 'A' -> 0;
      case 'C' -> 1;
      case 'G' -> 2;
      default -> 3;
    };
  }
}
