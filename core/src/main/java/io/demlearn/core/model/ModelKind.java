package io.demlearn.core.model;

import io.demlearn.core.Labels;

/** The model architectures. */
public enum ModelKind {
  /** Multinomial logistic regression, 784 -> 10: 7,850 parameters. */
  MLR,
  /** Multi-layer perceptron 784-100-10 with ReLU: 79,510 parameters. */
  MLP,
  /** The reference CNN: conv 32@5x5, pool, conv 32@5x5, pool, FC 512, FC 10, dropout 0.4. */
  CNN;

  public static ModelKind parse(String text) {
    return Labels.parse(ModelKind.class, text, "model");
  }

  /**
   * Number of parameters, without building the model (checks of incoming vectors need only this).
   */
  public int dimension() {
    return switch (this) {
      case MLR -> 784 * 10 + 10;
      case MLP -> 784 * 100 + 100 + 100 * 10 + 10;
      case CNN -> 834_922;
    };
  }

  public String label() {
    return Labels.of(this);
  }
}
