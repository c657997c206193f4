package io.demlearn.core.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.demlearn.core.cluster.Dendrogram;
import io.demlearn.core.cluster.Hierarchy;
import io.demlearn.core.data.AgentData;
import io.demlearn.core.data.Dataset;
import io.demlearn.core.model.Model;
import io.demlearn.core.model.ModelKind;
import io.demlearn.core.model.Trainer;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The metrics' definitions (pooled C-SPE, mean C-GEN, agent-weighted group levels) on scripted
 * predictions.
 */
class EvaluatorTest {
  private final ExecutorService pool = Executors.newFixedThreadPool(2);

  @AfterEach
  void stop() {
    pool.shutdownNow();
  }

  /** A "model" whose parameter i says whether it classifies row i of the union test set right. */
  static final class Scripted implements Model {
    @Override
    public ModelKind kind() {
      return ModelKind.MLR;
    }

    @Override
    public int dimension() {
      return 9;
    }

    @Override
    public float[] initialParameters(SplittableRandom random) {
      return new float[9];
    }

    @Override
    public Trainer trainer() {
      throw new UnsupportedOperationException();
    }

    @Override
    public double lossAndGradient(float[] params, Dataset batch, float[] gradient) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Predictor predictor(Dataset data) {
      return new Predictor() {
        @Override
        public int[] predict(float[] params) {
          int[] out = new int[data.size()];
          for (int i = 0; i < data.size(); i++) {
            out[i] = params[i] == 1f ? data.labels()[i] : (data.labels()[i] + 1) % 10;
          }
          return out;
        }

        @Override
        public void close() {}
      };
    }
  }

  static Dataset test(int n) {
    return new Dataset(new float[n], new int[n], 1);
  }

  static float[] rightOn(int... rows) {
    float[] p = new float[9];
    for (int r : rows) {
      p[r] = 1f;
    }
    return p;
  }

  // three agents with 2, 4 and 3 test rows: union rows 0-1, 2-5, 6-8
  final List<AgentData> agents =
      List.of(
          new AgentData("a0", List.of(), test(1), test(2)),
          new AgentData("a1", List.of(), test(1), test(4)),
          new AgentData("a2", List.of(), test(1), test(3)));

  @Test
  void clientMetricsArePooledSpecialisationAndMeanGeneralisation() {
    Evaluator e = new Evaluator(new Scripted(), agents, pool, 2);
    List<float[]> models = List.of(rightOn(0, 1, 2), rightOn(2, 3), rightOn(6, 7, 8, 0));
    RoundMetrics m = e.evaluate(3, -1, models, new int[] {0, 1, 2}, null, Map.of(), null);
    assertThat(m.scoredAgents()).isEqualTo(3);
    // own rows: a0 2/2, a1 2/4, a2 3/3 -> pooled 7/9 (the mean of ratios would be 0.8333)
    assertThat(m.cSpe()).isCloseTo(7 / 9.0, within(1e-12));
    // all rows: 3/9, 2/9, 4/9 -> mean 1/3
    assertThat(m.cGen()).isCloseTo(1 / 3.0, within(1e-12));
    assertThat(m.global()).isNull();
    assertThat(m.gSpe()).isEmpty();
  }

  @Test
  void aSampleOfAgentsScoresOnlyTheirModelsAgainstTheWholeTestUnion() {
    Evaluator e = new Evaluator(new Scripted(), agents, pool, 2);
    List<float[]> models = List.of(rightOn(0, 1, 2), rightOn(2, 3), rightOn(6, 7, 8, 0));
    RoundMetrics m = e.evaluate(3, -1, models, new int[] {0, 2}, null, Map.of(), null);
    assertThat(m.scoredAgents()).isEqualTo(2);
    // own rows: a0 2/2, a2 3/3 -> 5/5; all rows: 3/9 and 4/9 -> 7/18
    assertThat(m.cSpe()).isCloseTo(1.0, within(1e-12));
    assertThat(m.cGen()).isCloseTo(7 / 18.0, within(1e-12));
  }

  @Test
  void groupLevelsAreWeightedByAgentCount() {
    // (a0, a1) merge first; a2 hangs under the root; K = 1: root at level 2, L1-c3 holds a0 and a1
    Hierarchy tree =
        Hierarchy.fromDendrogram(
            new Dendrogram(
                3, List.of(new Dendrogram.Merge(0, 1, 1, 2), new Dendrogram.Merge(2, 3, 2, 3))),
            1);
    float[] group = rightOn(0, 1, 2, 6); // members' rows 0-5: 3/6 right; all: 4/9
    float[] root = rightOn(0, 6, 7); // all rows: 3/9
    Evaluator e = new Evaluator(new Scripted(), agents, pool, 2);
    RoundMetrics m =
        e.evaluate(
            1,
            0,
            List.of(rightOn(), rightOn(), rightOn()),
            new int[] {0, 1, 2},
            tree,
            Map.of("L1-c3", group, "root", root),
            root);
    assertThat(m.gSpe()).containsExactly(3 / 6.0, 3 / 9.0);
    assertThat(m.gGen().get(0)).isCloseTo(4 / 9.0, within(1e-12));
    assertThat(m.gGen().get(1)).isCloseTo(3 / 9.0, within(1e-12));
    assertThat(m.global()).isCloseTo(3 / 9.0, within(1e-12));
    assertThat(m.groupMembers()).containsEntry("L1-c3", 2).containsEntry("root", 3);
    assertThat(m.cSpe()).isZero();
  }
}
