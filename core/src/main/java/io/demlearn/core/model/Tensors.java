package io.demlearn.core.model;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * ND4J set up for many small models trained in parallel (measured on 2 cores): JavaCPP's
 * physical-memory accounting off (halves the cost of each op), and one BLAS/OpenMP thread per
 * calling thread, so that agents, not ND4J, use the cores. Call {@link #init()} before the first
 * ND4J array is made.
 */
public final class Tensors {
  private static volatile boolean initialised;

  private Tensors() {}

  public static synchronized void init() {
    if (initialised) {
      return;
    }
    if (System.getProperty("org.bytedeco.javacpp.maxPhysicalBytes") == null) {
      System.setProperty("org.bytedeco.javacpp.maxPhysicalBytes", "0");
    }
    Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
    Nd4j.getEnvironment().setMaxThreads(1);
    Nd4j.getEnvironment().setMaxMasterThreads(1);
    Nd4j.factory().blas().setMaxThreads(1);
    initialised = true;
  }

  /**
   * Copies {@code length} floats into a float array's memory in one bulk copy (ND4J's own setters
   * copy element by element, which costs more than the arithmetic for small models when the JIT
   * compiles little). Falls back to ND4J's path for other types or views not at their buffer's
   * start.
   */
  static void write(INDArray a, float[] src, int length) {
    if (bulk(a)) {
      a.data().asNioFloat().put(src, 0, length);
    } else {
      a.assign(Nd4j.createFromArray(src).castTo(a.dataType()));
    }
  }

  /** The first {@code length} floats of an array's memory (in its order), in one bulk copy. */
  static float[] read(INDArray a, int length) {
    float[] out = new float[length];
    if (bulk(a)) {
      a.data().asNioFloat().get(out, 0, length);
    } else {
      System.arraycopy(a.castTo(DataType.FLOAT).data().asFloat(), 0, out, 0, length);
    }
    return out;
  }

  private static boolean bulk(INDArray a) {
    return a.dataType() == DataType.FLOAT && a.offset() == 0 && a.data().offset() == 0;
  }

  /**
   * Per row of a matrix, the index of its largest value, the first one on ties (as {@code
   * DenseNetwork.argmaxBlocks}), computed by ND4J without copying the matrix out.
   */
  static int[] argmaxOfRows(INDArray m) {
    try (INDArray best = m.argMax(1)) {
      int n = (int) best.length();
      long[] indices;
      if (best.dataType() == DataType.LONG && best.offset() == 0 && best.data().offset() == 0) {
        indices = new long[n];
        best.data().asNioLong().get(indices, 0, n); // one bulk copy, not a call per element
      } else {
        indices = best.toLongVector();
      }
      int[] out = new int[n];
      for (int i = 0; i < n; i++) {
        out[i] = (int) indices[i];
      }
      return out;
    }
  }
}
