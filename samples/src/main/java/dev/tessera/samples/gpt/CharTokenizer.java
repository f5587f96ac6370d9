package dev.tessera.samples.gpt;

import java.util.Arrays;

/**
 * A character tokenizer over a fixed alphabet: token i is {@code alphabet.charAt(i)}.
 *
 * <p>Thread safety: immutable.
 */
public final class CharTokenizer {

  private final String alphabet;
  private final int[] index = new int[128];

  public CharTokenizer(String alphabet) {
    if (alphabet.isEmpty() || alphabet.chars().distinct().count() != alphabet.length()
        || alphabet.chars().anyMatch(c -> c >= 128)) {
      throw new IllegalArgumentException("an alphabet is distinct ASCII characters, got '" + alphabet + "'");
    }
    this.alphabet = alphabet;
    Arrays.fill(index, -1);
    for (int i = 0; i < alphabet.length(); i++) {
      index[alphabet.charAt(i)] = i;
    }
  }

  public int vocab() {
    return alphabet.length();
  }

  /**
   * @throws IllegalArgumentException naming the character and its place, if it is not in the alphabet
   */
  public int[] encode(String text) {
    int[] tokens = new int[text.length()];
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      int token = c < 128 ? index[c] : -1;
      if (token < 0) {
        throw new IllegalArgumentException("'" + c + "' at " + i + " is not in the alphabet '" + alphabet + "'");
      }
      tokens[i] = token;
    }
    return tokens;
  }

  public String decode(int... tokens) {
    StringBuilder text = new StringBuilder(tokens.length);
    for (int token : tokens) {
      text.append(alphabet.charAt(token));
    }
    return text.toString();
  }
}
