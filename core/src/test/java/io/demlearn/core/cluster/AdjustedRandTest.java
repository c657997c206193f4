package io.demlearn.core.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class AdjustedRandTest {
  @Test
  void equalPartitionsScoreOneWhateverTheirLabels() {
    assertThat(AdjustedRand.index(new int[] {0, 0, 1, 1, 2}, new int[] {7, 7, 3, 3, 9}))
        .isEqualTo(1.0);
  }

  @Test
  void matchesAHandComputedValue() {
    // contingency [[2,1,0],[0,1,2]]: sum C(nij,2) = 2, rows 3+3 -> 6, columns 2,2,2 -> 3
    // expected 6*3/15 = 1.2, max 4.5: (2-1.2)/(4.5-1.2) = 0.2424...
    double ari = AdjustedRand.index(new int[] {0, 0, 0, 1, 1, 1}, new int[] {0, 0, 1, 1, 2, 2});
    assertThat(ari).isCloseTo(0.8 / 3.3, within(1e-12));
  }

  @Test
  void crossedPartitionsScoreBelowZero() {
    assertThat(AdjustedRand.index(new int[] {0, 0, 1, 1}, new int[] {0, 1, 0, 1})).isNegative();
  }

  @Test
  void agentsAboveALevelAreGroupsOfTheirOwn() {
    // (0,1) merge, then (2, {0,1}), then 3 joins: with 2 levels, L1 holds {0,1} and maybe more
    Dendrogram d =
        new Dendrogram(
            4,
            List.of(
                new Dendrogram.Merge(0, 1, 1, 2),
                new Dendrogram.Merge(2, 4, 2, 3),
                new Dendrogram.Merge(3, 5, 3, 4)));
    Hierarchy tree = Hierarchy.fromDendrogram(d, 1);
    int[] labels = AdjustedRand.labelsAt(tree, 1);
    assertThat(labels).hasSize(4);
    assertThat(labels[3]).isNotIn(labels[0], labels[1], labels[2]);
  }
}
