package io.demlearn.core.strategy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.demlearn.core.aggregate.Weighting;
import io.demlearn.core.cluster.Dendrogram;
import io.demlearn.core.cluster.Hierarchy;
import io.demlearn.core.cluster.Linkage;
import io.demlearn.core.cluster.Metric;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DemLearnStrategyTest {
  private final DemLearnStrategy strategy =
      new DemLearnStrategy(
          new ClusteringPolicy(Metric.EUCLIDEAN, Linkage.AVERAGE),
          2,
          1,
          0.5,
          1.0,
          0,
          Weighting.AGENTS);
  private final Hierarchy tree =
      Hierarchy.fromDendrogram(
          new Dendrogram(
              4,
              List.of(
                  new Dendrogram.Merge(0, 1, 1.0, 2),
                  new Dendrogram.Merge(2, 3, 2.0, 2),
                  new Dendrogram.Merge(4, 5, 3.0, 4))),
          2);

  @Test
  void aGroupWithoutAModelPassesItsParentsGeneralisedModelDown() {
    Map<String, float[]> generalised =
        strategy.generalise(tree, Map.of("root", new float[] {4}, "L2-c5", new float[] {8}), null);
    assertThat(generalised.get("L2-c4")).containsExactly(4f);
    assertThat(generalised.get("L2-c5")).containsExactly(6f);
    // agent 0 mixes with the inherited model as it would with its own group's
    assertThat(strategy.next(0, new float[] {2}, tree, generalised).startModel())
        .containsExactly(3f);
  }

  @Test
  void withoutARootThereIsNothingToGeneralise() {
    assertThatThrownBy(() -> strategy.generalise(tree, Map.of("L2-c5", new float[] {8}), null))
        .hasMessageContaining("root");
  }
}
