package io.demlearn.core.model;

import io.demlearn.core.Seeds;
import io.demlearn.core.data.Dataset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Fully connected networks with ReLU between layers and a softmax cross-entropy output: multinomial
 * logistic regression is the one-layer case (784 -> 10), the MLP the two-layer one (784 -> 100 ->
 * 10). Parameters: for each layer its weight [out x in] row-major, then its bias [out], as
 * PyTorch's nn.Linear stores them. All arithmetic is float32 ND4J (BLAS gemm into preallocated
 * arrays); the trainer's working memory is allocated once per trainer.
 */
public class DenseNetwork implements Model {
  private final ModelKind kind;
  private final int[] sizes;
  private final int[] weightOffset;
  private final int[] biasOffset;
  private final int dimension;
  private final DataType precision;

  /**
   * @param sizes layer widths from input to output, e.g. {784, 10}
   */
  DenseNetwork(ModelKind kind, DataType precision, int... sizes) {
    if (sizes.length < 2) {
      throw new IllegalArgumentException("a network needs an input and an output size");
    }
    Tensors.init();
    this.kind = kind;
    this.precision = precision;
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
    try (DenseTrainer t = new DenseTrainer()) {
      t.load(params);
      INDArray x =
          Nd4j.create(batch.features(), new long[] {batch.size(), inputs()}, DataType.FLOAT)
              .castTo(precision);
      INDArray y = oneHot(batch.labels(), classes(), precision);
      double loss = t.gradient(x, y, batch.size(), true);
      float[] g = t.grad.castTo(DataType.FLOAT).toFloatVector();
      System.arraycopy(g, 0, gradient, 0, dimension);
      return loss;
    }
  }

  @Override
  public Predictor predictor(Dataset data) {
    int n = data.size();
    int c = classes();
    INDArray x =
        n == 0
            ? null
            : Nd4j.create(data.features(), new long[] {n, inputs()}, DataType.FLOAT)
                .castTo(precision);
    DenseTrainer t = new DenseTrainer();
    return new Predictor() {
      @Override
      public int[] predict(float[] p) {
        checkLength(p);
        if (n == 0) {
          return new int[0];
        }
        // always the same gemm shapes: a model's predictions do not depend on the others predicted
        t.load(p);
        INDArray logits = t.forward(x, n);
        return Tensors.argmaxOfRows(logits);
      }

      @Override
      public void close() {
        t.close();
        if (x != null) {
          x.close();
        }
      }
    };
  }

  private void checkLength(float[] p) {
    if (p.length != dimension) {
      throw new IllegalArgumentException(
          kind.label() + " parameters have " + dimension + " values, got " + p.length);
    }
  }

  /**
   * Index of the largest of {@code width} values at {@code offset} in each row (first one on ties).
   */
  static int[] argmaxBlocks(float[] z, int rows, int stride, int offset, int width) {
    int[] out = new int[rows];
    for (int i = 0; i < rows; i++) {
      int base = i * stride + offset;
      int best = 0;
      float bestValue = z[base];
      for (int k = 1; k < width; k++) {
        if (z[base + k] > bestValue) {
          bestValue = z[base + k];
          best = k;
        }
      }
      out[i] = best;
    }
    return out;
  }

  static INDArray oneHot(int[] labels, int classes, DataType type) {
    float[] y = new float[labels.length * classes];
    for (int i = 0; i < labels.length; i++) {
      y[i * classes + labels[i]] = 1f;
    }
    return Nd4j.create(y, new long[] {labels.length, classes}, DataType.FLOAT).castTo(type);
  }

  /** Working memory of one training thread. */
  final class DenseTrainer implements Trainer {
    final INDArray params = Nd4j.create(precision, dimension);
    final INDArray grad = Nd4j.create(precision, dimension);
    private final INDArray reference = Nd4j.create(precision, dimension);
    private final INDArray[] w = new INDArray[layers()];
    private final INDArray[] b = new INDArray[layers()];
    private final INDArray[] gw = new INDArray[layers()];
    private final INDArray[] gb = new INDArray[layers()];

    /** activations[l]: input of layer l (l >= 1), rows = capacity. */
    private INDArray[] activations = new INDArray[layers() + 1];

    private INDArray[] deltas = new INDArray[layers() + 1];
    private INDArray ones;
    private int capacity;

    DenseTrainer() {
      for (int l = 0; l < layers(); l++) {
        w[l] = view(params, weightOffset[l], sizes[l + 1], sizes[l]);
        b[l] = view(params, biasOffset[l], 1, sizes[l + 1]);
        gw[l] = view(grad, weightOffset[l], sizes[l + 1], sizes[l]);
        gb[l] = view(grad, biasOffset[l], 1, sizes[l + 1]);
      }
    }

