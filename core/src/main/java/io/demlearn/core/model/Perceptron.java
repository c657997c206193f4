package io.demlearn.core.model;

/**
 * A multi-layer perceptron 784 -> hidden -> 10 with ReLU (79,510 parameters with 100 hidden units).
 */
public final class Perceptron extends DenseNetwork {
  public Perceptron(int hidden) {
    super(ModelKind.MLP, 784, hidden, 10);
  }
}
