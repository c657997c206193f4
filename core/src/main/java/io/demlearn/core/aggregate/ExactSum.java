package io.demlearn.core.aggregate;

import java.math.BigInteger;
import java.nio.ByteBuffer;

/**
 * The exact sum of weighted float32 vectors, {@code S = sum_i w_i x_i} with integer weights, and
 * its mean: a reproducible summation. Every product {@code w_i x_i[k]} is an integer multiple of
 * 2<sup>-149</sup> (the smallest float32), so each element is kept as one wide fixed-point integer
 * and nothing is ever rounded while summing: any order of additions, and any split into partial
 * sums combined later ({@link #add(ExactSum)}), gives the same bits.
 *
 * <p>Accuracy: {@link #mean} is the float32 nearest to {@code factor * S / W} (ties to even), that
 * is, correctly rounded; a double-precision estimate decides it, and in the rare cases where that
 * estimate lies within 2<sup>-50</sup> (relative) of a rounding boundary, exact arithmetic does.
 *
 * <p>Representation: element {@code k} is a two's complement integer in 32-bit limbs (held in
 * longs, so carries are propagated lazily), over a window of limbs shared by all elements that
 * grows to the limbs the values touch: a few limbs for model parameters of similar magnitudes, at
 * most 11 for the whole float32 range. Cost per element added: a handful of integer operations (see
 * docs/BENCHMARKS.md). Weights are integers in {@code [0, 2^31)}; NaN and infinities are refused.
 */
public final class ExactSum {
  private static final long MASK = 0xFFFF_FFFFL;

  /** Limb {@code j} holds bits {@code [32j, 32j+32)} of the sum in units of 2^-149. */
  private static final int MAX_LIMBS = 11;

  private static final int MIN_EXPONENT = -149;

  /** Vector additions allowed before carries must be propagated (each adds < 2^32 per limb). */
  private static final int ADDS_BEFORE_CARRY = 1 << 30;

  private final int dimension;
  private long[] limbs = new long[0];
  private int lo;
  private int width;
  private long weight;
  private int addsSinceCarry;

  public ExactSum(int dimension) {
    if (dimension < 0) {
      throw new IllegalArgumentException("negative dimension " + dimension);
    }
    this.dimension = dimension;
  }

  public int dimension() {
    return dimension;
  }

  /** The sum of the weights added. */
  public long weight() {
    return weight;
  }

  /** Adds {@code w * x}. */
  public void add(float[] x, long w) {
    if (x.length != dimension) {
      throw new IllegalArgumentException(
          "cannot add a vector of " + x.length + " values to a sum of " + dimension);
    }
    if (w < 0 || w >= 1L << 31) {
      throw new IllegalArgumentException("weight " + w + " is not in [0, 2^31)");
    }
    int minShift = Integer.MAX_VALUE;
    int maxShift = -1;
    for (int k = 0; k < dimension; k++) {
      int bits = Float.floatToRawIntBits(x[k]);
      int e = (bits >>> 23) & 0xFF;
      if (e == 0xFF) {
        throw new IllegalArgumentException("value " + x[k] + " at index " + k + " is not finite");
      }
      if ((bits & 0x7FFF_FFFF) != 0) {
        int shift = e == 0 ? 0 : e - 1;
        minShift = Math.min(minShift, shift);
        maxShift = Math.max(maxShift, shift);
      }
    }
    weight += w;
    if (maxShift < 0 || w == 0) {
      return;
    }
    carryIfDue();
    // a product spans limbs j..j+2 from j = shift/32; one limb above them takes the carries
    ensureWindow(minShift >>> 5, (maxShift >>> 5) + 3);
    for (int k = 0; k < dimension; k++) {
      int bits = Float.floatToRawIntBits(x[k]);
      int e = (bits >>> 23) & 0xFF;
      int m = bits & 0x7F_FFFF;
      if (e == 0 && m == 0) {
        continue;
      }
      int shift = e == 0 ? 0 : e - 1;
      long v = (long) (e == 0 ? m : m | 0x80_0000) * w; // < 2^55
      int s = shift & 31;
      long low = (v << s) & MASK;
      long rest = v >>> (32 - s); // bits 32.. of v << s (s = 0: v >>> 32)
      int at = k * width + (shift >>> 5) - lo;
      if (bits < 0) {
        limbs[at] -= low;
        limbs[at + 1] -= rest & MASK;
        limbs[at + 2] -= rest >>> 32;
      } else {
        limbs[at] += low;
        limbs[at + 1] += rest & MASK;
        limbs[at + 2] += rest >>> 32;
      }
    }
  }

  /** Adds another sum (a partial sum of the same vectors, made elsewhere). */
  public void add(ExactSum other) {
    if (other.dimension != dimension) {
      throw new IllegalArgumentException(
          "cannot add a sum of " + other.dimension + " values to a sum of " + dimension);
    }
    weight = Math.addExact(weight, other.weight);
    if (other.width == 0) {
      return;
    }
    other.carry();
    carryIfDue();
    ensureWindow(other.lo, other.lo + other.width - 1);
    for (int k = 0; k < dimension; k++) {
      int from = k * other.width;
      int to = k * width + other.lo - lo;
      for (int j = 0; j < other.width; j++) {
        limbs[to + j] += other.limbs[from + j];
      }
    }
  }

