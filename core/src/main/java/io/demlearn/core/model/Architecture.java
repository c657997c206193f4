package io.demlearn.core.model;

import io.demlearn.core.data.ImageShape;

/**
 * A model kind for samples of one shape: what {@link Model#of} builds. Multinomial logistic
 * regression and the MLP take the flattened sample; the CNN is the authors' network for that shape
 * ({@link ConvNet.Layout#forInput}).
 */
public record Architecture(ModelKind kind, ImageShape input) {
  /** The MLP's hidden units. */
  public static final int MLP_HIDDEN = 100;

  /**
   * @throws IllegalArgumentException when the kind has no network for this shape
   */
  public Architecture {
    if (kind == ModelKind.CNN) {
      ConvNet.Layout.forInput(input);
    }
  }

  /** The kind for 28x28 grey images of 10 classes (MNIST, Fashion-MNIST, the synthetic set). */
  public static Architecture of(ModelKind kind) {
    return new Architecture(kind, ImageShape.GREY_28);
  }

  /** Number of parameters, without building the model. */
  public int dimension() {
    return switch (kind) {
      case MLR -> DenseNetwork.dimension(input.values(), input.classes());
      case MLP -> DenseNetwork.dimension(input.values(), MLP_HIDDEN, input.classes());
      case CNN -> ConvNet.Layout.forInput(input).dimension();
    };
  }

  /** The layers, for people: {@code mlr 3072 -> 10}. */
  public String describe() {
    return switch (kind) {
      case MLR -> "mlr " + input.values() + " -> " + input.classes();
      case MLP -> "mlp " + input.values() + " -> " + MLP_HIDDEN + " -> " + input.classes();
      case CNN -> "cnn " + ConvNet.Layout.forInput(input).describe();
    };
  }
}
