package io.demlearn.core.model;

import io.demlearn.core.Seeds;
import io.demlearn.core.data.Dataset;
import io.demlearn.core.data.ImageShape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
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
 * The authors' CNNs, one per image shape ({@link Layout#forInput}): convolutions each followed by
 * ReLU and 2x2 max-pooling (and dropout where the layout has it), then fully connected layers with
 * ReLU (and dropout), then the output layer. Parameters in PyTorch's order and layouts (conv
 * weights [out, in, kh, kw], FC weights [out, in]; the graph keeps conv weights as [kh, kw, in,
 * out] and converts on load). Built with SameDiff for automatic differentiation. Dropout masks are
 * drawn from the agent's own random stream, layer by layer, and fed to the graph, so training is
 * reproducible.
 */
public final class ConvNet implements Model {
  /** A convolution: {@code out} channels, a square kernel, zero padding, stride 1. */
  public record Conv(int out, int kernel, int pad) {}

  /**
   * A CNN for one input shape.
   *
   * @param convDropout dropout after each pooling (0: none)
   * @param hidden widths of the fully connected layers before the output layer
   * @param fcDropout dropout after each hidden fully connected layer (0: none)
   */
  public record Layout(
      ImageShape input,
      List<Conv> convs,
      double convDropout,
      List<Integer> hidden,
      double fcDropout) {
    /**
     * Their Net_DemAI (MNIST, Fashion-MNIST): conv 1->32 5x5 pad 2, pool, dropout 0.4, conv 32->32
     * 5x5 pad 2, pool, dropout 0.4, FC 1568->512, FC 512->10; 834,922 parameters.
     */
    public static final Layout MNIST =
        new Layout(
            ImageShape.GREY_28,
            List.of(new Conv(32, 5, 2), new Conv(32, 5, 2)),
            0.4,
            List.of(512),
            0);

    /**
     * Their CNNCifar: conv 3->16, 16->32, 32->64 (3x3, pad 1), each pooled, FC 1024->512, dropout
     * 0.5, FC 512->64, dropout 0.5, FC 64->10; 581,866 parameters.
     */
    public static final Layout CIFAR =
        new Layout(
            new ImageShape(3, 32, 32, 10),
            List.of(new Conv(16, 3, 1), new Conv(32, 3, 1), new Conv(64, 3, 1)),
            0,
            List.of(512, 64),
            0.5);

    public Layout {
      convs = List.copyOf(convs);
      hidden = List.copyOf(hidden);
    }

    /**
     * The authors' CNN for images of this shape: 32x32 colour images get their CNNCifar; 28x28 grey
     * ones their Net_DemAI, except FEMNIST's 62 classes, which get their femnist_DemAI (the same
     * layers without dropout).
     *
     * @throws IllegalArgumentException for any other shape
     */
    public static Layout forInput(ImageShape input) {
      if (input.channels() == 3 && input.rows() == 32 && input.cols() == 32) {
        return new Layout(input, CIFAR.convs, CIFAR.convDropout, CIFAR.hidden, CIFAR.fcDropout);
      }
      if (input.channels() == 1 && input.rows() == 28 && input.cols() == 28) {
        return new Layout(
            input, MNIST.convs, input.classes() == 62 ? 0 : MNIST.convDropout, MNIST.hidden, 0);
      }
      throw new IllegalArgumentException(
          "no CNN for "
              + input.size()
              + " images: the authors' CNNs take 28x28 grey or 32x32 colour images");
    }

    /** Side of the feature maps after convolution and pooling {@code layer} (0-based). */
    int side(int layer) {
      int side = input.rows();
      for (int i = 0; i <= layer; i++) {
        Conv c = convs.get(i);
        side = (side + 2 * c.pad() - c.kernel() + 1) / 2;
      }
      return side;
    }

    /** Channels into convolution {@code layer}. */
    int channelsInto(int layer) {
      return layer == 0 ? input.channels() : convs.get(layer - 1).out();
    }

    /** Values per sample after the last pooling. */
    int flat() {
      int last = convs.size() - 1;
      return convs.get(last).out() * side(last) * side(last);
    }

    /** Shapes of every parameter block, in PyTorch's order. */
    long[][] shapes() {
      List<long[]> out = new ArrayList<>();
      for (int i = 0; i < convs.size(); i++) {
        Conv c = convs.get(i);
        out.add(new long[] {c.out(), channelsInto(i), c.kernel(), c.kernel()});
        out.add(new long[] {c.out()});
      }
      int in = flat();
      List<Integer> widths = new ArrayList<>(hidden);
      widths.add(input.classes());
      for (int w : widths) {
        out.add(new long[] {w, in});
        out.add(new long[] {w});
        in = w;
      }
      return out.toArray(long[][]::new);
    }

    /** Number of parameters. */
    public int dimension() {
      long n = 0;
      for (long[] shape : shapes()) {
        n += Arrays.stream(shape).reduce(1, (a, b) -> a * b);
      }
      return Math.toIntExact(n);
    }

    /** The layers, for people. */
    public String describe() {
      StringBuilder b = new StringBuilder();
      for (Conv c : convs) {
        b.append(
            String.format(Locale.ROOT, "conv %d@%dx%d, pool, ", c.out(), c.kernel(), c.kernel()));
        if (convDropout > 0) {
          b.append("dropout ").append(convDropout).append(", ");
        }
      }
      for (int w : hidden) {
        b.append("fc ").append(w).append(", ");
        if (fcDropout > 0) {
          b.append("dropout ").append(fcDropout).append(", ");
        }
      }
      return b.append("fc ")
          .append(input.classes())
          .append(String.format(Locale.ROOT, " (%,d parameters)", dimension()))
          .toString();
    }
  }