  /**
   * The float32 nearest to {@code factor * S / W} for every element, where W is the sum of the
   * weights.
   */
  public float[] mean(double factor) {
    if (weight <= 0) {
      throw new IllegalArgumentException("weights sum to " + weight);
    }
    carry();
    float[] out = new float[dimension];
    double scale = factor / weight;
    long[] element = new long[width];
    for (int k = 0; k < dimension; k++) {
      System.arraycopy(limbs, k * width, element, 0, width);
      double s = toDouble(element);
      double q = s * scale;
      float r = (float) q;
      if (s != 0 && Float.isFinite(r) && nearBoundary(q, r)) {
        System.arraycopy(limbs, k * width, element, 0, width);
        r = exactlyRounded(element, factor, r);
      }
      out[k] = r;
    }
    return out;
  }

  // --- window and carries

  private void carryIfDue() {
    if (++addsSinceCarry >= ADDS_BEFORE_CARRY) {
      carry();
    }
  }

  /** Propagates carries: limbs below the top in [0, 2^32), the top one signed. */
  private void carry() {
    for (int k = 0; k < dimension; k++) {
      normalise(limbs, k * width, width);
    }
    addsSinceCarry = 0;
  }

  private static void normalise(long[] a, int from, int n) {
    long c = 0;
    for (int j = from; j < from + n - 1; j++) {
      long v = a[j] + c;
      a[j] = v & MASK;
      c = v >> 32;
    }
    if (n > 0) {
      a[from + n - 1] += c;
    }
  }

  /** Makes the window cover absolute limbs {@code from..to} (inclusive). */
  private void ensureWindow(int from, int to) {
    if (to >= MAX_LIMBS) {
      throw new IllegalStateException("limb " + to + " is beyond the widest sum");
    }
    if (width > 0 && from >= lo && to <= lo + width - 1) {
      return;
    }
    carry();
    int newLo = width == 0 ? from : Math.min(from, lo);
    int newWidth = (width == 0 ? to : Math.max(to, lo + width - 1)) - newLo + 1;
    long[] grown = new long[dimension * newWidth];
    for (int k = 0; k < dimension && width > 0; k++) {
      System.arraycopy(limbs, k * width, grown, k * newWidth + lo - newLo, width);
      // the old top limb is signed: carrying spreads its sign over the limbs above it
      normalise(grown, k * newWidth, newWidth);
    }
    limbs = grown;
    lo = newLo;
    width = newWidth;
  }

  // --- conversions

  /**
   * The value of one element's limbs (normalised) correctly rounded to double; the limbs are
   * overwritten.
   */
  private double toDouble(long[] a) {
    int n = a.length;
    if (n == 0) {
      return 0.0;
    }
    boolean negative = a[n - 1] < 0;
    if (negative) {
      for (int j = 0; j < n; j++) {
        a[j] = -a[j];
      }
      normalise(a, 0, n);
    }
    int t = n - 1;
    while (t >= 0 && a[t] == 0) {
      t--;
    }
    if (t < 0) {
      return 0.0;
    }
    int lz = Long.numberOfLeadingZeros(a[t]) - 32;
    long l1 = t >= 1 ? a[t - 1] : 0;
    long l2 = t >= 2 ? a[t - 2] : 0;
    long m = (a[t] << (32 + lz)) | (l1 << lz) | (l2 >>> (32 - lz));
    boolean sticky = lz < 32 && (l2 & ((1L << (32 - lz)) - 1)) != 0;
    for (int j = t - 3; j >= 0 && !sticky; j--) {
      sticky = a[j] != 0;
    }
    long keep = m >>> 11;
    long rem = m & 0x7FF;
    if (rem > 0x400 || (rem == 0x400 && (sticky || (keep & 1) == 1))) {
      keep++;
    }
    int exponent = 32 * (t - 1) - lz + 11 + 32 * lo + MIN_EXPONENT;
    double d = Math.scalb((double) keep, exponent);
    return negative ? -d : d;
  }

  /**
   * Whether {@code q} lies so close to a boundary of {@code r}'s rounding interval that it may be
   * on the wrong side.
   */
  private static boolean nearBoundary(double q, float r) {
    double tolerance = Math.abs(q) * 0x1p-50;
    double below = ((double) r + (double) Math.nextDown(r)) / 2;
    double above = ((double) r + (double) Math.nextUp(r)) / 2;
    return Math.abs(q - below) <= tolerance || Math.abs(q - above) <= tolerance;
  }

