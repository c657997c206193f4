package io.demlearn.core.model;

import org.nd4j.linalg.api.buffer.DataType;

/**
 * A multi-layer perceptron 784 -> hidden -> 10 with ReLU (79,510 parameters with 100 hidden units).
 */
public final class Perceptron extends DenseNetwork {
  public Perceptron(int hidden) {
    this(hidden, DataType.FLOAT);
  }

  public Perceptron(int hidden, DataType precision) {
    super(ModelKind.MLP, precision, 784, hidden, 10);
  }
}
