package dev.tessera.samples.wordcount;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * A generated corpus, for a word count with nothing downloaded: files of sentences whose words are
 * drawn from a fixed vocabulary with Zipf-like frequencies (a few words very common, most rare), as
 * in natural text.
 */
public final class Corpus {

  private static final String[] SYLLABLES = {"ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "qua", "ber", "don"};
  private static final int VOCABULARY = 5_000;

  private Corpus() {}

  /**
   * Writes {@code files} files of {@code wordsPerFile} words each into {@code folder} (created),
   * the same for the same {@code seed}.
   */
  public static void generate(Path folder, int files, int wordsPerFile, long seed) throws IOException {
    Files.createDirectories(folder);
    String[] vocabulary = vocabulary();
    double[] cumulative = zipf(VOCABULARY);
    SplittableRandom random = new SplittableRandom(seed);
    for (int f = 0; f < files; f++) {
      StringBuilder text = new StringBuilder(wordsPerFile * 7);
      for (int w = 0; w < wordsPerFile; w++) {
        String word = vocabulary[draw(cumulative, random.nextDouble())];
        boolean sentenceStart = w == 0 || text.charAt(text.length() - 2) == '.';
        text.append(sentenceStart ? Character.toUpperCase(word.charAt(0)) + word.substring(1) : word);
        text.append(random.nextInt(12) == 0 ? ".\n" : random.nextInt(8) == 0 ? ", " : " ");
      }
      Files.writeString(folder.resolve(String.format("text-%04d.txt", f)), text, StandardCharsets.UTF_8);
    }
  }

  private static String[] vocabulary() {
    String[] words = new String[VOCABULARY];
    for (int i = 0; i < VOCABULARY; i++) {
      StringBuilder word = new StringBuilder();
      int n = i;
      do {
        word.append(SYLLABLES[n % SYLLABLES.length]);
        n /= SYLLABLES.length;
      } while (n > 0);
      words[i] = word.toString();
    }
    return words;
  }

  /** Cumulative probabilities of ranks 1..n with p(rank) proportional to 1/rank. */
  private static double[] zipf(int n) {
    double[] cumulative = new double[n];
    double sum = 0;
    for (int rank = 1; rank <= n; rank++) {
      sum += 1.0 / rank;
      cumulative[rank - 1] = sum;
    }
    for (int i = 0; i < n; i++) {
      cumulative[i] /= sum;
    }
    return cumulative;
  }

  private static int draw(double[] cumulative, double u) {
    int low = 0;
    int high = cumulative.length - 1;
    while (low < high) {
      int mid = (low + high) >>> 1;
      if (cumulative[mid] < u) {
        low = mid + 1;
      } else {
        high = mid;
      }
    }
    return low;
  }
}
