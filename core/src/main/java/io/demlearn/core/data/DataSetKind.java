package io.demlearn.core.data;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** The data sets an experiment can use, with the shape of their samples. */
public enum DataSetKind {
  FASHION_MNIST("fashion-mnist", ImageShape.GREY_28),
  MNIST("mnist", ImageShape.GREY_28),
  SYNTHETIC("synthetic", ImageShape.GREY_28),
  /** LEAF's FEMNIST: handwritten digits and letters, 62 classes, one agent per writer. */
  FEMNIST("femnist", new ImageShape(1, 28, 28, 62)),
  /** CIFAR-10: 32x32 colour images of 10 classes. */
  CIFAR10("cifar10", new ImageShape(3, 32, 32, 10));

  private final String label;
  private final ImageShape shape;

  DataSetKind(String label, ImageShape shape) {
    this.label = label;
    this.shape = shape;
  }

  /** The name the command line and the records use: {@code fashion-mnist}. */
  public String label() {
    return label;
  }

  public ImageShape shape() {
    return shape;
  }

  /** Every label, in order. */
  public static List<String> labels() {
    return Arrays.stream(values()).map(DataSetKind::label).toList();
  }

  /**
   * The data set a label names, in any case.
   *
   * @throws IllegalArgumentException naming the label and every one allowed
   */
  public static DataSetKind parse(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    for (DataSetKind k : values()) {
      if (k.label.equals(t)) {
        return k;
      }
    }
    throw new IllegalArgumentException(
        "unknown --dataset '" + text + "': use " + String.join(", ", labels()));
  }
}
