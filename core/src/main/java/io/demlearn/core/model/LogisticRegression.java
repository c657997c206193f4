package io.demlearn.core.model;

/** Multinomial logistic regression, 784 -> 10 (7,850 parameters): the fast default model. */
public final class LogisticRegression extends DenseNetwork {
  public LogisticRegression() {
    super(ModelKind.MLR, 784, 10);
  }
}
