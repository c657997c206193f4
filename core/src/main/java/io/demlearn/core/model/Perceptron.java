package io.demlearn.core.model;

/**
 * A multi-layer perceptron inputs -> hidden -> classes with ReLU (79,510 parameters for 784 -> 100
 * -> 10).
 */
public final class Perceptron extends DenseNetwork {
  public Perceptron(int inputs, int hidden, int classes) {
    super(ModelKind.MLP, inputs, hidden, classes);
  }
}