    private INDArray view(INDArray flat, int offset, int rows, int cols) {
      return flat.get(NDArrayIndex.interval(offset, offset + (long) rows * cols))
          .reshape('c', rows, cols);
    }

    private void ensureCapacity(int rows) {
      if (rows <= capacity) {
        return;
      }
      capacity = Math.max(rows, 16);
      for (int l = 1; l <= layers(); l++) {
        activations[l] = Nd4j.create(precision, capacity, sizes[l]);
        deltas[l] = Nd4j.create(precision, capacity, sizes[l]);
      }
      ones = Nd4j.ones(precision, 1, capacity);
    }

    void load(float[] p) {
      checkLength(p);
      Tensors.write(params, p, dimension);
    }

    private static INDArray rows(INDArray a, int n) {
      return a.get(NDArrayIndex.interval(0, n), NDArrayIndex.all());
    }

    /** Logits of the first n rows of x (a view into working memory). */
    INDArray forward(INDArray x, int n) {
      ensureCapacity(n);
      INDArray input = x;
      for (int l = 0; l < layers(); l++) {
        INDArray z = rows(activations[l + 1], n);
        Nd4j.gemm(input, w[l], z, false, true, 1.0, 0.0);
        z.addiRowVector(b[l]);
        if (l < layers() - 1) {
          Transforms.relu(z, false);
        }
        input = z;
      }
      return input;
    }

    /**
     * Gradient of the mean cross-entropy over the n rows of x into {@link #grad}; loss if asked.
     */
    double gradient(INDArray x, INDArray yOneHot, int n, boolean wantLoss) {
      INDArray logits = forward(x, n);
      Transforms.softmax(logits, false);
      double loss = 0;
      if (wantLoss) {
        INDArray picked = logits.mul(yOneHot).sum(1);
        loss = -Transforms.log(picked, false).meanNumber().doubleValue();
      }
      INDArray delta = logits.subi(yOneHot).divi(n);
      INDArray onesN = ones.get(NDArrayIndex.all(), NDArrayIndex.interval(0, n));
      for (int l = layers() - 1; l >= 0; l--) {
        INDArray input = l == 0 ? x : rows(activations[l], n);
        Nd4j.gemm(delta, input, gw[l], true, false, 1.0, 0.0);
        Nd4j.gemm(onesN, delta, gb[l], false, false, 1.0, 0.0);
        if (l > 0) {
          INDArray next = rows(deltas[l], n);
          Nd4j.gemm(delta, w[l], next, false, false, 1.0, 0.0);
          next.muli(Transforms.step(input, true));
          delta = next;
        }
      }
      return loss;
    }

    @Override
    public void train(
        float[] p, Dataset data, float[] ref, TrainingSettings s, SplittableRandom random) {
      load(p);
      boolean prox = ref != null && s.mu() > 0;
      if (prox) {
        checkLength(ref);
        Tensors.write(reference, ref, dimension);
      }
      int n = data.size();
      int d = inputs();
      int c = classes();
      int[] order = new int[n];
      float[] xs = new float[n * d];
      float[] ys = new float[n * c];
      INDArray xe = n == 0 ? null : Nd4j.create(precision, n, d);
      INDArray ye = n == 0 ? null : Nd4j.create(precision, n, c);
      for (int epoch = 0; epoch < s.epochs() && n > 0; epoch++) {
        for (int i = 0; i < n; i++) {
          order[i] = i;
        }
        Seeds.shuffle(order, random);
        Arrays.fill(ys, 0f);
        for (int i = 0; i < n; i++) {
          System.arraycopy(data.features(), order[i] * d, xs, i * d, d);
          ys[i * c + data.labels()[order[i]]] = 1f;
        }
        Tensors.write(xe, xs, n * d);
        Tensors.write(ye, ys, n * c);
        for (int from = 0; from < n; from += s.batchSize()) {
          int to = Math.min(n, from + s.batchSize());
          INDArray xb = xe.get(NDArrayIndex.interval(from, to), NDArrayIndex.all());
          INDArray yb = ye.get(NDArrayIndex.interval(from, to), NDArrayIndex.all());
          gradient(xb, yb, to - from, false);
          if (prox) {
            Nd4j.getBlasWrapper().level1().axpy(dimension, s.mu(), params, grad);
            Nd4j.getBlasWrapper().level1().axpy(dimension, -s.mu(), reference, grad);
          }
          Nd4j.getBlasWrapper().level1().axpy(dimension, -s.learningRate(), grad, params);
        }
      }
      if (xe != null) {
        xe.close();
        ye.close();
      }
      System.arraycopy(Tensors.read(params, dimension), 0, p, 0, dimension);
    }

    @Override
    public void close() {
      params.close();
      grad.close();
      reference.close();
    }
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
