package dev.tessera.samples.gpt;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Sums written out in a fixed format, {@code "07+12=019\n"}: two operands below {@code 100}, the sum
 * in three digits. Generated in code, nothing downloaded, and learning is measurable: the model
 * must come to write the right sum after {@code =}.
 *
 * <p>The pairs are split once, by a hash of (a, b): about a tenth are held out and never trained
 * on, so accuracy on them measures adding, not remembering.
 */
public final class ArithmeticCorpus {

  /** The characters of the corpus, in token order. */
  public static final String ALPHABET = "0123456789+=\n";
  /** Characters in one example, newline included. */
  public static final int LENGTH = 10;
  /** Where the answer starts: after {@code "ab+cd="}. */
  public static final int ANSWER_AT = 6;

  private final CharTokenizer tokenizer = new CharTokenizer(ALPHABET);

  public CharTokenizer tokenizer() {
    return tokenizer;
  }

  /** The example for a + b. */
  public static String example(int a, int b) {
    return String.format("%02d+%02d=%03d\n", a, b, a + b);
  }

  /** Whether (a, b) is held out of training. */
  public static boolean heldOut(int a, int b) {
    int h = (a * 7919 + b * 104729) * 0x9E3779B1;
    return ((h >>> 16) % 10) == 0;
  }

  /**
   * {@code count} training examples drawn with {@code random}, as tokens: {@code inputs[i]} is the
   * example without its last character, {@code targets[i]} the example shifted by one.
   */
  public Batch trainingBatch(SplittableRandom random, int count) {
    int[][] inputs = new int[count][];
    int[][] targets = new int[count][];
    for (int i = 0; i < count; i++) {
      int a;
      int b;
      do {
        a = random.nextInt(100);
        b = random.nextInt(100);
      } while (heldOut(a, b));
      int[] tokens = tokenizer.encode(example(a, b));
      inputs[i] = Arrays.copyOf(tokens, LENGTH - 1);
      targets[i] = Arrays.copyOfRange(tokens, 1, LENGTH);
    }
    return new Batch(inputs, targets);
  }

  /**
   * Every held-out sum, the answer's digits and newline as the only targets: the loss on it says
   * how well the model adds sums it never saw.
   */
  public Batch heldOutAnswers() {
    List<int[]> inputs = new ArrayList<>();
    List<int[]> targets = new ArrayList<>();
    for (int a = 0; a < 100; a++) {
      for (int b = 0; b < 100; b++) {
        if (heldOut(a, b)) {
          int[] tokens = tokenizer.encode(example(a, b));
          inputs.add(Arrays.copyOf(tokens, LENGTH - 1));
          int[] answer = Arrays.copyOfRange(tokens, 1, LENGTH);
          Arrays.fill(answer, 0, ANSWER_AT - 1, -1);
          targets.add(answer);
        }
      }
    }
    return new Batch(inputs.toArray(int[][]::new), targets.toArray(int[][]::new));
  }

  /**
   * The share of held-out sums whose three answer digits are each the model's likeliest next token
   * (given the digits before): exactly the sums greedy generation answers right.
   */
  public double heldOutAccuracy(GptModel model, float[] params) {
    int right = 0;
    int all = 0;
    int vocab = tokenizer.vocab();
    for (int a = 0; a < 100; a++) {
      for (int b = 0; b < 100; b++) {
        if (!heldOut(a, b)) {
          continue;
        }
        int[] tokens = tokenizer.encode(example(a, b));
        float[] logits = model.logits(params, Arrays.copyOf(tokens, LENGTH - 1));
        boolean ok = true;
        for (int position = ANSWER_AT - 1; position < ANSWER_AT + 2; position++) {
          int best = 0;
          for (int k = 1; k < vocab; k++) {
            if (logits[position * vocab + k] > logits[position * vocab + best]) {
              best = k;
            }
          }
          ok &= best == tokens[position + 1];
        }
        right += ok ? 1 : 0;
        all++;
      }
    }
    return (double) right / all;
  }

  /** A batch of sequences of equal length and their next tokens. */
  public record Batch(int[][] inputs, int[][] targets) {}
}
