package io.demlearn.core.model;

import io.demlearn.core.Seeds;
import io.demlearn.core.data.Dataset;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.nd4j.autodiff.loss.LossReduce;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.enums.WeightsFormat;
import org.nd4j.linalg.api.blas.params.MMulTranspose;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.layers.convolution.Pooling2D;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.PaddingMode;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Pooling2DConfig;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The authors' CNN for 28x28 images (their Net_DemAI): conv 1->32 5x5 pad 2, ReLU, max-pool 2,
 * dropout 0.4, conv 32->32 5x5 pad 2, ReLU, max-pool 2, dropout 0.4, FC 1568->512, ReLU, FC
 * 512->10; 834,922 parameters in PyTorch's order and layouts (conv weights [out, in, kh, kw], FC
 * weights [out, in]; the graph keeps conv weights as [kh, kw, in, out] and converts on load). Built
 * with SameDiff for automatic differentiation. Dropout masks are drawn from the agent's own random
 * stream and fed to the graph, so training is reproducible.
 */
public final class ConvNet implements Model {
  static final int C = 32;
  static final int FC = 512;
  static final int CLASSES = 10;
  static final double DROPOUT = 0.4;
  private static final String[] NAMES = {"w1", "b1", "w2", "b2", "w3", "b3", "w4", "b4"};
  private static final long[][] SHAPES = {
    {C, 1, 5, 5}, {C}, {C, C, 5, 5}, {C}, {FC, C * 7 * 7}, {FC}, {CLASSES, FC}, {CLASSES}
  };
  private static final int[] FAN_IN = {25, 25, C * 25, C * 25, C * 49, C * 49, FC, FC};
  private static final int[] OFFSET = new int[NAMES.length + 1];

  static {
    for (int i = 0; i < NAMES.length; i++) {
      OFFSET[i + 1] = OFFSET[i] + (int) Arrays.stream(SHAPES[i]).reduce(1, (a, b) -> a * b);
    }
  }

  public ConvNet() {
    Tensors.init();
  }

  @Override
  public ModelKind kind() {
    return ModelKind.CNN;
  }

  @Override
  public int dimension() {
    return OFFSET[NAMES.length];
  }

  @Override
  public float[] initialParameters(SplittableRandom random) {
    float[] p = new float[dimension()];
    for (int i = 0; i < NAMES.length; i++) {
      double bound = 1.0 / Math.sqrt(FAN_IN[i]);
      for (int k = OFFSET[i]; k < OFFSET[i + 1]; k++) {
        p[k] = (float) ((random.nextDouble() * 2 - 1) * bound);
      }
    }
    return p;
  }

  /**
   * Conv weights live in the graph as [kh, kw, in, out] (ND4J's native layout; its backprop needs
   * it).
   */
  static long[] graphShape(int i) {
    long[] s = SHAPES[i];
    return s.length == 4 ? new long[] {s[2], s[3], s[1], s[0]} : s;
  }

  /** A parameter block in PyTorch's layout, as the graph holds it. */
  static INDArray toGraph(int i, float[] block) {
    INDArray a = Nd4j.create(block, SHAPES[i], DataType.FLOAT);
    return SHAPES[i].length == 4 ? a.permute(2, 3, 1, 0).dup('c') : a;
  }

  /** A graph array back in PyTorch's layout, flat. */
  static float[] fromGraph(int i, INDArray a) {
    return (SHAPES[i].length == 4 ? a.permute(3, 2, 0, 1).dup('c') : a).data().asFloat();
  }

  /** One SameDiff graph with its variables; one thread at a time. */
  static final class Graph implements Trainer {
    final SameDiff sd = SameDiff.create();

