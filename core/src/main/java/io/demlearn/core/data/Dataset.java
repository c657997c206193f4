package io.demlearn.core.data;

import java.util.Arrays;
import java.util.List;

/**
 * Labelled samples: {@code size} rows of {@code dim} features, row-major in one float array, and
 * one class label per row. Immutable by convention (the arrays are not copied on access).
 */
public record Dataset(float[] features, int[] labels, int dim) {
  public Dataset {
    if (dim <= 0) {
      throw new IllegalArgumentException("dim must be positive, got " + dim);
    }
    if (features.length != (long) labels.length * dim) {
      throw new IllegalArgumentException(
          "features hold " + features.length + " floats, expected " + labels.length + " x " + dim);
    }
  }

  public int size() {
    return labels.length;
  }

  /** These rows followed by {@code other}'s. */
  public Dataset concat(Dataset other) {
    if (other.dim != dim) {
      throw new IllegalArgumentException(
          "cannot concatenate datasets of dims " + dim + " and " + other.dim);
    }
    float[] x = Arrays.copyOf(features, features.length + other.features.length);
    System.arraycopy(other.features, 0, x, features.length, other.features.length);
    int[] y = Arrays.copyOf(labels, labels.length + other.labels.length);
    System.arraycopy(other.labels, 0, y, labels.length, other.labels.length);
    return new Dataset(x, y, dim);
  }

  /** All rows of several datasets, in order. */
  public static Dataset concat(List<Dataset> parts) {
    if (parts.isEmpty()) {
      throw new IllegalArgumentException("nothing to concatenate");
    }
    int dim = parts.get(0).dim;
    int n = parts.stream().mapToInt(Dataset::size).sum();
    float[] x = new float[n * dim];
    int[] y = new int[n];
    int at = 0;
    for (Dataset p : parts) {
      if (p.dim != dim) {
        throw new IllegalArgumentException(
            "cannot concatenate datasets of dims " + dim + " and " + p.dim);
      }
      System.arraycopy(p.features, 0, x, at * dim, p.features.length);
      System.arraycopy(p.labels, 0, y, at, p.size());
      at += p.size();
    }
    return new Dataset(x, y, dim);
  }
}
