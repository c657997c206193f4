package io.demlearn.core.cluster;

import io.demlearn.core.model.Tensors;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
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
 * stays below ~1e-10. Identical rows (agents that all still hold the initial model) are at distance
 * 0 without recomputing: what the differences would give, without a pass over each such pair.
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
    checkRows(x);
    double[] out = new double[n * (n - 1) / 2];
    boolean euclidean = metric == Metric.EUCLIDEAN;
    // Euclidean: centred first; distances do not change, and the Gram identity cancels far less
    try (Gram gram = new Gram(x, euclidean)) {
      double[] diag = gram.diagonal();
      double[] norm = new double[n];
      for (int i = 0; i < n && !euclidean; i++) {
        norm[i] = Math.sqrt(diag[i]);
        if (norm[i] == 0) {
          throw new ClusteringInputException(
              i, "is all zeros: its cosine distance to anything is undefined");
        }
      }
      int[] same = euclidean ? firstIdentical(x) : null;
      for (int from = 0; from < n; from += gram.blockRows) {
        int to = Math.min(n, from + gram.blockRows);
        double[] rows = gram.rows(from, to);
        for (int i = from; i < to; i++) {
          int at = (i - from) * n;
          double gii = diag[i];
          for (int j = i + 1; j < n; j++) {
            double gij = rows[at + j];
            if (euclidean) {
              double gjj = diag[j];
              double d2 = gii + gjj - 2 * gij;
              if (d2 < RECOMPUTE_BELOW * (gii + gjj)) {
                d2 = same[i] == same[j] ? 0 : directSquared(x[i], x[j]);
              }
              out[index(n, i, j)] = Math.sqrt(Math.max(0, d2));
            } else {
              double c = gij / (norm[i] * norm[j]);
              out[index(n, i, j)] = Math.min(2, Math.max(0, 1 - c));
            }
          }
        }
      }
    }
    return out;
  }

  /**
   * Refuses rows of unequal length or holding a non-finite value.
   *
   * @throws ClusteringInputException naming the row
   */
  static void checkRows(float[][] x) {
    if (x.length == 0) {
      return;
    }
    int d = x[0].length;
    for (int i = 0; i < x.length; i++) {
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
  }

  /**
   * X X^T in double precision for the rows of x (centred on their mean if asked), served by blocks
   * of rows so that no n x n matrix need exist at once: up to {@link #WHOLE_UP_TO} rows it is one
   * BLAS call (and the diagonal is its own), above that one call per block of rows (the diagonal
   * then comes from the rows' sums of squares).
   */
  private static final class Gram implements AutoCloseable {
    /** One call for up to this many rows. */
    static final int WHOLE_UP_TO = 256;

    /** Doubles per block of rows above that (16 MB): fresh native memory is slow to fault in. */
    static final int BLOCK_DOUBLES = 1 << 21;

    final int blockRows;
    private final int n;
    private final INDArray a;
    private double[] whole;
    private INDArray block;
    private double[] blockValues;

    Gram(float[][] x, boolean centred) {
      Tensors.init();
      n = x.length;
      int d = x[0].length;
      int copyRows = Math.max(1, (1 << 20) / d);
      if (n <= copyRows) {
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
        float[] values = new float[copyRows * d];
        for (int from = 0; from < n; from += copyRows) {
          int rows = Math.min(copyRows, n - from);
          for (int r = 0; r < rows; r++) {
            System.arraycopy(x[from + r], 0, values, r * d, d);
          }
          INDArray part =
              Nd4j.create(
                  rows == copyRows ? values : Arrays.copyOf(values, rows * d),
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
      blockRows = n <= WHOLE_UP_TO ? n : Math.max(1, Math.min(n, BLOCK_DOUBLES / n));
    }

    double[] diagonal() {
      double[] diag = new double[n];
      if (blockRows == n) {
        double[] g = rows(0, n);
        for (int i = 0; i < n; i++) {
          diag[i] = g[i * n + i];
        }
      } else {
        try (INDArray squares = a.mul(a);
            INDArray sums = squares.sum(1)) {
          sums.data().asNioDouble().get(diag, 0, n);
        }
      }
      return diag;
    }

    /**
     * Rows [from, to) of the Gram matrix, row-major, in a buffer that the next call reuses (full
     * blocks share one native and one Java buffer: fresh native memory per call, zeroed and faulted
     * in, cost more than the multiplication).
     */
    double[] rows(int from, int to) {
      if (from == 0 && to == n && whole != null) {
        return whole;
      }
      int rows = to - from;
      boolean full = rows == blockRows;
      if (full && block == null) {
        block = Nd4j.create(DataType.DOUBLE, blockRows, n);
        blockValues = new double[blockRows * n];
      }
      INDArray g = full ? block : Nd4j.create(DataType.DOUBLE, rows, n);
      double[] out = full ? blockValues : new double[rows * n];
      if (rows == n) {
        Nd4j.gemm(a, a, g, false, true, 1.0, 0.0);
      } else {
        try (INDArray part = a.get(NDArrayIndex.interval(from, to), NDArrayIndex.all()).dup()) {
          Nd4j.gemm(part, a, g, false, true, 1.0, 0.0);
        }
      }
      g.data().asNioDouble().get(out, 0, out.length);
      if (!full) {
        g.close();
      }
      if (rows == n) {
        whole = out;
      }
      return out;
    }

    @Override
    public void close() {
      whole = null;
      blockValues = null;
      if (block != null) {
        block.close();
      }
      a.close();
    }
  }

  /** Per row, the first row with the same bits (itself if none before it). */
  private static int[] firstIdentical(float[][] x) {
    record Row(float[] values) {
      @Override
      public boolean equals(Object o) {
        return o instanceof Row r && Arrays.equals(values, r.values);
      }

      @Override
      public int hashCode() {
        return Arrays.hashCode(values);
      }
    }
    Map<Row, Integer> first = new HashMap<>();
    int[] out = new int[x.length];
    for (int i = 0; i < x.length; i++) {
      Integer before = first.putIfAbsent(new Row(x[i]), i);
      out[i] = before == null ? i : before;
    }
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
