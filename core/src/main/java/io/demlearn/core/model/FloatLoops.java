package io.demlearn.core.model;

/**
 * The float32 loops the dense models are made of, on whole rows (arrays indexed from 0, which is
 * what lets C2 turn a loop into vector instructions). Each result is one fixed sequence of IEEE
 * operations, fused multiply-adds among them ({@link Math#fma} is exact to its definition in every
 * execution mode), so the interpreter, the C1 compiler and C2 give the same bits. The loops without
 * a running sum ({@link #axpy}, {@link #axpy4}) vectorise; {@link #dot} keeps eight running sums,
 * combined in a fixed order, so that its additions overlap.
 */
final class FloatLoops {
  private FloatLoops() {}

  /** {@code y[k] = fma(a, x[k], y[k])} for k in [0, n). */
  static void axpy(int n, float a, float[] x, float[] y) {
    for (int k = 0; k < n; k++) {
      y[k] = Math.fma(a, x[k], y[k]);
    }
  }

  /**
   * Four {@link #axpy}s in one pass, in their order (the same bits as four calls, with a quarter of
   * the loads and stores of y).
   */
  static void axpy4(
      int n,
      float a0,
      float[] x0,
      float a1,
      float[] x1,
      float a2,
      float[] x2,
      float a3,
      float[] x3,
      float[] y) {
    for (int k = 0; k < n; k++) {
      y[k] =
          Math.fma(a3, x3[k], Math.fma(a2, x2[k], Math.fma(a1, x1[k], Math.fma(a0, x0[k], y[k]))));
    }
  }

  /**
   * {@code y += sum over r of a[r] * x[r]} for r in [0, rows), in that order: {@link #axpy4} on
   * four rows at a time, then {@link #axpy} on the rest.
   */
  static void axpyRows(int n, int rows, float[] a, float[][] x, float[] y) {
    int r = 0;
    for (; r + 4 <= rows; r += 4) {
      axpy4(n, a[r], x[r], a[r + 1], x[r + 1], a[r + 2], x[r + 2], a[r + 3], x[r + 3], y);
    }
    for (; r < rows; r++) {
      axpy(n, a[r], x[r], y);
    }
  }

  /**
   * The sum of {@code a[k] * b[k]} for k in [0, n): eight running sums over k modulo 8 (fused
   * multiply-adds), then the rest into the first, combined as ((s0 + s1) + (s2 + s3)) + ((s4 + s5)
   * + (s6 + s7)).
   */
  static float dot(float[] a, float[] b, int n) {
    float s0 = 0;
    float s1 = 0;
    float s2 = 0;
    float s3 = 0;
    float s4 = 0;
    float s5 = 0;
    float s6 = 0;
    float s7 = 0;
    int k = 0;
    for (; k + 8 <= n; k += 8) {
      s0 = Math.fma(a[k], b[k], s0);
      s1 = Math.fma(a[k + 1], b[k + 1], s1);
      s2 = Math.fma(a[k + 2], b[k + 2], s2);
      s3 = Math.fma(a[k + 3], b[k + 3], s3);
      s4 = Math.fma(a[k + 4], b[k + 4], s4);
      s5 = Math.fma(a[k + 5], b[k + 5], s5);
      s6 = Math.fma(a[k + 6], b[k + 6], s6);
      s7 = Math.fma(a[k + 7], b[k + 7], s7);
    }
    for (; k < n; k++) {
      s0 = Math.fma(a[k], b[k], s0);
    }
    return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
  }
}
