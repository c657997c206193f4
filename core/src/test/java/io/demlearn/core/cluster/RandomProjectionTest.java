package io.demlearn.core.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.demlearn.core.Seeds;
import io.demlearn.core.strategy.ClusteringPolicy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RandomProjectionTest {
  private static float[][] points(int n, int d, long seed) {
    SplittableRandom r = Seeds.random(seed, "projection-test", 0);
    float[][] x = new float[n][d];
    for (float[] row : x) {
      for (int k = 0; k < d; k++) {
        row[k] = (float) r.nextGaussian();
      }
    }
    return x;
  }

  @Test
  void keepsPairwiseDistancesWithinTheJohnsonLindenstraussBound() {
    float[][] x = points(40, 3000, 1);
    int dims = 1000;
    float[][] y = RandomProjection.project(x, dims, 7);
    double[] before = PairwiseDistances.compute(x, Metric.EUCLIDEAN);
    double[] after = PairwiseDistances.compute(y, Metric.EUCLIDEAN);
    // squared distances: relative standard deviation sqrt(2 / dims) = 0.045; 6 of those is 0.27
    double worst = 0;
    for (int i = 0; i < before.length; i++) {
      double ratio = after[i] * after[i] / (before[i] * before[i]);
      worst = Math.max(worst, Math.abs(ratio - 1));
    }
    assertThat(worst).isLessThan(6 * Math.sqrt(2.0 / dims)).isGreaterThan(0);
  }

  @Test
  void theSameRowsAndSeedGiveTheSameBitsAcrossBlocksOfRows() {
    float[][] x = points(1100, 4000, 2); // more rows than one block (1,048 rows of 4,000)
    float[][] a = RandomProjection.project(x, 32, 5);
    float[][] b = RandomProjection.project(x, 32, 5);
    for (int i = 0; i < x.length; i++) {
      assertThat(b[i]).containsExactly(a[i]);
    }
    assertThat(RandomProjection.project(x, 32, 6)[0]).isNotEqualTo(a[0]);
  }

  @Test
  void aRowsBitsDoNotDependOnTheRowsItIsProjectedWith() {
    // what lets the pipeline's clusterer project updates as they arrive, in batches of any size
    float[][] x = points(150, 7850, 8);
    float[][] all = RandomProjection.project(x, 256, 3);
    for (int batch : new int[] {1, 2, 5, 16, 17, 64, 149}) {
      for (int from = 0; from < x.length; from += batch) {
        int to = Math.min(x.length, from + batch);
        float[][] part = RandomProjection.project(Arrays.copyOfRange(x, from, to), 256, 3);
        for (int i = from; i < to; i++) {
          assertThat(part[i - from])
              .as("row %d in a batch of %d", i, batch)
              .containsExactly(all[i]);
        }
      }
    }
  }

  @Test
  void aBadRowIsNamedBeforeAnythingIsProjected() {
    float[][] x = points(3, 10, 3);
    x[2][4] = Float.NaN;
    assertThatThrownBy(() -> RandomProjection.project(x, 4, 1))
        .isInstanceOf(ClusteringInputException.class)
        .hasMessageContaining("2")
        .hasMessageContaining("NaN");
  }

  @Test
  void thePolicyProjectsOnlyRowsLongerThanItsDimensionsAndSaysSo() {
    List<float[]> models = new ArrayList<>(List.of(points(6, 8, 4)));
    ClusteringPolicy exact = new ClusteringPolicy(Metric.EUCLIDEAN, Linkage.AVERAGE);
    ClusteringPolicy wide = new ClusteringPolicy(Metric.EUCLIDEAN, Linkage.AVERAGE, 8, 1);
    assertThat(wide.cluster(models)).isEqualTo(exact.cluster(models));
    assertThat(exact.features()).isEqualTo("parameters");
    assertThat(wide.features()).contains("random projection to 8 dimensions").contains("seed 1");
  }
}