  private final Layout layout;
  private final long[][] shapes;
  private final String[] names;
  private final int[] fanIn;
  private final int[] offset;

  public ConvNet(Layout layout) {
    Tensors.init();
    this.layout = layout;
    this.shapes = layout.shapes();
    this.names = new String[shapes.length];
    this.fanIn = new int[shapes.length];
    this.offset = new int[shapes.length + 1];
    for (int i = 0; i < shapes.length; i++) {
      names[i] = (i % 2 == 0 ? "w" : "b") + (i / 2 + 1);
      long[] weight = shapes[i - i % 2];
      fanIn[i] = (int) (Arrays.stream(weight).reduce(1, (a, b) -> a * b) / weight[0]);
      offset[i + 1] = offset[i] + (int) Arrays.stream(shapes[i]).reduce(1, (a, b) -> a * b);
    }
  }

  public Layout layout() {
    return layout;
  }

  @Override
  public ModelKind kind() {
    return ModelKind.CNN;
  }

  @Override
  public int dimension() {
    return offset[names.length];
  }

  @Override
  public float[] initialParameters(SplittableRandom random) {
    float[] p = new float[dimension()];
    for (int i = 0; i < names.length; i++) {
      double bound = 1.0 / Math.sqrt(fanIn[i]);
      for (int k = offset[i]; k < offset[i + 1]; k++) {
        p[k] = (float) ((random.nextDouble() * 2 - 1) * bound);
      }
    }
    return p;
  }

  /**
   * Conv weights live in the graph as [kh, kw, in, out] (ND4J's native layout; its backprop needs
   * it).
   */
  long[] graphShape(int i) {
    long[] s = shapes[i];
    return s.length == 4 ? new long[] {s[2], s[3], s[1], s[0]} : s;
  }

  /** A parameter block in PyTorch's layout, as the graph holds it. */
  INDArray toGraph(int i, float[] block) {
    INDArray a = Nd4j.create(block, shapes[i], DataType.FLOAT);
    return shapes[i].length == 4 ? a.permute(2, 3, 1, 0).dup('c') : a;
  }

  /** A graph array back in PyTorch's layout, flat. */
  float[] fromGraph(int i, INDArray a) {
    return (shapes[i].length == 4 ? a.permute(3, 2, 0, 1).dup('c') : a).data().asFloat();
  }

  /** A dropout mask's name and the shape of one sample's part of it. */
  private record Mask(String name, long[] shape, double rate) {
    int size() {
      return (int) Arrays.stream(shape).reduce(1, (a, b) -> a * b);
    }
  }

