package io.demlearn.core.model;

/**
 * Multinomial logistic regression on flattened samples: 784 -> 10 (7,850 parameters) for MNIST-like
 * images, the fast default model.
 */
public final class LogisticRegression extends DenseNetwork {
  public LogisticRegression(int inputs, int classes) {
    super(ModelKind.MLR, inputs, classes);
  }
}
