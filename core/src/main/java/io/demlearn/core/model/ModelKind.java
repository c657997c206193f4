package io.demlearn.core.model;

import io.demlearn.core.Labels;

/** The model architectures. */
public enum ModelKind {
  /** Multinomial logistic regression on the flattened sample (784 -> 10: 7,850 parameters). */
  MLR,
  /** Multi-layer perceptron with 100 hidden ReLU units (784-100-10: 79,510 parameters). */
  MLP,
  /** The authors' CNN for the data set's images ({@link ConvNet.Layout#forInput}). */
  CNN;

  public static ModelKind parse(String text) {
    return Labels.parse(ModelKind.class, text, "model");
  }

  public String label() {
    return Labels.of(this);
  }
}
