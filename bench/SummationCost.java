import io.demlearn.core.aggregate.ExactSum;
import java.util.Arrays;
import java.util.Random;

/**
 * The cost of the reproducible summation per element against a plain double accumulation, on
 * vectors shaped like model parameters (MLR: 7,850 values, Gaussian with sd 0.05), in one JVM.
 * Run by bench/summation.sh.
 */
public class SummationCost {
  public static void main(String[] args) {
    int d = 7850;
    int members = args.length > 0 ? Integer.parseInt(args[0]) : 100;
    Random r = new Random(1);
    float[][] x = new float[members][d];
    for (float[] v : x) {
      for (int k = 0; k < d; k++) {
        v[k] = (float) (r.nextGaussian() * 0.05);
      }
    }
    float[][] data = x;
    double plain =
        time(
            members * d,
            () -> {
              double[] acc = new double[d];
              for (float[] v : data) {
                for (int k = 0; k < d; k++) {
                  acc[k] += 1.0 * v[k];
                }
              }
              float[] m0 = new float[d];
              for (int k = 0; k < d; k++) {
                m0[k] = (float) (acc[k] / members);
              }
              return m0[7];
            });
    double add =
        time(
            members * d,
            () -> {
              ExactSum s = new ExactSum(d);
              for (float[] v : data) {
                s.add(v, 1);
              }
              return s.weight();
            });
    ExactSum sum = new ExactSum(d);
    for (float[] v : x) {
      sum.add(v, 1);
    }
    double mean = time(d, () -> sum.mean(1.0)[7]);
    double merge =
        time(
            d,
            () -> {
              ExactSum s = new ExactSum(d);
              s.add(sum);
              return s.weight();
            });
    int bytes = sum.encode().length;
    double encode = time(d, () -> sum.encode().length);
    double decode = time(d, () -> ExactSum.decode(sum.encode()).weight());
    System.out.printf("%d vectors of %d floats, median of 15 timings after 1 s of warm-up:%n", members, d);
    System.out.printf("  plain double sum (as before):  %6.2f ns per element added%n", plain);
    System.out.printf("  exact sum, add:                %6.2f ns per element added%n", add);
    System.out.printf("  exact sum, mean (rounding):    %6.2f ns per element%n", mean);
    System.out.printf("  exact sum, add a partial sum:  %6.2f ns per element%n", merge);
    System.out.printf("  exact sum, encode:             %6.2f ns per element%n", encode);
    System.out.printf("  exact sum, encode + decode:    %6.2f ns per element%n", decode);
    System.out.printf(
        "  encoded exact sum: %d bytes, %.2f per element (a float32 vector: 4)%n",
        bytes, bytes / (double) d);
  }

  static Object sink;

  /** Median nanoseconds per element of a task doing {@code elements} element operations. */
  private static double time(long elements, java.util.function.Supplier<Object> task) {
    long end = System.nanoTime() + 1_000_000_000L;
    while (System.nanoTime() < end) {
      sink = task.get();
    }
    double[] t = new double[15];
    for (int i = 0; i < t.length; i++) {
      long t0 = System.nanoTime();
      sink = task.get();
      t[i] = (System.nanoTime() - t0) / (double) elements;
    }
    Arrays.sort(t);
    return t[t.length / 2];
  }
}
