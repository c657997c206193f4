package io.demlearn.core.model;

import io.demlearn.core.Seeds;
import io.demlearn.core.data.Dataset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Fully connected networks with ReLU between layers and a softmax cross-entropy output: multinomial
 * logistic regression is the one-layer case (784 -> 10), the MLP the two-layer one (784 -> 100 ->
 * 10). Parameters: for each layer its weight [out x in] row-major, then its bias [out], as
 * PyTorch's nn.Linear stores them.
 *
 * <p>All arithmetic is float32 in plain Java ({@link FloatLoops}): at these sizes (batches of 10
 * rows of 784 values) a call into a native tensor library costs more than its arithmetic, and plain
 * loops give the same bits under every JIT compiler. While it trains, a layer with many outputs
 * ({@link #WIDE} or more) keeps its weight transposed ([in x out]), so that its forward and
 * gradient loops run along the outputs, long and without a running sum; a layer with few outputs
 * keeps PyTorch's layout, and its loops run along the inputs. A predictor runs along the samples,
 * in blocks of up to {@link #MAX_BLOCK}, so that one model predicts a large test set at vector
 * speed; each logit is summed in input order, whatever the set's size.
 */
public class DenseNetwork implements Model {
  /** Layers with at least this many outputs train with their weight transposed. */
  static final int WIDE = 32;

  /**
   * The most samples a predictor takes at a time: long rows for its loops, and a block of the MLP's
   * hidden layer (100 rows) still fits in a core's second-level cache.
   */
  static final int MAX_BLOCK = 1024;

  private final ModelKind kind;
  private final int[] sizes;
  private final int[] weightOffset;
  private final int[] biasOffset;
  private final int dimension;

  /**
   * @param sizes layer widths from input to output, e.g. {784, 10}
   */
  DenseNetwork(ModelKind kind, int... sizes) {
    if (sizes.length < 2) {
      throw new IllegalArgumentException("a network needs an input and an output size");
    }
    this.kind = kind;
    this.sizes = sizes.clone();
    int layers = sizes.length - 1;
    weightOffset = new int[layers];
    biasOffset = new int[layers];
    int at = 0;
    for (int l = 0; l < layers; l++) {
      weightOffset[l] = at;
      at += sizes[l + 1] * sizes[l];
      biasOffset[l] = at;
      at += sizes[l + 1];
    }
    dimension = at;
  }

  /** Number of parameters of a network of these layer widths, without building it. */
  static int dimension(int... sizes) {
    long at = 0;
    for (int l = 0; l + 1 < sizes.length; l++) {
      at += (long) sizes[l + 1] * sizes[l] + sizes[l + 1];
    }
    if (at > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(
          "a network of widths " + java.util.Arrays.toString(sizes) + " has too many parameters");
    }
    return (int) at;
  }

  @Override
  public ModelKind kind() {
    return kind;
  }

  @Override
  public int dimension() {
    return dimension;
  }

  int layers() {
    return sizes.length - 1;
  }

  int classes() {
    return sizes[sizes.length - 1];
  }

  int inputs() {
    return sizes[0];
  }

  /** Whether layer l trains with its weight transposed. */
  private boolean wide(int l) {
    return sizes[l + 1] >= WIDE;
  }

  @Override
  public float[] initialParameters(SplittableRandom random) {
    float[] p = new float[dimension];
    for (int l = 0; l < layers(); l++) {
      double bound = 1.0 / Math.sqrt(sizes[l]);
      for (int i = weightOffset[l]; i < biasOffset[l] + sizes[l + 1]; i++) {
        p[i] = (float) ((random.nextDouble() * 2 - 1) * bound);
      }
    }
    return p;
  }

  @Override
  public Trainer trainer() {
    return new DenseTrainer();
  }

  @Override
  public double lossAndGradient(float[] params, Dataset batch, float[] gradient) {
    checkLength(params);
    DenseTrainer t = new DenseTrainer();
    t.load(params, t.w, t.b);
    int n = batch.size();
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    t.batch(batch, order, 0, n);
    t.forward(n);
    double loss = t.outputDelta(batch.labels(), n, true) / n;
    t.backward(n);
    t.store(t.gw, t.gb, gradient);
    return loss;
  }

  @Override
  public Predictor predictor(Dataset data) {
    return new BlockPredictor(data);
  }

  private void checkLength(float[] p) {
    if (p.length != dimension) {
      throw new IllegalArgumentException(
          kind.label() + " parameters have " + dimension + " values, got " + p.length);
    }
  }

  private static void relu(float[] z, int length) {
    for (int k = 0; k < length; k++) {
      z[k] = z[k] > 0 ? z[k] : 0f;
    }
  }

  /** Working memory of one training thread. */
  final class DenseTrainer implements Trainer {
    /**
     * Per layer: weight rows (a wide layer's are its inputs' [in][out], a narrow one's its outputs'
     * [out][in]), bias, their gradients alike, the proximal target alike.
     */
    final float[][][] w = new float[layers()][][];

    final float[][] b = new float[layers()][];
    final float[][][] gw = new float[layers()][][];
    final float[][] gb = new float[layers()][];
    private final float[][][] rw = new float[layers()][][];
    private final float[][] rb = new float[layers()][];

    /** The batch's input rows, copied out of the data set. */
    private float[][] x = new float[0][];

    /** act[l], l >= 1: layer l's input rows (after ReLU). */
    private final float[][][] act = new float[layers()][][];

    /**
     * delta[l]: layer l's output rows: the logits, then the loss's gradient with respect to them.
     */
    private final float[][][] delta = new float[layers()][][];

    /** One column of a batch's rows. */
    private float[] column = new float[0];

    DenseTrainer() {
      for (int l = 0; l < layers(); l++) {
        int nin = sizes[l];
        int nout = sizes[l + 1];
        w[l] = wide(l) ? new float[nin][nout] : new float[nout][nin];
        gw[l] = wide(l) ? new float[nin][nout] : new float[nout][nin];
        rw[l] = wide(l) ? new float[nin][nout] : new float[nout][nin];
        b[l] = new float[nout];
        gb[l] = new float[nout];
        rb[l] = new float[nout];
      }
    }

    private void ensureCapacity(int n) {
      if (n <= x.length) {
        return;
      }
      int capacity = Math.max(n, 16);
      x = new float[capacity][inputs()];
      column = new float[capacity];
      for (int l = 0; l < layers(); l++) {
        delta[l] = new float[capacity][sizes[l + 1]];
        if (l > 0) {
          act[l] = new float[capacity][sizes[l]];
        }
      }
    }

    /** Parameters in PyTorch's layout into per-layer rows in the training layout. */
    void load(float[] p, float[][][] weights, float[][] biases) {
      copy(p, weights, biases, true);
    }

    /** The reverse of {@link #load}. */
    void store(float[][][] weights, float[][] biases, float[] p) {
      copy(p, weights, biases, false);
    }

    private void copy(float[] p, float[][][] weights, float[][] biases, boolean intoRows) {
      for (int l = 0; l < layers(); l++) {
        int nin = sizes[l];
        int nout = sizes[l + 1];
        for (int j = 0; j < nout; j++) {
          int at = weightOffset[l] + j * nin;
          for (int k = 0; wide(l) && k < nin; k++) {
            if (intoRows) {
              weights[l][k][j] = p[at + k];
            } else {
              p[at + k] = weights[l][k][j];
            }
          }
          if (!wide(l)) {
            copy(p, at, weights[l][j], 0, nin, intoRows);
          }
        }
        copy(p, biasOffset[l], biases[l], 0, nout, intoRows);
      }
    }

    private static void copy(float[] flat, int at, float[] row, int from, int n, boolean intoRow) {
      if (intoRow) {
        System.arraycopy(flat, at, row, from, n);
      } else {
        System.arraycopy(row, from, flat, at, n);
      }
    }

    /** Copies the data set's rows {@code order[from .. from + n)} into the batch. */
    void batch(Dataset data, int[] order, int from, int n) {
      ensureCapacity(n);
      int d = inputs();
      for (int i = 0; i < n; i++) {
        System.arraycopy(data.features(), order[from + i] * d, x[i], 0, d);
      }
    }

    /** The logits of the batch's n rows into delta[last]. */
    void forward(int n) {
      float[][] in = x;
      for (int l = 0; l < layers(); l++) {
        int nin = sizes[l];
        int nout = sizes[l + 1];
        float[][] z = l == layers() - 1 ? delta[l] : act[l + 1];
        for (int i = 0; i < n; i++) {
          float[] zi = z[i];
          if (wide(l)) {
            System.arraycopy(b[l], 0, zi, 0, nout);
            FloatLoops.axpyRows(nout, nin, in[i], w[l], zi);
          } else {
            for (int j = 0; j < nout; j++) {
              zi[j] = b[l][j] + FloatLoops.dot(w[l][j], in[i], nin);
            }
          }
          if (l < layers() - 1) {
            relu(zi, nout);
          }
        }
        in = z;
      }
    }

    /**
     * Turns the logits in delta[last] into the gradient of the mean cross-entropy over n rows,
     * (softmax - onehot(label)) / n; returns the summed loss if asked, else 0.
     */
    double outputDelta(int[] labels, int n, boolean wantLoss) {
      int c = classes();
      double loss = 0;
      for (int i = 0; i < n; i++) {
        float[] z = delta[layers() - 1][i];
        int y = labels[i];
        float max = z[0];
        for (int j = 1; j < c; j++) {
          max = Math.max(max, z[j]);
        }
        float shiftedY = z[y] - max;
        float sum = 0;
        for (int j = 0; j < c; j++) {
          float e = (float) StrictMath.exp(z[j] - max);
          z[j] = e;
          sum += e;
        }
        if (wantLoss) {
          loss += StrictMath.log(sum) - shiftedY;
        }
        for (int j = 0; j < c; j++) {
          z[j] = (z[j] / sum - (j == y ? 1f : 0f)) / n;
        }
      }
      return loss;
    }

    /** Gradients of every layer into gw, gb, from delta[last] and the batch forward saw. */
    void backward(int n) {
      for (int l = layers() - 1; l >= 0; l--) {
        int nin = sizes[l];
        int nout = sizes[l + 1];
        float[][] in = l == 0 ? x : act[l];
        float[][] d = delta[l];
        Arrays.fill(gb[l], 0f);
        for (int i = 0; i < n; i++) {
          FloatLoops.axpy(nout, 1f, d[i], gb[l]);
        }
        if (wide(l)) {
          for (int k = 0; k < nin; k++) {
            for (int i = 0; i < n; i++) {
              column[i] = in[i][k];
            }
            Arrays.fill(gw[l][k], 0f);
            FloatLoops.axpyRows(nout, n, column, d, gw[l][k]);
          }
        } else {
          for (int j = 0; j < nout; j++) {
            for (int i = 0; i < n; i++) {
              column[i] = d[i][j];
            }
            Arrays.fill(gw[l][j], 0f);
            FloatLoops.axpyRows(nin, n, column, in, gw[l][j]);
          }
        }
        if (l > 0) {
          propagate(l, n);
        }
      }
    }

    /** delta[l - 1] from delta[l]: through layer l's weight, then ReLU's derivative. */
    private void propagate(int l, int n) {
      int nin = sizes[l];
      int nout = sizes[l + 1];
      for (int i = 0; i < n; i++) {
        float[] d = delta[l][i];
        float[] down = delta[l - 1][i];
        float[] a = act[l][i];
        if (wide(l)) {
          for (int k = 0; k < nin; k++) {
            down[k] = FloatLoops.dot(w[l][k], d, nout);
          }
        } else {
          Arrays.fill(down, 0f);
          FloatLoops.axpyRows(nin, nout, d, w[l], down);
        }
        for (int k = 0; k < nin; k++) {
          if (!(a[k] > 0)) {
            down[k] = 0f;
          }
        }
      }
    }

    /** One SGD step: p -= lr * (g + mu * (p - reference)), or p -= lr * g without a reference. */
    private void step(float lr, float mu, boolean prox) {
      for (int l = 0; l < layers(); l++) {
        for (int r = 0; r < w[l].length; r++) {
          update(w[l][r], gw[l][r], rw[l][r], lr, mu, prox);
        }
        update(b[l], gb[l], rb[l], lr, mu, prox);
      }
    }

    private static void update(float[] p, float[] g, float[] r, float lr, float mu, boolean prox) {
      if (prox) {
        for (int k = 0; k < p.length; k++) {
          p[k] -= lr * (g[k] + mu * (p[k] - r[k]));
        }
      } else {
        for (int k = 0; k < p.length; k++) {
          p[k] -= lr * g[k];
        }
      }
    }

    @Override
    public void train(
        float[] p, Dataset data, float[] ref, TrainingSettings s, SplittableRandom random) {
      checkLength(p);
      load(p, w, b);
      boolean prox = ref != null && s.mu() > 0;
      if (prox) {
        checkLength(ref);
        load(ref, rw, rb);
      }
      int n = data.size();
      int batch = Math.min(s.batchSize(), Math.max(n, 1));
      int[] order = new int[n];
      int[] labels = new int[batch];
      float lr = (float) s.learningRate();
      float mu = (float) s.mu();
      for (int epoch = 0; epoch < s.epochs() && n > 0; epoch++) {
        for (int i = 0; i < n; i++) {
          order[i] = i;
        }
        Seeds.shuffle(order, random);
        for (int from = 0; from < n; from += batch) {
          int m = Math.min(n, from + batch) - from;
          for (int i = 0; i < m; i++) {
            labels[i] = data.labels()[order[from + i]];
          }
          batch(data, order, from, m);
          forward(m);
          outputDelta(labels, m, false);
          backward(m);
          step(lr, mu, prox);
        }
      }
      store(w, b, p);
    }
  }

  /**
   * Predicts one data set, held transposed in equal blocks of up to {@link #MAX_BLOCK} samples
   * (rounded up to a multiple of 16; per block, one row per input), so that every loop runs along
   * the samples of a block: output j's logits are its bias, then plus weight[j][k] times input k's
   * row, k in order.
   */
  private final class BlockPredictor implements Predictor {
    private final int n;
    private final int block;
    private final float[][][] xt;
    private final float[][][] weights = new float[layers()][][];
    private final float[][] bias = new float[layers()][];
    private final float[][][] z = new float[layers()][][];

    BlockPredictor(Dataset data) {
      n = data.size();
      int d = inputs();
      int blocks = Math.max(1, (n + MAX_BLOCK - 1) / MAX_BLOCK);
      block = ((n + blocks - 1) / blocks + 15) / 16 * 16;
      xt = new float[blocks][d][block];
      float[] x = data.features();
      for (int s = 0; s < n; s++) {
        float[][] rows = xt[s / block];
        for (int k = 0; k < d; k++) {
          rows[k][s % block] = x[s * d + k];
        }
      }
      for (int l = 0; l < layers(); l++) {
        weights[l] = new float[sizes[l + 1]][sizes[l]];
        bias[l] = new float[sizes[l + 1]];
        z[l] = new float[sizes[l + 1]][block];
      }
    }

    @Override
    public int[] predict(float[] p) {
      checkLength(p);
      for (int l = 0; l < layers(); l++) {
        for (int j = 0; j < sizes[l + 1]; j++) {
          System.arraycopy(p, weightOffset[l] + j * sizes[l], weights[l][j], 0, sizes[l]);
        }
        System.arraycopy(p, biasOffset[l], bias[l], 0, sizes[l + 1]);
      }
      int[] out = new int[n];
      int c = classes();
      float[][] logits = z[layers() - 1];
      for (int blk = 0; blk < xt.length; blk++) {
        float[][] in = xt[blk];
        for (int l = 0; l < layers(); l++) {
          layer(l, in);
          in = z[l];
        }
        int count = Math.min(block, n - blk * block);
        for (int s = 0; s < count; s++) {
          int best = 0;
          float bestValue = logits[0][s];
          for (int j = 1; j < c; j++) {
            if (logits[j][s] > bestValue) {
              bestValue = logits[j][s];
              best = j;
            }
          }
          out[blk * block + s] = best;
        }
      }
      return out;
    }

    /** Layer l on a block's input rows into z[l]. */
    private void layer(int l, float[][] in) {
      int nin = sizes[l];
      int nout = sizes[l + 1];
      float[][] zl = z[l];
      float[][] wl = weights[l];
      for (int j = 0; j < nout; j++) {
        Arrays.fill(zl[j], bias[l][j]);
      }
      int k = 0;
      for (; k + 4 <= nin; k += 4) {
        for (int j = 0; j < nout; j++) {
          float[] wj = wl[j];
          FloatLoops.axpy4(
              block, wj[k], in[k], wj[k + 1], in[k + 1], wj[k + 2], in[k + 2], wj[k + 3], in[k + 3],
              zl[j]);
        }
      }
      for (; k < nin; k++) {
        for (int j = 0; j < nout; j++) {
          FloatLoops.axpy(block, wl[j][k], in[k], zl[j]);
        }
      }
      if (l < layers() - 1) {
        for (float[] row : zl) {
          relu(row, block);
        }
      }
    }

    @Override
    public void close() {}
  }

  /** Layer sizes, for messages. */
  public List<Integer> sizes() {
    List<Integer> out = new ArrayList<>();
    for (int s : sizes) {
      out.add(s);
    }
    return out;
  }
}
