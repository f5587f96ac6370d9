package dev.tessera.samples.wordcount;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WordCountTasksTest {

  @Test
  void wordsAreRunsOfLettersAndDigitsLowerCased() {
    assertThat(WordCountTasks.count("The cat, the CAT; the cat's 9 lives -- naïve Ärger 𝔘𝔫𝔦 42x").counts())
        .isEqualTo(Map.of("the", 3L, "cat", 3L, "s", 1L, "9", 1L, "lives", 1L, "naïve", 1L, "ärger", 1L, "𝔘𝔫𝔦", 1L,
            "42x", 1L));
    assertThat(WordCountTasks.count("  ,.;  ").counts()).isEmpty();
    assertThat(WordCountTasks.count("").counts()).isEmpty();
  }

  @Test
  void chunksEndAtWhitespaceAndAddUpToTheText() {
    String text = "alpha beta gamma delta epsilon\nzeta eta theta iota kappa";
    List<WordCountTasks.TextChunk> chunks = WordCount.split("f", text, 12);
    assertThat(chunks).allSatisfy(chunk -> assertThat(chunk.text().length()).isLessThanOrEqualTo(12));
    assertThat(chunks.stream().map(WordCountTasks.TextChunk::text).collect(Collectors.joining())).isEqualTo(text);
    Map<String, Long> merged = new java.util.HashMap<>();
    chunks.forEach(c -> WordCountTasks.count(c.text()).counts().forEach((w, n) -> merged.merge(w, n, Long::sum)));
    assertThat(merged).isEqualTo(WordCountTasks.count(text).counts());
  }

  @Test
  void aWordLongerThanAChunkIsCutButNeverInsideACharacter() {
    String text = "𝔘".repeat(10);
    List<WordCountTasks.TextChunk> chunks = WordCount.split("f", text, 5);
    assertThat(chunks.stream().map(WordCountTasks.TextChunk::text).collect(Collectors.joining())).isEqualTo(text);
    assertThat(chunks).allSatisfy(c -> assertThat(Character.isHighSurrogate(c.text().charAt(c.text().length() - 1))).isFalse());
  }

  @Test
  void aFileThatIsNotTextIsNamedAndNothingIsCounted(@TempDir Path folder) throws IOException {
    Files.writeString(folder.resolve("a.txt"), "fine words");
    Files.write(folder.resolve("b.bin"), new byte[] {(byte) 0xC3, (byte) 0x28, 0x00});
    assertThatThrownBy(() -> WordCount.chunks(folder)).isInstanceOf(IOException.class)
        .hasMessageContaining("b.bin is not UTF-8 text");
  }

  @Test
  void anEmptyOrMissingFolderIsAnError(@TempDir Path folder) {
    assertThatThrownBy(() -> WordCount.chunks(folder)).hasMessageContaining("holds no files");
    assertThatThrownBy(() -> WordCount.chunks(folder.resolve("nope"))).hasMessageContaining("is not a folder");
  }

  @Test
  void theGeneratedCorpusIsTheSameForTheSameSeed(@TempDir Path folder) throws IOException {
    Corpus.generate(folder.resolve("one"), 3, 500, 9);
    Corpus.generate(folder.resolve("two"), 3, 500, 9);
    for (String name : List.of("text-0000.txt", "text-0002.txt")) {
      assertThat(Files.readString(folder.resolve("one").resolve(name)))
          .isEqualTo(Files.readString(folder.resolve("two").resolve(name)));
    }
    long words = WordCountTasks.count(Files.readString(folder.resolve("one/text-0001.txt"))).counts().values()
        .stream().mapToLong(Long::longValue).sum();
    assertThat(words).isEqualTo(500);
  }
}