  /** The dropout masks of the layout, in the order they are drawn. */
  private List<Mask> masks() {
    List<Mask> out = new ArrayList<>();
    if (layout.convDropout() > 0) {
      for (int i = 0; i < layout.convs().size(); i++) {
        int side = layout.side(i);
        out.add(
            new Mask(
                "mask" + (i + 1),
                new long[] {layout.convs().get(i).out(), side, side},
                layout.convDropout()));
      }
    }
    if (layout.fcDropout() > 0) {
      for (int j = 0; j < layout.hidden().size(); j++) {
        out.add(
            new Mask("fcmask" + (j + 1), new long[] {layout.hidden().get(j)}, layout.fcDropout()));
      }
    }
    return out;
  }

  /** One SameDiff graph with its variables; one thread at a time. */
  final class Graph implements Trainer {
    final SameDiff sd = SameDiff.create();
    final List<Mask> masks = masks();
    final int values = layout.input().values();
    final int classes = layout.input().classes();

    Graph() {
      ImageShape in = layout.input();
      SDVariable x =
          sd.placeHolder("input", DataType.FLOAT, -1, in.channels(), in.rows(), in.cols());
      SDVariable y = sd.placeHolder("label", DataType.FLOAT, -1, classes);
      Map<String, SDVariable> maskVars = new LinkedHashMap<>();
      for (Mask m : masks) {
        long[] shape = new long[m.shape().length + 1];
        shape[0] = -1;
        System.arraycopy(m.shape(), 0, shape, 1, m.shape().length);
        maskVars.put(m.name(), sd.placeHolder(m.name(), DataType.FLOAT, shape));
      }
      SDVariable[] v = new SDVariable[names.length];
      for (int i = 0; i < names.length; i++) {
        v[i] = sd.var(names[i], Nd4j.zeros(DataType.FLOAT, graphShape(i)));
      }
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
      SDVariable h = x;
      int p = 0;
      for (int i = 0; i < layout.convs().size(); i++) {
        Conv c = layout.convs().get(i);
        Conv2DConfig conv =
            Conv2DConfig.builder()
                .kH(c.kernel())
                .kW(c.kernel())
                .sH(1)
                .sW(1)
                .pH(c.pad())
                .pW(c.pad())
                .dH(1)
                .dW(1)
                .paddingMode(PaddingMode.VALID)
                .dataFormat(Conv2DConfig.NCHW)
                .weightsFormat(WeightsFormat.YXIO)
                .build();
        h = sd.nn().relu(sd.cnn().conv2d(h, v[p], v[p + 1], conv), 0);
        h = sd.cnn().maxPooling2d(h, pool);
        p += 2;
        SDVariable mask = maskVars.get("mask" + (i + 1));
        if (mask != null) {
          h = h.mul(mask);
        }
      }
      h = h.reshape(sd.constant(Nd4j.createFromArray(-1L, (long) layout.flat())));
      MMulTranspose transposeB = MMulTranspose.builder().transposeB(true).build();
      for (int j = 0; j < layout.hidden().size(); j++) {
        h = sd.nn().relu(h.mmul(null, v[p], transposeB).add(v[p + 1]), 0);
        p += 2;
        SDVariable mask = maskVars.get("fcmask" + (j + 1));
        if (mask != null) {
          h = h.mul(mask);
        }
      }
      SDVariable logits = h.mmul(null, v[p], transposeB).add(v[p + 1]);
      logits.rename("logits");
      sd.loss()
          .softmaxCrossEntropy(
              "loss", y, logits, null, LossReduce.MEAN_BY_NONZERO_WEIGHT_COUNT, 0.0);
      sd.setLossVariables("loss");
    }

    void load(float[] p) {
      for (int i = 0; i < names.length; i++) {
        // assign in place: the graph (and its gradient function) keep their own arrays
        sd.getVariable(names[i])
            .getArr()
            .assign(toGraph(i, Arrays.copyOfRange(p, offset[i], offset[i + 1])));
      }
    }

    void store(float[] p) {
      for (int i = 0; i < names.length; i++) {
        float[] v = fromGraph(i, sd.getVariable(names[i]).getArr());
        System.arraycopy(v, 0, p, offset[i], v.length);
      }
    }

    /** Inputs, labels (if any) and dropout masks (all ones when {@code dropout} is null). */
    Map<String, INDArray> feed(INDArray x, INDArray y, int n, SplittableRandom dropout) {
      Map<String, INDArray> f = new LinkedHashMap<>();
      f.put("input", x);
      if (y != null) {
        f.put("label", y);
      }
      for (Mask m : masks) {
        f.put(m.name(), mask(m, n, dropout));
      }
      return f;
    }

