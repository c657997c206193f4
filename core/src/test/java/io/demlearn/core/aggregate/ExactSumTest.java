package io.demlearn.core.aggregate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Properties of the reproducible summation: the bits of a sum and of its mean depend on the members
 * only, never on their order or on how partial sums were split and combined; the mean is the
 * correctly rounded one.
 */
class ExactSumTest {
  private static final int TRIALS = 300;

  /** A float of any sign and magnitude the generator picks, subnormals and zeros included. */
  private static float anyFloat(Random r) {
    return switch (r.nextInt(8)) {
      case 0 -> r.nextBoolean() ? 0.0f : -0.0f;
      case 1 -> Float.intBitsToFloat((r.nextBoolean() ? 0x8000_0000 : 0) | r.nextInt(0x80_0000));
      case 2 -> (r.nextBoolean() ? -1 : 1) * Float.MAX_VALUE / (1 + r.nextInt(4));
      case 3, 4 -> (float) (r.nextGaussian() * Math.scalb(1.0, r.nextInt(60)));
      case 5 -> (float) (r.nextGaussian() * Math.scalb(1.0, -r.nextInt(60)));
      default -> (float) r.nextGaussian();
    };
  }

  private record Member(float[] x, long w) {}

  private static List<Member> members(Random r, int n, int d) {
    List<Member> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      float[] x = new float[d];
      for (int k = 0; k < d; k++) {
        x[k] = anyFloat(r);
      }
      long w =
          switch (r.nextInt(3)) {
            case 0 -> 1;
            case 1 -> 1 + r.nextInt(100_000);
            default -> r.nextInt(Integer.MAX_VALUE);
          };
      out.add(new Member(x, w));
    }
    return out;
  }

  /** The members summed in the given order, split into partial sums at random, combined. */
  private static ExactSum splitSum(List<Member> members, int d, Random r) {
    List<ExactSum> parts = new ArrayList<>();
    ExactSum current = new ExactSum(d);
    for (Member m : members) {
      current.add(m.x(), m.w());
      if (r.nextInt(3) == 0) {
        parts.add(r.nextBoolean() ? current : ExactSum.decode(current.encode()));
        current = new ExactSum(d);
      }
    }
    parts.add(current);
    Collections.shuffle(parts, r);
    ExactSum total = new ExactSum(d);
    for (ExactSum p : parts) {
      total.add(p);
    }
    return total;
  }

  @Test
  void anyOrderAndAnySplitGivesTheSameBits() {
    Random r = new Random(11);
    for (int t = 0; t < TRIALS; t++) {
      int d = 1 + r.nextInt(6);
      List<Member> members = members(r, 1 + r.nextInt(12), d);
      ExactSum inOrder = new ExactSum(d);
      members.forEach(m -> inOrder.add(m.x(), m.w()));
      if (inOrder.weight() == 0) {
        continue;
      }
      double factor = r.nextBoolean() ? 1.0 : 0.5 + r.nextDouble();
      byte[] bytes = inOrder.encode();
      float[] mean = inOrder.mean(factor);
      for (int p = 0; p < 5; p++) {
        List<Member> shuffled = new ArrayList<>(members);
        Collections.shuffle(shuffled, r);
        ExactSum other = splitSum(shuffled, d, r);
        assertThat(other.encode()).isEqualTo(bytes);
        assertThat(bits(other.mean(factor))).isEqualTo(bits(mean));
      }
    }
  }

  @Test
  void theMeanIsCorrectlyRounded() {
    Random r = new Random(12);
    for (int t = 0; t < TRIALS; t++) {
      int d = 1 + r.nextInt(6);
      List<Member> members = members(r, 1 + r.nextInt(12), d);
      ExactSum sum = new ExactSum(d);
      members.forEach(m -> sum.add(m.x(), m.w()));
      if (sum.weight() == 0) {
        continue;
      }
      double factor = r.nextBoolean() ? 1.0 : 0.5 + r.nextDouble();
      float[] mean = sum.mean(factor);
      for (int k = 0; k < d; k++) {
        BigDecimal s = BigDecimal.ZERO;
        for (Member m : members) {
          s = s.add(new BigDecimal(m.x()[k]).multiply(BigDecimal.valueOf(m.w())));
        }
        float expected =
            s.multiply(new BigDecimal(factor))
                .divide(BigDecimal.valueOf(sum.weight()), new MathContext(500))
                .floatValue();
        assertThat(Float.floatToIntBits(mean[k]))
            .as("element %d of trial %d: %s", k, t, mean[k])
            .isEqualTo(Float.floatToIntBits(expected));
      }
    }
  }

  @Test
  void nothingIsLostToCancellationOrToMagnitude() {
    ExactSum sum = new ExactSum(2);
    sum.add(new float[] {1e30f, 0x1p60f}, 1);
    sum.add(new float[] {1f, 0x1p-60f}, 1);
    sum.add(new float[] {-1e30f, -0x1p60f}, 1);
    // a double accumulator in this order gives 0 for both
    assertThat(sum.mean(1.0)).containsExactly(1f / 3, (float) (0x1p-60 / 3));
  }

  @Test
  void meansWithinADoublesErrorOfATieAreRoundedExactly() {
    // (4 + 2^-22 + 2^-78) / 4 = 1 + 2^-24 + 2^-80: just above the midpoint of 1 and 1 + 2^-23,
    // where the sum in double is the midpoint itself and would round to even (1)
    ExactSum above = new ExactSum(1);
    above.add(new float[] {2f}, 2);
    above.add(new float[] {0x1p-22f}, 1);
    above.add(new float[] {0x1p-78f}, 1);
    assertThat(above.mean(1.0)[0]).isEqualTo(1f + 0x1p-23f);
    // just below the midpoint of 1 + 2^-23 and 1 + 2^-22 (the even one)
    ExactSum below = new ExactSum(1);
    below.add(new float[] {2f}, 2);
    below.add(new float[] {3 * 0x1p-22f}, 1);
    below.add(new float[] {-0x1p-78f}, 1);
    assertThat(below.mean(1.0)[0]).isEqualTo(1f + 0x1p-23f);
  }

  @Test
  void signedZerosAndSubnormals() {
    ExactSum zeros = new ExactSum(1);
    zeros.add(new float[] {-0.0f}, 1);
    zeros.add(new float[] {-0.0f}, 3);
    assertThat(Float.floatToRawIntBits(zeros.mean(1.0)[0])).isZero(); // +0.0, as before
    ExactSum tiny = new ExactSum(1);
    tiny.add(new float[] {Float.MIN_VALUE}, 3);
    tiny.add(new float[] {Float.MIN_VALUE * 2}, 1);
    assertThat(tiny.mean(1.0)[0]).isEqualTo(Float.MIN_VALUE); // 5/4 of it rounds down
  }

  @Test
  void refusesWhatItCannotSum() {
    ExactSum sum = new ExactSum(2);
    assertThatThrownBy(() -> sum.add(new float[] {1, Float.NaN}, 1))
        .hasMessageContaining("NaN at index 1 is not finite");
    assertThatThrownBy(() -> sum.add(new float[] {Float.NEGATIVE_INFINITY, 1}, 1))
        .hasMessageContaining("at index 0 is not finite");
    assertThatThrownBy(() -> sum.add(new float[] {1, 1}, -1))
        .hasMessageContaining("weight -1 is not in [0, 2^31)");
    assertThatThrownBy(() -> sum.add(new float[] {1}, 1))
        .hasMessageContaining("a vector of 1 values to a sum of 2");
    assertThatThrownBy(() -> sum.mean(1.0)).hasMessageContaining("weights sum to 0");
    assertThat(sum.weight()).isZero(); // a refused vector adds nothing
    assertThatThrownBy(() -> ExactSum.decode(new byte[] {1, 2, 3}))
        .hasMessageContaining("not an encoded exact sum");
  }

  @Test
  void encodingIsCompactForModelParameters() {
    Random r = new Random(13);
    int d = 7850;
    ExactSum sum = new ExactSum(d);
    for (int a = 0; a < 100; a++) {
      float[] x = new float[d];
      for (int k = 0; k < d; k++) {
        x[k] = (float) (r.nextGaussian() * 0.05);
      }
      sum.add(x, 1);
    }
    byte[] bytes = sum.encode();
    assertThat(ExactSum.decode(bytes).encode()).isEqualTo(bytes);
    assertThat(bytes.length).isLessThan(4 * d * 4); // under four float32 vectors
  }

  private static int[] bits(float[] v) {
    int[] out = new int[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = Float.floatToRawIntBits(v[i]);
    }
    return out;
  }
}
