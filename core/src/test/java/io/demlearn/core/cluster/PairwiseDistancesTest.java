package io.demlearn.core.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.demlearn.core.Seeds;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PairwiseDistancesTest {
  private static float[][] points(int n, int d) {
    SplittableRandom r = Seeds.random(3, "distances-test", n);
    float[][] x = new float[n][d];
    for (float[] row : x) {
      for (int k = 0; k < d; k++) {
        row[k] = (float) (5 + r.nextGaussian()); // off-centre: the Gram identity must cope
      }
    }
    return x;
  }

  private static double worstRelativeError(float[][] x, Metric metric) {
    double[] d = PairwiseDistances.compute(x, metric);
    int n = x.length;
    double worst = 0;
    for (int i = 0; i < n; i++) {
      for (int j = i + 1; j < n; j++) {
        double expected;
        if (metric == Metric.EUCLIDEAN) {
          expected = Math.sqrt(PairwiseDistances.directSquared(x[i], x[j]));
        } else {
          double dot = 0;
          double ni = 0;
          double nj = 0;
          for (int k = 0; k < x[i].length; k++) {
            dot += (double) x[i][k] * x[j][k];
            ni += (double) x[i][k] * x[i][k];
            nj += (double) x[j][k] * x[j][k];
          }
          expected = 1 - dot / Math.sqrt(ni * nj);
        }
        double got = d[PairwiseDistances.index(n, i, j)];
        worst = Math.max(worst, Math.abs(got - expected) / Math.max(expected, 1e-12));
      }
    }
    return worst;
  }

  @Test
  void oneCallForFewRowsAndBlocksOfRowsForManyGiveTheDirectDistances() {
    // 300 rows: one product; 1,600 rows: blocks of 1,310 and 290 rows
    for (int n : new int[] {300, 1600}) {
      float[][] x = points(n, 12);
      assertThat(worstRelativeError(x, Metric.EUCLIDEAN)).as("%d rows", n).isLessThan(1e-9);
      assertThat(worstRelativeError(x, Metric.COSINE)).as("%d rows", n).isLessThan(1e-6);
    }
  }

  @Test
  void identicalRowsAreAtDistanceZeroAsTheirDifferencesSay() {
    float[][] x = points(40, 16);
    for (int i = 10; i < 40; i++) {
      x[i] = i % 2 == 0 ? x[10].clone() : x[11].clone(); // two sets of copies, as unsampled agents
    }
    double[] d = PairwiseDistances.compute(x, Metric.EUCLIDEAN);
    assertThat(d[PairwiseDistances.index(40, 12, 38)]).isZero();
    assertThat(d[PairwiseDistances.index(40, 12, 39)]).isPositive();
    // every pair as its differences give it (a copy's distance to its original exactly 0)
    assertThat(worstRelativeError(x, Metric.EUCLIDEAN)).isLessThan(1e-9);
  }
}