  /**
   * The correctly rounded float32 of {@code factor * S / W}, by exact arithmetic; r is within one
   * step of it.
   */
  private float exactlyRounded(long[] a, double factor, float r) {
    BigInteger s = BigInteger.ZERO;
    for (int j = a.length - 1; j >= 0; j--) {
      s = s.shiftLeft(32).add(BigInteger.valueOf(a[j]));
    }
    // factor * S is s * factor * 2^exponent; compared with a boundary b as b * W
    BigInteger product = s.multiply(BigInteger.valueOf(mantissa(factor)));
    int exponent = 32 * lo + MIN_EXPONENT + exponent(factor);
    float down = Math.nextDown(r);
    float up = Math.nextUp(r);
    int vsBelow = compare(product, exponent, ((double) r + (double) down) / 2);
    int vsAbove = compare(product, exponent, ((double) r + (double) up) / 2);
    if (vsBelow < 0) {
      return down;
    }
    if (vsAbove > 0) {
      return up;
    }
    if (vsBelow == 0) {
      return even(down, r);
    }
    if (vsAbove == 0) {
      return even(r, up);
    }
    return r;
  }

  /** The sign of {@code p * 2^e - b * W}, exactly. */
  private int compare(BigInteger p, int e, double b) {
    BigInteger q = BigInteger.valueOf(weight).multiply(BigInteger.valueOf(mantissa(b)));
    int f = exponent(b);
    return e >= f ? p.shiftLeft(e - f).compareTo(q) : p.compareTo(q.shiftLeft(f - e));
  }

  /** A finite double is {@code mantissa(d) * 2^exponent(d)} exactly. */
  private static long mantissa(double d) {
    long bits = Double.doubleToRawLongBits(d);
    long m = bits & ((1L << 52) - 1);
    if (((bits >>> 52) & 0x7FF) != 0) {
      m |= 1L << 52;
    }
    return bits < 0 ? -m : m;
  }

  private static int exponent(double d) {
    int e = (int) ((Double.doubleToRawLongBits(d) >>> 52) & 0x7FF);
    return Math.max(e, 1) - 1075;
  }

  private static float even(float a, float b) {
    return (Float.floatToRawIntBits(a) & 1) == 0 ? a : b;
  }

  // --- encoding

  /**
   * The sum as bytes (weight, window, and per element only the limbs that carry its value), to
   * store or send; {@link #decode} reads it back.
   */
  public byte[] encode() {
    carry();
    int size = 4 + 8 + 2;
    long[] element = new long[width];
    int[] from = new int[dimension];
    int[] count = new int[dimension];
    for (int k = 0; k < dimension; k++) {
      System.arraycopy(limbs, k * width, element, 0, width);
      significant(element, k, from, count);
      size += 2 + 4 * count[k];
    }
    ByteBuffer b = ByteBuffer.allocate(size);
    b.putInt(dimension).putLong(weight).put((byte) lo).put((byte) width);
    for (int k = 0; k < dimension; k++) {
      b.put((byte) from[k]).put((byte) count[k]);
      for (int j = from[k]; j < from[k] + count[k]; j++) {
        b.putInt((int) limbs[k * width + j]);
      }
    }
    return b.array();
  }

  /** The limbs {@code from..from+count-1} that hold element k as a two's complement integer. */
  private static void significant(long[] a, int k, int[] from, int[] count) {
    int n = a.length;
    int low = 0;
    while (low < n && a[low] == 0) {
      low++;
    }
    if (low == n) {
      from[k] = 0;
      count[k] = 0;
      return;
    }
    if (a[n - 1] != (int) a[n - 1]) {
      throw new IllegalStateException("the sum's top limb overflowed"); // needs > 2^31 additions
    }
    // the signed top: limbs that only continue the sign of the one below are dropped
    int high = n - 1;
    long sign = a[n - 1] < 0 ? MASK : 0;
    while (high > low && (a[high] & MASK) == sign && ((a[high - 1] >>> 31) & 1) == (sign & 1)) {
      high--;
    }
    from[k] = low;
    count[k] = high - low + 1;
  }

  /** Reads a sum written by {@link #encode}. */
  public static ExactSum decode(byte[] bytes) {
    ByteBuffer b = ByteBuffer.wrap(bytes);
    try {
      ExactSum sum = new ExactSum(b.getInt());
      sum.weight = b.getLong();
      int lo = b.get();
      int width = b.get();
      if (sum.weight < 0 || lo < 0 || width < 0 || lo + width > MAX_LIMBS) {
        throw new IllegalArgumentException("not an encoded exact sum");
      }
      sum.lo = lo;
      sum.width = width;
      sum.limbs = new long[sum.dimension * width];
      for (int k = 0; k < sum.dimension; k++) {
        int from = b.get();
        int count = b.get();
        if (from < 0 || count < 0 || from + count > width) {
          throw new IllegalArgumentException("not an encoded exact sum");
        }
        for (int j = 0; j < count; j++) {
          long v = b.getInt();
          // the element's top stored limb is signed, the others unsigned
          sum.limbs[k * width + from + j] = j == count - 1 ? v : v & MASK;
        }
        normalise(sum.limbs, k * width, width); // spreads a negative top's sign upward
      }
      if (b.hasRemaining()) {
        throw new IllegalArgumentException(
            "not an encoded exact sum: " + b.remaining() + " bytes too many");
      }
      return sum;
    } catch (java.nio.BufferUnderflowException e) {
      throw new IllegalArgumentException("not an encoded exact sum: too short", e);
    }
  }
}
