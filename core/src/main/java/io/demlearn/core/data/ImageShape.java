package io.demlearn.core.data;

/**
 * What one sample of an image data set is: {@code channels x rows x cols} values, stored
 * channel-major (all of the first channel's rows, then the next channel's), and one of {@code
 * classes} labels.
 */
public record ImageShape(int channels, int rows, int cols, int classes) {
  /** 28x28 grey images of 10 classes: MNIST, Fashion-MNIST and the synthetic set. */
  public static final ImageShape GREY_28 = new ImageShape(1, 28, 28, 10);

  public ImageShape {
    if (channels < 1 || rows < 1 || cols < 1 || classes < 2) {
      throw new IllegalArgumentException(
          "bad image shape " + channels + "x" + rows + "x" + cols + ", " + classes + " classes");
    }
  }

  /** Values per sample. */
  public int values() {
    return channels * rows * cols;
  }

  /** {@code 3x32x32}, or {@code 28x28} for one channel. */
  public String size() {
    return (channels == 1 ? "" : channels + "x") + rows + "x" + cols;
  }

  @Override
  public String toString() {
    return size() + ", " + classes + " classes";
  }
}