    /** Inverted dropout: kept units scaled by 1/(1-p); all ones at evaluation (dropout null). */
    static INDArray mask(Mask mask, int n, SplittableRandom dropout) {
      float[] m = new float[n * mask.size()];
      if (dropout == null) {
        Arrays.fill(m, 1f);
      } else {
        float keep = (float) (1 / (1 - mask.rate()));
        for (int i = 0; i < m.length; i++) {
          m[i] = dropout.nextDouble() < mask.rate() ? 0f : keep;
        }
      }
      long[] shape = new long[mask.shape().length + 1];
      shape[0] = n;
      System.arraycopy(mask.shape(), 0, shape, 1, mask.shape().length);
      return Nd4j.create(m, shape, DataType.FLOAT);
    }

    INDArray images(float[] features, int from, int n) {
      ImageShape in = layout.input();
      return Nd4j.create(
          Arrays.copyOfRange(features, from * values, (from + n) * values),
          new long[] {n, in.channels(), in.rows(), in.cols()},
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
      INDArray[] scaledRef = new INDArray[names.length]; // lr * mu * reference
      if (prox) {
        for (int i = 0; i < names.length; i++) {
          scaledRef[i] =
              toGraph(i, Arrays.copyOfRange(reference, offset[i], offset[i + 1]))
                  .muli(s.learningRate() * s.mu());
        }
      }
      int n = data.size();
      int[] order = new int[n];
      float[] xs = new float[n * values];
      for (int epoch = 0; epoch < s.epochs() && n > 0; epoch++) {
        for (int i = 0; i < n; i++) {
          order[i] = i;
        }
        Seeds.shuffle(order, random);
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
          System.arraycopy(data.features(), order[i] * values, xs, i * values, values);
          labels[i] = data.labels()[order[i]];
        }
        for (int from = 0; from < n; from += s.batchSize()) {
          int b = Math.min(s.batchSize(), n - from);
          Map<String, INDArray> batch =
              feed(
                  images(xs, from, b),
                  oneHot(Arrays.copyOfRange(labels, from, from + b), classes),
                  b,
                  random);
          Map<String, INDArray> grads = sd.calculateGradients(batch, names);
          for (int i = 0; i < names.length; i++) {
            INDArray w = sd.getVariable(names[i]).getArr();
            INDArray g = grads.get(names[i]);
            if (prox) {
              // w - lr * (g + mu * (w - ref)) = (1 - lr * mu) * w + lr * mu * ref - lr * g, in
              // place
              w.muli(1 - s.learningRate() * s.mu()).addi(scaledRef[i]);
            }
            w.subi(g.muli(s.learningRate()));
          }
          // native memory goes back now, not when the garbage collector gets to these arrays
          // (with a large heap that was gigabytes per round: 835k floats of gradients per batch)
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
        Map<String, INDArray> f = feed(images(data.features(), from, b), null, b, null);
        Map<String, INDArray> logits = sd.output(f, "logits");
        float[] z = logits.get("logits").data().asFloat();
        release(logits);
        release(f);
        int[] part = argmaxRows(z, b, classes);
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
    checkShape(data);
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
    checkShape(batch);
    try (Graph g = new Graph()) {
      g.load(params);
      int n = batch.size();
      Map<String, INDArray> f =
          g.feed(g.images(batch.features(), 0, n), oneHot(batch.labels(), g.classes), n, null);
      Map<String, INDArray> grads = g.sd.calculateGradients(f, names);
      for (int i = 0; i < names.length; i++) {
        float[] values = fromGraph(i, grads.get(names[i]));
        System.arraycopy(values, 0, gradient, offset[i], values.length);
      }
      return g.sd.output(f, "loss").get("loss").getDouble(0);
    }
  }

  private void checkShape(Dataset data) {
    if (data.dim() != layout.input().values()) {
      throw new IllegalArgumentException(
          "the cnn for "
              + layout.input().size()
              + " images takes "
              + layout.input().values()
              + " values per sample, the data has "
              + data.dim());
    }
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

  private static INDArray oneHot(int[] labels, int classes) {
    float[] y = new float[labels.length * classes];
    for (int i = 0; i < labels.length; i++) {
      y[i * classes + labels[i]] = 1f;
    }
    return Nd4j.create(y, new long[] {labels.length, classes}, DataType.FLOAT);
  }
}