    Graph() {
      SDVariable x = sd.placeHolder("input", DataType.FLOAT, -1, 1, 28, 28);
      SDVariable y = sd.placeHolder("label", DataType.FLOAT, -1, CLASSES);
      SDVariable m1 = sd.placeHolder("mask1", DataType.FLOAT, -1, C, 14, 14);
      SDVariable m2 = sd.placeHolder("mask2", DataType.FLOAT, -1, C, 7, 7);
      SDVariable[] v = new SDVariable[NAMES.length];
      for (int i = 0; i < NAMES.length; i++) {
        v[i] = sd.var(NAMES[i], Nd4j.zeros(DataType.FLOAT, graphShape(i)));
      }
      Conv2DConfig conv =
          Conv2DConfig.builder()
              .kH(5)
              .kW(5)
              .sH(1)
              .sW(1)
              .pH(2)
              .pW(2)
              .dH(1)
              .dW(1)
              .paddingMode(PaddingMode.VALID)
              .dataFormat(Conv2DConfig.NCHW)
              .weightsFormat(WeightsFormat.YXIO)
              .build();
      Pooling2DConfig pool =
          Pooling2DConfig.builder()
              .kH(2)
              .kW(2)
              .sH(2)
              .sW(2)
              .pH(0)
              .pW(0)
              .dH(1)
              .dW(1)
              .type(Pooling2D.Pooling2DType.MAX)
              .paddingMode(PaddingMode.VALID)
              .isNHWC(false)
              .build();
      SDVariable h = sd.nn().relu(sd.cnn().conv2d(x, v[0], v[1], conv), 0);
      h = sd.cnn().maxPooling2d(h, pool).mul(m1);
      h = sd.nn().relu(sd.cnn().conv2d(h, v[2], v[3], conv), 0);
      h = sd.cnn().maxPooling2d(h, pool).mul(m2);
      h = h.reshape(sd.constant(Nd4j.createFromArray(-1L, (long) C * 7 * 7)));
      MMulTranspose transposeB = MMulTranspose.builder().transposeB(true).build();
      h = sd.nn().relu(h.mmul(null, v[4], transposeB).add(v[5]), 0);
      SDVariable logits = h.mmul(null, v[6], transposeB).add(v[7]);
      logits.rename("logits");
      sd.loss()
          .softmaxCrossEntropy(
              "loss", y, logits, null, LossReduce.MEAN_BY_NONZERO_WEIGHT_COUNT, 0.0);
      sd.setLossVariables("loss");
    }

    void load(float[] p) {
      for (int i = 0; i < NAMES.length; i++) {
        // assign in place: the graph (and its gradient function) keep their own arrays
        sd.getVariable(NAMES[i])
            .getArr()
            .assign(toGraph(i, Arrays.copyOfRange(p, OFFSET[i], OFFSET[i + 1])));
      }
    }

    void store(float[] p) {
      for (int i = 0; i < NAMES.length; i++) {
        float[] values = fromGraph(i, sd.getVariable(NAMES[i]).getArr());
        System.arraycopy(values, 0, p, OFFSET[i], values.length);
      }
    }

    Map<String, INDArray> feed(INDArray x, INDArray y, int n, SplittableRandom dropout) {
      Map<String, INDArray> f = new LinkedHashMap<>();
      f.put("input", x);
      f.put("label", y);
      f.put("mask1", mask(n, 14, dropout));
      f.put("mask2", mask(n, 7, dropout));
      return f;
    }

    /** Inverted dropout: kept units scaled by 1/(1-p); all ones at evaluation (dropout null). */
    static INDArray mask(int n, int side, SplittableRandom dropout) {
      float[] m = new float[n * C * side * side];
      if (dropout == null) {
        Arrays.fill(m, 1f);
      } else {
        float keep = (float) (1 / (1 - DROPOUT));
        for (int i = 0; i < m.length; i++) {
          m[i] = dropout.nextDouble() < DROPOUT ? 0f : keep;
        }
      }
      return Nd4j.create(m, new long[] {n, C, side, side}, DataType.FLOAT);
    }

    static INDArray images(float[] features, int from, int n) {
      return Nd4j.create(
          Arrays.copyOfRange(features, from * 784, (from + n) * 784),
          new long[] {n, 1, 28, 28},
          DataType.FLOAT);
    }

