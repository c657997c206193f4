package io.demlearn.core.model;

import io.demlearn.core.data.Dataset;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A model architecture. Its parameters are one flat float32 vector (what travels on Kafka), in
 * PyTorch's order (each layer's weight, row-major, then its bias). Implementations are immutable;
 * the per-thread working memory lives in the {@link Trainer}s they make.
 */
public interface Model {
  ModelKind kind();

  /** Number of parameters. */
  int dimension();

  /** Fresh parameters drawn as PyTorch initialises its layers (uniform in +-1/sqrt(fan_in)). */
  float[] initialParameters(SplittableRandom random);

  /** A trainer for one thread at a time. */
  Trainer trainer();

  /**
   * Predicted classes of every row of {@code data} under each parameter vector: {@code out[m][i]}
   * for model m and row i. Safe to call from several threads.
   */
  default int[][] predict(List<float[]> parameters, Dataset data) {
    try (Predictor p = predictor(data)) {
      int[][] out = new int[parameters.size()][];
      for (int m = 0; m < out.length; m++) {
        out[m] = p.predict(parameters.get(m));
      }
      return out;
    }
  }

  /**
   * A predictor for one data set, holding it in the tensor library's memory for repeated use by one
   * thread. A model's predictions are the same whichever predictor makes them.
   */
  Predictor predictor(Dataset data);

  /** Predicts the classes of one data set's rows, one parameter vector at a time. */
  interface Predictor extends AutoCloseable {
    int[] predict(float[] params);

    @Override
    void close();
  }

  /**
   * Mean cross-entropy loss of {@code params} on {@code batch}, and its gradient into {@code
   * gradient}.
   */
  double lossAndGradient(float[] params, Dataset batch, float[] gradient);

  /** Makes a model of this architecture. */
  static Model of(Architecture a) {
    return switch (a.kind()) {
      case MLR -> new LogisticRegression(a.input().values(), a.input().classes());
      case MLP -> new Perceptron(a.input().values(), Architecture.MLP_HIDDEN, a.input().classes());
      case CNN -> new ConvNet(ConvNet.Layout.forInput(a.input()));
    };
  }
}
