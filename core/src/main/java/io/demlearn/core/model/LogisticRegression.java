package io.demlearn.core.model;

import org.nd4j.linalg.api.buffer.DataType;

/** Multinomial logistic regression, 784 -> 10 (7,850 parameters): the fast default model. */
public final class LogisticRegression extends DenseNetwork {
  public LogisticRegression() {
    this(DataType.FLOAT);
  }

  /** With another internal precision (DOUBLE for gradient checks). */
  public LogisticRegression(DataType precision) {
    super(ModelKind.MLR, precision, 784, 10);
  }
}
