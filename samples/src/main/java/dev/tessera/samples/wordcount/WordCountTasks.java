package dev.tessera.samples.wordcount;

import dev.tessera.runtime.job.TaskLibrary;
import dev.tessera.runtime.job.TaskRegistry;
import dev.tessera.runtime.job.TaskType;
import dev.tessera.runtime.serialization.CborSerializable;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The word-count map task: counts the words of one chunk of text. Counting inside the task is the
 * map/reduce "combiner": a chunk sends back each distinct word once with its count, not one pair
 * per occurrence, so what travels back is a fraction of the text.
 */
public final class WordCountTasks implements TaskLibrary {

  /** A piece of a text file: where it comes from (for error messages) and its text. */
  public record TextChunk(String source, String text) implements CborSerializable {
    public TextChunk {
      Objects.requireNonNull(source, "source");
      Objects.requireNonNull(text, "text");
    }
  }

  /** Word counts of some text. */
  public record WordCounts(Map<String, Long> counts) implements CborSerializable {
    public WordCounts {
      counts = Map.copyOf(counts);
    }

  }

  public static final TaskType<TextChunk, WordCounts> COUNT_WORDS =
      TaskType.of("samples.count-words", TextChunk.class, WordCounts.class);

  @Override
  public void register(TaskRegistry.Builder registry) {
    registry.register(COUNT_WORDS, chunk -> count(chunk.text()));
  }

  /**
   * Counts words: maximal runs of letters and digits (any script), lower-cased; everything else
   * separates words.
   */
  public static WordCounts count(String text) {
    Map<String, Long> counts = new HashMap<>();
    int start = -1;
    int i = 0;
    while (i <= text.length()) {
      int codePoint = i < text.length() ? text.codePointAt(i) : ' ';
      boolean inWord = i < text.length() && Character.isLetterOrDigit(codePoint);
      if (inWord && start < 0) {
        start = i;
      } else if (!inWord && start >= 0) {
        counts.merge(text.substring(start, i).toLowerCase(Locale.ROOT), 1L, Long::sum);
        start = -1;
      }
      i += i < text.length() ? Character.charCount(codePoint) : 1;
    }
    return new WordCounts(counts);
  }
}
