package io.demlearn.core.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The nearest-neighbour chain against a brute-force O(n^3) clustering built from the definitions.
 */
class AgglomerativeTest {

  static List<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    for (Linkage linkage : Linkage.values()) {
      for (Metric metric : Metric.values()) {
        if (linkage == Linkage.WARD && metric != Metric.EUCLIDEAN) {
          continue;
        }
        for (int n : new int[] {2, 3, 7, 25, 60}) {
          out.add(Arguments.of(linkage, metric, n));
        }
      }
    }
    return out;
  }

  @ParameterizedTest(name = "{0} {1} n={2}")
  @MethodSource("cases")
  void sameMergesAsBruteForce(Linkage linkage, Metric metric, int n) {
    Random random = new Random(31L * n + linkage.ordinal() * 7 + metric.ordinal());
    int d = 3 + random.nextInt(20);
    float[][] x = new float[n][d];
    for (float[] row : x) {
      for (int k = 0; k < d; k++) {
        row[k] = (float) (random.nextGaussian() + (random.nextBoolean() ? 3 : 0));
      }
    }
    Dendrogram fast = Agglomerative.cluster(x, metric, linkage);
    List<double[]> slow = BruteForce.cluster(x, metric, linkage);
    assertThat(fast.merges()).hasSize(n - 1);
    for (int i = 0; i < n - 1; i++) {
      Dendrogram.Merge m = fast.merges().get(i);
      double[] e = slow.get(i);
      assertThat(new int[] {m.left(), m.right(), m.size()})
          .as("merge %d", i)
          .containsExactly((int) e[0], (int) e[1], (int) e[3]);
      assertThat(m.distance()).as("distance of merge %d", i).isCloseTo(e[2], within(1e-6));
    }
  }

  @Test
  void nearlyEqualLargeVectorsKeepAccurateDistances() {
    // vectors of norm ~1000 that differ by ~1e-3: the Gram identity alone would lose the distance
    int d = 7850;
    Random random = new Random(5);
    float[][] x = new float[3][d];
    for (int k = 0; k < d; k++) {
      float base = (float) (random.nextGaussian() * 11);
      x[0][k] = base;
      x[1][k] = base + (k == 0 ? 0.001f : 0f);
      x[2][k] = base + (k < 2 ? 0.5f : 0f);
    }
    double[] dist = PairwiseDistances.compute(x, Metric.EUCLIDEAN);
    assertThat(dist[PairwiseDistances.index(3, 0, 1)])
        .isCloseTo(Math.abs((double) x[1][0] - x[0][0]), within(1e-9));
    assertThat(dist[PairwiseDistances.index(3, 0, 2)])
        .isCloseTo(Math.sqrt(PairwiseDistances.directSquared(x[0], x[2])), within(1e-9));
  }

  @Test
  void identicalPointsMergeAtZeroDeterministically() {
    float[][] x = {{1, 2}, {1, 2}, {1, 2}, {5, 5}};
    Dendrogram a = Agglomerative.cluster(x, Metric.EUCLIDEAN, Linkage.AVERAGE);
    Dendrogram b = Agglomerative.cluster(x, Metric.EUCLIDEAN, Linkage.AVERAGE);
    assertThat(a).isEqualTo(b);
    assertThat(a.merges().get(0).distance()).isZero();
    assertThat(a.merges().get(1).distance()).isZero();
    assertThat(a.merges().get(2).size()).isEqualTo(4);
  }

  @Test
  void badInputIsNamed() {
    assertThatThrownBy(
            () ->
                Agglomerative.cluster(new float[][] {{1, 2}, {3, 4}}, Metric.COSINE, Linkage.WARD))
        .hasMessageContaining("Ward linkage needs the Euclidean metric");
    assertThatThrownBy(
            () ->
                Agglomerative.cluster(
                    new float[][] {{1, 2}, {3, Float.NaN}}, Metric.EUCLIDEAN, Linkage.AVERAGE))
        .isInstanceOfSatisfying(
            ClusteringInputException.class, e -> assertThat(e.row()).isEqualTo(1))
        .hasMessageContaining("non-finite");
    assertThatThrownBy(
            () ->
                Agglomerative.cluster(
                    new float[][] {{1, 2}, {3}}, Metric.EUCLIDEAN, Linkage.AVERAGE))
        .hasMessageContaining("row 1 has 1 values");
    assertThatThrownBy(
            () ->
                Agglomerative.cluster(
                    new float[][] {{0, 0}, {3, 1}}, Metric.COSINE, Linkage.AVERAGE))
        .hasMessageContaining("row 0 is all zeros");
  }

  @Test
  void oneAgentHasNoMerges() {
    assertThat(
            Agglomerative.cluster(new float[][] {{1, 2}}, Metric.EUCLIDEAN, Linkage.AVERAGE)
                .merges())
        .isEmpty();
  }

  /** Greedy clustering straight from the linkage definitions: O(n^3), for checking only. */
  static final class BruteForce {
    static List<double[]> cluster(float[][] x, Metric metric, Linkage linkage) {
      int n = x.length;
      List<List<Integer>> members = new ArrayList<>();
      List<Integer> labels = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        members.add(new ArrayList<>(List.of(i)));
        labels.add(i);
      }
      List<double[]> out = new ArrayList<>();
      for (int step = 0; step < n - 1; step++) {
        int bi = -1;
        int bj = -1;
        double best = Double.POSITIVE_INFINITY;
        for (int i = 0; i < members.size(); i++) {
          for (int j = i + 1; j < members.size(); j++) {
            double dij = clusterDistance(x, members.get(i), members.get(j), metric, linkage);
            if (dij < best) {
              best = dij;
              bi = i;
              bj = j;
            }
          }
        }
        int la = labels.get(bi);
        int lb = labels.get(bj);
        List<Integer> merged = new ArrayList<>(members.get(bi));
        merged.addAll(members.get(bj));
        out.add(new double[] {Math.min(la, lb), Math.max(la, lb), best, merged.size()});
        members.remove(bj);
        labels.remove(bj);
        members.set(bi, merged);
        labels.set(bi, n + step);
      }
      return out;
    }

    static double point(float[] a, float[] b, Metric metric) {
      if (metric == Metric.EUCLIDEAN) {
        return Math.sqrt(PairwiseDistances.directSquared(a, b));
      }
      double dot = 0;
      double na = 0;
      double nb = 0;
      for (int k = 0; k < a.length; k++) {
        dot += (double) a[k] * b[k];
        na += (double) a[k] * a[k];
        nb += (double) b[k] * b[k];
      }
      return 1 - dot / Math.sqrt(na * nb);
    }

    static double clusterDistance(
        float[][] x, List<Integer> a, List<Integer> b, Metric metric, Linkage linkage) {
      switch (linkage) {
        case WARD:
          {
            int d = x[0].length;
            double[] ca = new double[d];
            double[] cb = new double[d];
            for (int i : a) {
              for (int k = 0; k < d; k++) {
                ca[k] += x[i][k] / (double) a.size();
              }
            }
            for (int j : b) {
              for (int k = 0; k < d; k++) {
                cb[k] += x[j][k] / (double) b.size();
              }
            }
            double s = 0;
            for (int k = 0; k < d; k++) {
              s += (ca[k] - cb[k]) * (ca[k] - cb[k]);
            }
            return Math.sqrt(2.0 * a.size() * b.size() / (a.size() + b.size())) * Math.sqrt(s);
          }
        default:
          {
            double min = Double.POSITIVE_INFINITY;
            double max = 0;
            double sum = 0;
            for (int i : a) {
              for (int j : b) {
                double dij = point(x[i], x[j], metric);
                min = Math.min(min, dij);
                max = Math.max(max, dij);
                sum += dij;
              }
            }
            return linkage == Linkage.SINGLE
                ? min
                : linkage == Linkage.COMPLETE ? max : sum / (a.size() * b.size());
          }
      }
    }
  }
}
