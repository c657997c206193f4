package io.demlearn.core.cluster;

import io.demlearn.core.Seeds;
import io.demlearn.core.model.Tensors;
import java.nio.FloatBuffer;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A seeded Gaussian random projection (Johnson and Lindenstrauss 1984; Dasgupta and Gupta 2003):
 * rows of d values are multiplied by a d x k matrix of independent N(0, 1/k) entries. For any n
 * points and 0 < eps < 1, k >= 4 ln(n) / (eps^2/2 - eps^3/3) keeps every pairwise squared distance
 * within a factor 1 +- eps with probability at least 1 - 1/n; in practice far fewer dimensions keep
 * the few top-level merges of a dendrogram in place (measured in docs/BENCHMARKS.md). Clustering
 * 10,000 models of 7,850 parameters then needs distances in k dimensions instead of 7,850.
 *
 * <p>The matrix depends only on (seed, d, k), and a row's projection is the same bits however many
 * rows it is projected with and in which batch (the matrix product's kernels sum every output over
 * d in the same order; a single row, which the library would take to another kernel, is projected
 * with a row of zeros): the simulator projecting every agent at once and the pipeline's clusterer
 * projecting updates as they arrive get the same features.
 */
public final class RandomProjection {
  /** Rows per BLAS call: blocks of about 16 MB. */
  private static final int BLOCK_FLOATS = 1 << 22;

  /** The matrix of the last (seed, d, k) used: drawing it costs more than projecting a few rows. */
  private record Matrix(long seed, int d, int dims, INDArray values) {}

  private static Matrix last;

  private RandomProjection() {}

  /**
   * The rows of {@code x} projected to {@code dims} dimensions.
   *
   * @param x n rows of equal length, all finite
   * @throws ClusteringInputException naming the row of a bad vector
   */
  public static float[][] project(float[][] x, int dims, long seed) {
    if (dims < 1) {
      throw new IllegalArgumentException("a projection needs at least 1 dimension, got " + dims);
    }
    PairwiseDistances.checkRows(x);
    int n = x.length;
    if (n == 0) {
      return new float[0][];
    }
    int d = x[0].length;
    Tensors.init();
    float[][] out = new float[n][dims];
    int block = Math.max(2, Math.min(n, BLOCK_FLOATS / d));
    INDArray r = matrix(d, dims, seed);
    for (int from = 0; from < n; from += block) {
      int rows = Math.min(block, n - from);
      // at least two rows: a lone row would go through a matrix-vector kernel, with other bits
      try (INDArray in = Nd4j.create(DataType.FLOAT, Math.max(2, rows), d);
          INDArray product = Nd4j.create(DataType.FLOAT, Math.max(2, rows), dims)) {
        FloatBuffer inBuffer = in.data().asNioFloat();
        for (int i = 0; i < rows; i++) {
          inBuffer.put(x[from + i], 0, d);
        }
        Nd4j.gemm(in, r, product, false, false, 1.0, 0.0);
        FloatBuffer outBuffer = product.data().asNioFloat();
        for (int i = 0; i < rows; i++) {
          outBuffer.get(out[from + i], 0, dims);
        }
      }
    }
    return out;
  }

  private static synchronized INDArray matrix(int d, int dims, long seed) {
    Matrix m = last;
    if (m == null || m.seed() != seed || m.d() != d || m.dims() != dims) {
      m = new Matrix(seed, d, dims, draw(d, dims, seed));
      last = m; // the one it replaces is freed once no caller holds it
    }
    return m.values();
  }

  /** The d x k projection matrix of a seed, entries N(0, 1/k), row-major. */
  private static INDArray draw(int d, int dims, long seed) {
    SplittableRandom random = Seeds.random(seed, "cluster-projection", d);
    double scale = 1 / Math.sqrt(dims);
    float[] m = new float[d * dims];
    for (int i = 0; i < m.length; i++) {
      m[i] = (float) (random.nextGaussian() * scale);
    }
    INDArray a = Nd4j.create(DataType.FLOAT, d, dims);
    a.data().asNioFloat().put(m);
    return a;
  }
}
