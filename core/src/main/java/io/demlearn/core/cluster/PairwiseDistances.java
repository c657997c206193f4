package io.demlearn.core.cluster;

import io.demlearn.core.model.Tensors;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * All pairwise distances between n vectors, condensed as scipy's pdist orders them: (0,1), (0,2),
 * ..., (0,n-1), (1,2), ... . Computed in double precision from the Gram matrix (one BLAS call,
 * O(n^2 d)): ||x-y||^2 = ||x||^2 + ||y||^2 - 2 x.y. That identity cancels badly when x and y are
 * close relative to their norms, so the vectors are first centred on their mean (which leaves
 * distances unchanged and shrinks norms to the spread), and pairs with ||x-y||^2 still below 1e-4
 * (||x||^2 + ||y||^2) are recomputed directly from the differences; elsewhere the relative error
 * stays below ~1e-10.
 */
public final class PairwiseDistances {
  /** Relative squared distance below which a pair is recomputed from its differences. */
  static final double RECOMPUTE_BELOW = 1e-4;

  private PairwiseDistances() {}

  /** Position of pair (i, j), i < j, in the condensed array of n vectors. */
  public static int index(int n, int i, int j) {
    return (int) ((long) n * i - (long) i * (i + 1) / 2 + j - i - 1);
  }

  /**
   * @param x n rows of equal length, all finite
   * @throws ClusteringInputException naming the row of a bad vector
   */
  public static double[] compute(float[][] x, Metric metric) {
    int n = x.length;
    if (n == 0) {
      return new double[0];
    }
    int d = x[0].length;
    for (int i = 0; i < n; i++) {
      if (x[i].length != d) {
        throw new ClusteringInputException(i, "has " + x[i].length + " values, row 0 has " + d);
      }
      for (int k = 0; k < d; k++) {
        if (!Float.isFinite(x[i][k])) {
          throw new ClusteringInputException(
              i, "holds a non-finite value (" + x[i][k] + ") at position " + k);
        }
      }
    }
    double[] out = new double[n * (n - 1) / 2];
    if (metric == Metric.EUCLIDEAN) {
      // centred first: distances do not change, and the Gram identity cancels far less
      double[] gram = gram(x, true);
      for (int i = 0; i < n; i++) {
        double gii = gram[i * n + i];
        for (int j = i + 1; j < n; j++) {
          double gjj = gram[j * n + j];
          double d2 = gii + gjj - 2 * gram[i * n + j];
          if (d2 < RECOMPUTE_BELOW * (gii + gjj)) {
            d2 = directSquared(x[i], x[j]);
          }
          out[index(n, i, j)] = Math.sqrt(Math.max(0, d2));
        }
      }
    } else {
      double[] gram = gram(x, false);
      double[] norm = new double[n];
      for (int i = 0; i < n; i++) {
        norm[i] = Math.sqrt(gram[i * n + i]);
        if (norm[i] == 0) {
          throw new ClusteringInputException(
              i, "is all zeros: its cosine distance to anything is undefined");
        }
      }
      for (int i = 0; i < n; i++) {
        for (int j = i + 1; j < n; j++) {
          double c = gram[i * n + j] / (norm[i] * norm[j]);
          out[index(n, i, j)] = Math.min(2, Math.max(0, 1 - c));
        }
      }
    }
    return out;
  }

  /**
   * X X^T in double precision for the rows of x (centred on their mean if asked), row-major n x n.
   */
  private static double[] gram(float[][] x, boolean centred) {
    Tensors.init();
    int n = x.length;
    int d = x[0].length;
    INDArray a;
    int block = Math.max(1, (1 << 20) / d);
    if (n <= block) {
      // small: one copy in, one native cast
      float[] values = new float[n * d];
      for (int r = 0; r < n; r++) {
        System.arraycopy(x[r], 0, values, r * d, d);
      }
      INDArray f = Nd4j.create(values, new long[] {n, d}, DataType.FLOAT);
      a = f.castTo(DataType.DOUBLE);
      f.close();
    } else {
      // large: row blocks, so that no second full copy exists
      a = Nd4j.create(DataType.DOUBLE, n, d);
      float[] values = new float[block * d];
      for (int from = 0; from < n; from += block) {
        int rows = Math.min(block, n - from);
        for (int r = 0; r < rows; r++) {
          System.arraycopy(x[from + r], 0, values, r * d, d);
        }
        INDArray part =
            Nd4j.create(
                rows == block ? values : Arrays.copyOf(values, rows * d),
                new long[] {rows, d},
                DataType.FLOAT);
        a.get(NDArrayIndex.interval(from, from + rows), NDArrayIndex.all()).assign(part);
        part.close();
      }
    }
    if (centred) {
      INDArray mean = a.mean(0);
      a.subiRowVector(mean);
      mean.close();
    }
    INDArray g = Nd4j.create(DataType.DOUBLE, n, n);
    Nd4j.gemm(a, a, g, false, true, 1.0, 0.0);
    double[] out = g.data().asDouble();
    a.close();
    g.close();
    return out;
  }

  static double directSquared(float[] a, float[] b) {
    double s = 0;
    for (int k = 0; k < a.length; k++) {
      double diff = (double) a[k] - b[k];
      s += diff * diff;
    }
    return s;
  }
}
