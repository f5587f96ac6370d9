package dev.tessera.samples.gpt;

import dev.tessera.gpu.kernels.Kernels;
import dev.tessera.gpu.kernels.Matrix;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * A small decoder-only transformer, forward and backward, written out by hand: token and position
 * embeddings, pre-norm blocks of causal multi-head self-attention and a GELU MLP with residual
 * connections, a final layer norm, and the output tied to the token embedding; softmax
 * cross-entropy on the next token.
 *
 * <p>Parameters live in one flat {@code float[]} (so an optimizer, a checkpoint and an all-reduce
 * each see a single array); {@link #parameterCount()} says how long. Every matrix product goes
 * through {@link Kernels}, so it runs on a GPU where the node has one and on the CPU elsewhere;
 * attention, layer norm and GELU are plain loops (they are small at this width).
 *
 * <p>Thread safety: immutable; each call works on its own arrays.
 */
public final class GptModel {

  private static final float LN_EPS = 1e-5f;
  private static final float GELU_C = (float) Math.sqrt(2 / Math.PI);

  private final GptConfig cfg;
  private final Kernels kernels;
  // Offsets into the flat parameter array.
  private final int wte;
  private final int wpe;
  private final Block[] blocks;
  private final int lnfg;
  private final int lnfb;

  /** Where one transformer block's parameters start in the flat array, in their order there. */
  private record Block(int ln1g, int ln1b, int wqkv, int bqkv, int wo, int bo, int ln2g, int ln2b, int w1, int b1,
      int w2, int b2, int end) {

    /** The block whose parameters start at {@code from}, for width {@code c} and MLP width {@code h}. */
    static Block at(int from, int c, int h) {
      int[] sizes = {c, c, c * 3 * c, 3 * c, c * c, c, c, c, c * h, h, h * c, c};
      int[] starts = new int[sizes.length];
      int at = from;
      for (int i = 0; i < sizes.length; i++) {
        starts[i] = at;
        at += sizes[i];
      }
      return new Block(starts[0], starts[1], starts[2], starts[3], starts[4], starts[5], starts[6], starts[7],
          starts[8], starts[9], starts[10], starts[11], at);
    }
  }

  public GptModel(GptConfig cfg, Kernels kernels) {
    this.cfg = Objects.requireNonNull(cfg, "cfg");
    this.kernels = Objects.requireNonNull(kernels, "kernels");
    int c = cfg.width();
    int h = cfg.hidden();
    int at = 0;
    wte = at;
    at += cfg.vocab() * c;
    wpe = at;
    at += cfg.context() * c;
    blocks = new Block[cfg.layers()];
    for (int l = 0; l < blocks.length; l++) {
      blocks[l] = Block.at(at, c, h);
      at = blocks[l].end();
    }
    lnfg = at;
    at += c;
    lnfb = at;
    at += c;
    if (at != cfg.parameterCount()) {
      throw new IllegalStateException("parameter layout " + at + " != " + cfg.parameterCount());
    }
  }

  public GptConfig config() {
    return cfg;
  }

  public int parameterCount() {
    return cfg.parameterCount();
  }

  /**
   * Fresh parameters: weights from N(0, 0.02) (the two projections back into the residual stream
   * scaled down by sqrt(2 x layers), as GPT-2 does), layer-norm gains 1, biases 0. The same seed
   * gives the same parameters on every machine.
   */
  public float[] initialParameters(long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    float[] p = new float[parameterCount()];
    float residualScale = (float) (1 / Math.sqrt(2.0 * cfg.layers()));
    fillNormal(p, wte, cfg.vocab() * cfg.width(), 0.02f, random);
    fillNormal(p, wpe, cfg.context() * cfg.width(), 0.02f, random);
    for (int l = 0; l < cfg.layers(); l++) {
      Arrays.fill(p, blocks[l].ln1g(), blocks[l].ln1g() + cfg.width(), 1f);
      Arrays.fill(p, blocks[l].ln2g(), blocks[l].ln2g() + cfg.width(), 1f);
      fillNormal(p, blocks[l].wqkv(), cfg.width() * 3 * cfg.width(), 0.02f, random);
      fillNormal(p, blocks[l].wo(), cfg.width() * cfg.width(), 0.02f * residualScale, random);
      fillNormal(p, blocks[l].w1(), cfg.width() * cfg.hidden(), 0.02f, random);
      fillNormal(p, blocks[l].w2(), cfg.hidden() * cfg.width(), 0.02f * residualScale, random);
    }
    Arrays.fill(p, lnfg, lnfg + cfg.width(), 1f);
    return p;
  }

  private static void fillNormal(float[] p, int from, int count, float std, SplittableRandom random) {
    for (int i = 0; i < count; i++) {
      // Box-Muller from two uniforms: the same numbers on every JVM.
      double u1 = 1 - random.nextDouble();
      double u2 = random.nextDouble();
      p[from + i] = (float) (std * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2));
    }
  }

  /** The mean cross-entropy of {@code targets} (-1: not scored) given {@code inputs}. */
  public double loss(float[] params, int[][] inputs, int[][] targets) {
    return new Pass(params, inputs, targets).forward();
  }

  /**
   * The mean cross-entropy, and its gradient with respect to every parameter written into {@code
   * gradient} (overwritten, same length as the parameters).
   */
  public double lossAndGradient(float[] params, int[][] inputs, int[][] targets, float[] gradient) {
    return lossAndGradient(params, inputs, targets, gradient, true);
  }

  /**
   * The summed (not averaged) cross-entropy of the scored targets, and its gradient in {@code
   * gradient}: what a data-parallel worker computes on its shard of a batch. The shards' sums,
   * added and divided by the batch's {@link #scored} count, are the whole batch's mean and its
   * gradient (to float rounding: the additions happen in another order).
   */
  public double lossSumAndGradient(float[] params, int[][] inputs, int[][] targets, float[] gradient) {
    return lossAndGradient(params, inputs, targets, gradient, false);
  }

  /** How many targets of {@code targets} are scored (not -1). */
  public static int scored(int[][] targets) {
    int count = 0;
    for (int[] row : targets) {
      for (int target : row) {
        count += target >= 0 ? 1 : 0;
      }
    }
    return count;
  }

  private double lossAndGradient(float[] params, int[][] inputs, int[][] targets, float[] gradient, boolean mean) {
    if (gradient.length != params.length) {
      throw new IllegalArgumentException("the gradient has " + gradient.length + " entries, the parameters " + params.length);
    }
    Pass pass = new Pass(params, inputs, targets);
    double loss = pass.forward();
    Arrays.fill(gradient, 0f);
    pass.backward(gradient, mean);
    return mean ? loss : loss * pass.scored;
  }

  /** The next-token logits after each position of {@code tokens} ({@code tokens.length x vocab}). */
  public float[] logits(float[] params, int[] tokens) {
    int[][] inputs = {tokens};
    int[][] none = {new int[tokens.length]};
    Arrays.fill(none[0], -1);
    Pass pass = new Pass(params, inputs, none);
    pass.forward();
    return pass.logits;
  }

  // ---- inference in pieces: what the stages of a pipeline compute, each on its own node

  /** The residual stream entering layer 0 for {@code tokens}: {@code tokens.length x width}. */
  public float[] embed(float[] params, int[] tokens) {
    Pass pass = inference(params, tokens);
    pass.embed();
    return pass.x[0];
  }

  /**
   * Layers {@code [from, to)} over the residual stream {@code x} of {@code tokens} (as {@link
   * #embed} or an earlier stage left it); returns the stream after layer {@code to - 1}.
   */
  public float[] layers(float[] params, int[] tokens, float[] x, int from, int to) {
    if (from < 0 || to > cfg.layers() || from > to) {
      throw new IllegalArgumentException("layers [" + from + ", " + to + ") of a model of " + cfg.layers());
    }
    Pass pass = inference(params, tokens);
    if (x.length != pass.n * pass.c) {
      throw new IllegalArgumentException("a residual stream of " + x.length + " floats for " + tokens.length
          + " tokens of width " + pass.c);
    }
    pass.x[from] = x;
    for (int l = from; l < to; l++) {
      pass.layer(l);
    }
    return pass.x[to];
  }

  /** The logits of the token after the last of {@code tokens}, from the stream {@code x} after the last layer. */
  public float[] nextLogits(float[] params, int[] tokens, float[] x) {
    Pass pass = inference(params, tokens);
    int c = cfg.width();
    if (x.length != pass.n * c) {
      throw new IllegalArgumentException("a residual stream of " + x.length + " floats for " + tokens.length
          + " tokens of width " + c);
    }
    float[] normed = pass.layerNorm(x, lnfg, lnfb, new float[x.length], new float[pass.n]);
    int last = tokens.length - 1;
    float[] row = Arrays.copyOfRange(normed, last * c, (last + 1) * c);
    return matmul(row, 1, c, transpose(params, wte, cfg.vocab(), c), cfg.vocab());
  }

  /** The logits of the token after {@code tokens}: {@link #embed}, every layer, {@link #nextLogits}. */
  public float[] nextLogits(float[] params, int[] tokens) {
    return nextLogits(params, tokens, layers(params, tokens, embed(params, tokens), 0, cfg.layers()));
  }

  /**
   * The parameters a pipeline stage running layers {@code [from, to)} needs, as {@code [start, end)}
   * ranges of the flat array: the embeddings for the first stage, its blocks, and the final norm
   * and (tied) token embedding for the last.
   */
  public static List<int[]> stageRanges(GptConfig cfg, int from, int to) {
    if (from < 0 || to > cfg.layers() || from >= to) {
      throw new IllegalArgumentException("layers [" + from + ", " + to + ") of a model of " + cfg.layers());
    }
    int c = cfg.width();
    int blocksStart = (cfg.vocab() + cfg.context()) * c; // after wte and wpe, which lie together
    int finalNorm = blocksStart + cfg.layers() * cfg.perLayer();
    List<int[]> ranges = new ArrayList<>();
    if (from == 0 || to == cfg.layers()) {
      ranges.add(new int[] {0, blocksStart});
    }
    ranges.add(new int[] {blocksStart + from * cfg.perLayer(), blocksStart + to * cfg.perLayer()});
    if (to == cfg.layers()) {
      ranges.add(new int[] {finalNorm, finalNorm + 2 * c});
    }
    return ranges;
  }

  private Pass inference(float[] params, int[] tokens) {
    int[] none = new int[tokens.length];
    Arrays.fill(none, -1);
    return new Pass(params, new int[][] {tokens}, new int[][] {none});
  }

  /** One forward pass over a batch, keeping what the backward pass needs. */
  private final class Pass {
    final float[] p;
    final int[][] inputs;
    final int[][] targets;
    final int b;
    final int t;
    final int n;
    final int c;
    final int v;
    final float[][] x; // residual stream entering each layer, and after the last
    final float[][] x1; // after each layer's attention
    final float[][] xhat1;
    final float[][] rstd1;
    final float[][] a1;
    final float[][] qkv;
    final float[][] att; // [layer][((b * heads + h) * t + i) * t + j]
    final float[][] y;
    final float[][] xhat2;
    final float[][] rstd2;
    final float[][] a2;
    final float[][] hid;
    final float[][] gel;
    float[] xhatf;
    float[] rstdf;
    float[] xf;
    float[] logits;
    float[] probs;
    int scored;

    Pass(float[] p, int[][] inputs, int[][] targets) {
      if (p.length != parameterCount()) {
        throw new IllegalArgumentException("expected " + parameterCount() + " parameters, got " + p.length);
      }
      if (inputs.length == 0 || inputs.length != targets.length) {
        throw new IllegalArgumentException("a batch needs as many target rows as input rows, and at least one");
      }
      this.p = p;
      this.inputs = inputs;
      this.targets = targets;
      this.b = inputs.length;
      this.t = inputs[0].length;
      if (t < 1 || t > cfg.context()) {
        throw new IllegalArgumentException("sequences of " + t + " tokens; the context is " + cfg.context());
      }
      for (int i = 0; i < b; i++) {
        if (inputs[i].length != t || targets[i].length != t) {
          throw new IllegalArgumentException("sequence " + i + " is not " + t + " tokens long");
        }
        for (int j = 0; j < t; j++) {
          if (inputs[i][j] < 0 || inputs[i][j] >= cfg.vocab() || targets[i][j] < -1 || targets[i][j] >= cfg.vocab()) {
            throw new IllegalArgumentException("token out of the vocabulary at sequence " + i + ", position " + j);
          }
        }
      }
      this.n = b * t;
      this.c = cfg.width();
      this.v = cfg.vocab();
      int layers = cfg.layers();
      x = new float[layers + 1][];
      x1 = new float[layers][];
      xhat1 = new float[layers][];
      rstd1 = new float[layers][];
      a1 = new float[layers][];
      qkv = new float[layers][];
      att = new float[layers][];
      y = new float[layers][];
      xhat2 = new float[layers][];
      rstd2 = new float[layers][];
      a2 = new float[layers][];
      hid = new float[layers][];
      gel = new float[layers][];
    }

    double forward() {
      embed();
      for (int l = 0; l < cfg.layers(); l++) {
        layer(l);
      }
      return head();
    }

    /** x[0]: the token and position embeddings of the inputs. */
    void embed() {
      float[] x0 = new float[n * c];
      for (int s = 0; s < b; s++) {
        for (int i = 0; i < t; i++) {
          int row = (s * t + i) * c;
          int tok = wte + inputs[s][i] * c;
          int pos = wpe + i * c;
          for (int k = 0; k < c; k++) {
            x0[row + k] = p[tok + k] + p[pos + k];
          }
        }
      }
      x[0] = x0;
    }

    /** x[l + 1] from x[l]: block l's attention and MLP, each added to the residual stream. */
    void layer(int l) {
      xhat1[l] = new float[n * c];
      rstd1[l] = new float[n];
      a1[l] = layerNorm(x[l], blocks[l].ln1g(), blocks[l].ln1b(), xhat1[l], rstd1[l]);
      qkv[l] = linear(a1[l], n, c, blocks[l].wqkv(), blocks[l].bqkv(), 3 * c);
      att[l] = new float[b * cfg.heads() * t * t];
      y[l] = attention(qkv[l], att[l]);
      float[] proj = linear(y[l], n, c, blocks[l].wo(), blocks[l].bo(), c);
      x1[l] = add(x[l], proj);
      xhat2[l] = new float[n * c];
      rstd2[l] = new float[n];
      a2[l] = layerNorm(x1[l], blocks[l].ln2g(), blocks[l].ln2b(), xhat2[l], rstd2[l]);
      hid[l] = linear(a2[l], n, c, blocks[l].w1(), blocks[l].b1(), cfg.hidden());
      gel[l] = new float[hid[l].length];
      for (int i = 0; i < hid[l].length; i++) {
        float h = hid[l][i];
        gel[l][i] = 0.5f * h * (1 + (float) Math.tanh(GELU_C * (h + 0.044715f * h * h * h)));
      }
      float[] mlp = linear(gel[l], n, cfg.hidden(), blocks[l].w2(), blocks[l].b2(), c);
      x[l + 1] = add(x1[l], mlp);
    }

    /** The final norm, the logits, their softmax and the loss of the scored targets. */
    double head() {
      xhatf = new float[n * c];
      rstdf = new float[n];
      xf = layerNorm(x[cfg.layers()], lnfg, lnfb, xhatf, rstdf);
      // logits = xf * wte^T
      logits = matmul(xf, n, c, transpose(p, wte, v, c), v);
      probs = new float[n * v];
      double loss = 0;
      scored = 0;
      for (int r = 0; r < n; r++) {
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < v; k++) {
          max = Math.max(max, logits[r * v + k]);
        }
        double sum = 0;
        for (int k = 0; k < v; k++) {
          double e = Math.exp(logits[r * v + k] - max);
          probs[r * v + k] = (float) e;
          sum += e;
        }
        for (int k = 0; k < v; k++) {
          probs[r * v + k] = (float) (probs[r * v + k] / sum);
        }
        int target = targets[r / t][r % t];
        if (target >= 0) {
          loss -= (logits[r * v + target] - max) - Math.log(sum);
          scored++;
        }
      }
      return scored == 0 ? 0 : loss / scored;
    }

    void backward(float[] g, boolean mean) {
      float[] dlogits = new float[n * v];
      if (scored > 0) {
        float inv = mean ? 1f / scored : 1f;
        for (int r = 0; r < n; r++) {
          int target = targets[r / t][r % t];
          if (target >= 0) {
            for (int k = 0; k < v; k++) {
              dlogits[r * v + k] = probs[r * v + k] * inv;
            }
            dlogits[r * v + target] -= inv;
          }
        }
      }
      // logits = xf * wte^T: dxf = dlogits * wte, dwte += dlogits^T * xf
      float[] dxf = matmul(dlogits, n, v, Arrays.copyOfRange(p, wte, wte + v * c), c);
      accumulate(g, wte, matmul(transpose(dlogits, 0, n, v), v, n, xf, c));
      float[] dx = layerNormBackward(dxf, xhatf, rstdf, lnfg, lnfb, g);
      for (int l = cfg.layers() - 1; l >= 0; l--) {
        // x[l+1] = x1 + gelu(a2 W1 + b1) W2 + b2
        float[] dgel = linearBackward(dx, gel[l], n, cfg.hidden(), blocks[l].w2(), blocks[l].b2(), c, g);
        float[] dhid = new float[dgel.length];
        for (int i = 0; i < dgel.length; i++) {
          float h = hid[l][i];
          float u = GELU_C * (h + 0.044715f * h * h * h);
          float th = (float) Math.tanh(u);
          float dg = 0.5f * (1 + th) + 0.5f * h * (1 - th * th) * GELU_C * (1 + 3 * 0.044715f * h * h);
          dhid[i] = dgel[i] * dg;
        }
        float[] da2 = linearBackward(dhid, a2[l], n, c, blocks[l].w1(), blocks[l].b1(), cfg.hidden(), g);
        float[] dx1 = add(dx, layerNormBackward(da2, xhat2[l], rstd2[l], blocks[l].ln2g(), blocks[l].ln2b(), g));
        // x1 = x + attention(a1) Wo + bo
        float[] dy = linearBackward(dx1, y[l], n, c, blocks[l].wo(), blocks[l].bo(), c, g);
        float[] dqkv = attentionBackward(dy, qkv[l], att[l]);
        float[] da1 = linearBackward(dqkv, a1[l], n, c, blocks[l].wqkv(), blocks[l].bqkv(), 3 * c, g);
        dx = add(dx1, layerNormBackward(da1, xhat1[l], rstd1[l], blocks[l].ln1g(), blocks[l].ln1b(), g));
      }
      for (int s = 0; s < b; s++) {
        for (int i = 0; i < t; i++) {
          int row = (s * t + i) * c;
          int tok = wte + inputs[s][i] * c;
          int pos = wpe + i * c;
          for (int k = 0; k < c; k++) {
            g[tok + k] += dx[row + k];
            g[pos + k] += dx[row + k];
          }
        }
      }
    }

    /** Layer norm of each row of {@code in} with gain and bias at the given offsets; keeps x-hat and 1/std. */
    float[] layerNorm(float[] in, int gain, int bias, float[] xhat, float[] rstd) {
      float[] out = new float[in.length];
      for (int r = 0; r < n; r++) {
        double mean = 0;
        for (int k = 0; k < c; k++) {
          mean += in[r * c + k];
        }
        mean /= c;
        double var = 0;
        for (int k = 0; k < c; k++) {
          double d = in[r * c + k] - mean;
          var += d * d;
        }
        var /= c;
        float rs = (float) (1 / Math.sqrt(var + LN_EPS));
        rstd[r] = rs;
        for (int k = 0; k < c; k++) {
          float xh = (float) ((in[r * c + k] - mean) * rs);
          xhat[r * c + k] = xh;
          out[r * c + k] = xh * p[gain + k] + p[bias + k];
        }
      }
      return out;
    }

    float[] layerNormBackward(float[] dout, float[] xhat, float[] rstd, int gain, int bias, float[] g) {
      float[] dx = new float[dout.length];
      for (int r = 0; r < n; r++) {
        double meanD = 0;
        double meanDx = 0;
        for (int k = 0; k < c; k++) {
          float d = dout[r * c + k];
          float dxh = d * p[gain + k];
          g[gain + k] += d * xhat[r * c + k];
          g[bias + k] += d;
          meanD += dxh;
          meanDx += dxh * xhat[r * c + k];
        }
        meanD /= c;
        meanDx /= c;
        for (int k = 0; k < c; k++) {
          float dxh = dout[r * c + k] * p[gain + k];
          dx[r * c + k] = (float) (rstd[r] * (dxh - meanD - xhat[r * c + k] * meanDx));
        }
      }
      return dx;
    }

    /** {@code in (rows x k) * W (k x cols) + bias}, W and bias read from the parameters. */
    float[] linear(float[] in, int rows, int k, int weight, int bias, int cols) {
      float[] out = matmul(in, rows, k, Arrays.copyOfRange(p, weight, weight + k * cols), cols);
      for (int r = 0; r < rows; r++) {
        for (int j = 0; j < cols; j++) {
          out[r * cols + j] += p[bias + j];
        }
      }
      return out;
    }

    /** Adds the gradients of W and the bias of {@link #linear}; returns the gradient of its input. */
    float[] linearBackward(float[] dout, float[] in, int rows, int k, int weight, int bias, int cols, float[] g) {
      accumulate(g, weight, matmul(transpose(in, 0, rows, k), k, rows, dout, cols));
      for (int r = 0; r < rows; r++) {
        for (int j = 0; j < cols; j++) {
          g[bias + j] += dout[r * cols + j];
        }
      }
      return matmul(dout, rows, cols, transpose(p, weight, k, cols), k);
    }

    /** Causal multi-head self-attention over the q, k, v packed in {@code qkv} ({@code n x 3c}). */
    float[] attention(float[] qkv, float[] att) {
      int heads = cfg.heads();
      int hs = cfg.headSize();
      float scale = (float) (1 / Math.sqrt(hs));
      float[] out = new float[n * c];
      for (int s = 0; s < b; s++) {
        for (int h = 0; h < heads; h++) {
          for (int i = 0; i < t; i++) {
            int q = (s * t + i) * 3 * c + h * hs;
            int a = ((s * heads + h) * t + i) * t;
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j <= i; j++) {
              int key = (s * t + j) * 3 * c + c + h * hs;
              float dot = 0;
              for (int d = 0; d < hs; d++) {
                dot += qkv[q + d] * qkv[key + d];
              }
              att[a + j] = dot * scale;
              max = Math.max(max, att[a + j]);
            }
            double sum = 0;
            for (int j = 0; j <= i; j++) {
              double e = Math.exp(att[a + j] - max);
              att[a + j] = (float) e;
              sum += e;
            }
            int o = (s * t + i) * c + h * hs;
            for (int j = 0; j <= i; j++) {
              att[a + j] = (float) (att[a + j] / sum);
              int value = (s * t + j) * 3 * c + 2 * c + h * hs;
              for (int d = 0; d < hs; d++) {
                out[o + d] += att[a + j] * qkv[value + d];
              }
            }
          }
        }
      }
      return out;
    }

    float[] attentionBackward(float[] dout, float[] qkv, float[] att) {
      int heads = cfg.heads();
      int hs = cfg.headSize();
      float scale = (float) (1 / Math.sqrt(hs));
      float[] dqkv = new float[n * 3 * c];
      float[] datt = new float[t];
      for (int s = 0; s < b; s++) {
        for (int h = 0; h < heads; h++) {
          for (int i = 0; i < t; i++) {
            int a = ((s * heads + h) * t + i) * t;
            int o = (s * t + i) * c + h * hs;
            double weighted = 0;
            for (int j = 0; j <= i; j++) {
              int value = (s * t + j) * 3 * c + 2 * c + h * hs;
              float dot = 0;
              for (int d = 0; d < hs; d++) {
                dot += dout[o + d] * qkv[value + d];
                dqkv[value + d] += att[a + j] * dout[o + d];
              }
              datt[j] = dot;
              weighted += att[a + j] * dot;
            }
            int q = (s * t + i) * 3 * c + h * hs;
            for (int j = 0; j <= i; j++) {
              float dscore = (float) (att[a + j] * (datt[j] - weighted)) * scale;
              int key = (s * t + j) * 3 * c + c + h * hs;
              for (int d = 0; d < hs; d++) {
                dqkv[q + d] += dscore * qkv[key + d];
                dqkv[key + d] += dscore * qkv[q + d];
              }
            }
          }
        }
      }
      return dqkv;
    }
  }

  /** {@code a (rows x k) * b (k x cols)} through the kernels. */
  private float[] matmul(float[] a, int rows, int k, float[] b, int cols) {
    return kernels.multiply(new Matrix(rows, k, a), new Matrix(k, cols, b)).values();
  }

  /** The transpose of the {@code rows x cols} matrix at {@code from} in {@code m}. */
  private static float[] transpose(float[] m, int from, int rows, int cols) {
    float[] out = new float[rows * cols];
    for (int r = 0; r < rows; r++) {
      for (int j = 0; j < cols; j++) {
        out[j * rows + r] = m[from + r * cols + j];
      }
    }
    return out;
  }

  private static float[] add(float[] a, float[] b) {
    float[] out = new float[a.length];
    for (int i = 0; i < a.length; i++) {
      out[i] = a[i] + b[i];
    }
    return out;
  }

  private static void accumulate(float[] g, int from, float[] values) {
    for (int i = 0; i < values.length; i++) {
      g[from + i] += values[i];
    }
  }
}