    @Override
    public void train(
        float[] params,
        Dataset data,
        float[] reference,
        TrainingSettings s,
        SplittableRandom random) {
      load(params);
      boolean prox = reference != null && s.mu() > 0;
      INDArray[] scaledRef = new INDArray[NAMES.length]; // lr * mu * reference
      if (prox) {
        for (int i = 0; i < NAMES.length; i++) {
          scaledRef[i] =
              toGraph(i, Arrays.copyOfRange(reference, OFFSET[i], OFFSET[i + 1]))
                  .muli(s.learningRate() * s.mu());
        }
      }
      int n = data.size();
      int[] order = new int[n];
      float[] xs = new float[n * 784];
      for (int epoch = 0; epoch < s.epochs() && n > 0; epoch++) {
        for (int i = 0; i < n; i++) {
          order[i] = i;
        }
        Seeds.shuffle(order, random);
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
          System.arraycopy(data.features(), order[i] * 784, xs, i * 784, 784);
          labels[i] = data.labels()[order[i]];
        }
        for (int from = 0; from < n; from += s.batchSize()) {
          int b = Math.min(s.batchSize(), n - from);
          Map<String, INDArray> batch =
              feed(
                  images(xs, from, b),
                  oneHot(Arrays.copyOfRange(labels, from, from + b), CLASSES, DataType.FLOAT),
                  b,
                  random);
          Map<String, INDArray> grads = sd.calculateGradients(batch, NAMES);
          for (int i = 0; i < NAMES.length; i++) {
            INDArray w = sd.getVariable(NAMES[i]).getArr();
            INDArray g = grads.get(NAMES[i]);
            if (prox) {
              // w - lr * (g + mu * (w - ref)) = (1 - lr * mu) * w + lr * mu * ref - lr * g, in
              // place
              w.muli(1 - s.learningRate() * s.mu()).addi(scaledRef[i]);
            }
            w.subi(g.muli(s.learningRate()));
          }
          // native memory goes back now, not when the garbage collector gets to these arrays (with
          // a
          // large heap that was gigabytes per round: 835k floats of gradients per batch)
          release(grads);
          release(batch);
        }
      }
      store(params);
      if (prox) {
        Arrays.stream(scaledRef).forEach(INDArray::close);
      }
    }

    static void release(Map<String, INDArray> arrays) {
      arrays
          .values()
          .forEach(
              a -> {
                if (a.closeable()) {
                  a.close();
                }
              });
    }

    int[] predict(Dataset data) {
      int n = data.size();
      int[] out = new int[n];
      for (int from = 0; from < n; from += 256) {
        int b = Math.min(256, n - from);
        Map<String, INDArray> f = new LinkedHashMap<>();
        f.put("input", images(data.features(), from, b));
        f.put("mask1", mask(b, 14, null));
        f.put("mask2", mask(b, 7, null));
        Map<String, INDArray> logits = sd.output(f, "logits");
        float[] z = logits.get("logits").data().asFloat();
        release(logits);
        release(f);
        int[] part = argmaxRows(z, b, CLASSES);
        System.arraycopy(part, 0, out, from, b);
      }
      return out;
    }
  }

  @Override
  public Trainer trainer() {
    return new Graph();
  }

  @Override
  public Predictor predictor(Dataset data) {
    Graph g = new Graph();
    return new Predictor() {
      @Override
      public int[] predict(float[] p) {
        if (p.length != dimension()) {
          throw new IllegalArgumentException(
              "cnn parameters have " + dimension() + " values, got " + p.length);
        }
        g.load(p);
        return g.predict(data);
      }

      @Override
      public void close() {
        g.close();
      }
    };
  }

  @Override
  public double lossAndGradient(float[] params, Dataset batch, float[] gradient) {
    Graph g = new Graph();
    g.load(params);
    int n = batch.size();
    Map<String, INDArray> f = new LinkedHashMap<>();
    f.put("input", Graph.images(batch.features(), 0, n));
    f.put("label", oneHot(batch.labels(), CLASSES, DataType.FLOAT));
    f.put("mask1", Graph.mask(n, 14, null));
    f.put("mask2", Graph.mask(n, 7, null));
    Map<String, INDArray> grads = g.sd.calculateGradients(f, NAMES);
    for (int i = 0; i < NAMES.length; i++) {
      float[] values = fromGraph(i, grads.get(NAMES[i]));
      System.arraycopy(values, 0, gradient, OFFSET[i], values.length);
    }
    return g.sd.output(f, "loss").get("loss").getDouble(0);
  }

  /** Index of the largest value in each row of width values (the first one on ties). */
  private static int[] argmaxRows(float[] z, int rows, int width) {
    int[] out = new int[rows];
    for (int i = 0; i < rows; i++) {
      int base = i * width;
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

  private static INDArray oneHot(int[] labels, int classes, DataType type) {
    float[] y = new float[labels.length * classes];
    for (int i = 0; i < labels.length; i++) {
      y[i * classes + labels[i]] = 1f;
    }
    return Nd4j.create(y, new long[] {labels.length, classes}, DataType.FLOAT).castTo(type);
  }
}
