package io.demlearn.core.aggregate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.demlearn.core.cluster.Dendrogram;
import io.demlearn.core.cluster.Hierarchy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Averaging and mixing on hand-computed values. */
class AggregationTest {
  @Test
  void weightedMeanWithFactor() {
    float[] m =
        Averaging.weightedMean(
            List.of(new float[] {1, 2}, new float[] {3, 6}), new long[] {1, 3}, 1.0);
    assertThat(m).containsExactly(2.5f, 5f);
    float[] amplified =
        Averaging.weightedMean(
            List.of(new float[] {1, 2}, new float[] {3, 6}), new long[] {1, 3}, 2.0);
    assertThat(amplified).containsExactly(5f, 10f);
  }

  @Test
  void mixIsAConvexCombination() {
    assertThat(Averaging.mix(new float[] {1, 0}, new float[] {3, 4}, 0.25))
        .containsExactly(1.5f, 1f);
    assertThat(Averaging.mix(new float[] {1, 0}, new float[] {3, 4}, 0.0)).containsExactly(1f, 0f);
    assertThat(Averaging.mix(new float[] {1, 0}, new float[] {3, 4}, 1.0)).containsExactly(3f, 4f);
  }

  @Test
  void badInputsAreRefused() {
    assertThatThrownBy(() -> Averaging.weightedMean(List.of(), new long[0], 1))
        .hasMessageContaining("no members");
    assertThatThrownBy(
            () -> Averaging.weightedMean(List.of(new float[1], new float[2]), new long[] {1, 1}, 1))
        .hasMessageContaining("member 1 has 2 parameters");
    assertThatThrownBy(() -> Averaging.weightedMean(List.of(new float[1]), new long[] {0}, 1))
        .hasMessageContaining("weights sum to 0");
    assertThatThrownBy(() -> Averaging.mix(new float[1], new float[2], 0.5))
        .hasMessageContaining("cannot mix");
  }

  /** Agents 0..3 with scalar models 1, 3, 5, 9; merges (0,1), (2,3), then both. */
  static Hierarchy fourAgents(int levels) {
    Dendrogram d =
        new Dendrogram(
            4,
            List.of(
                new Dendrogram.Merge(0, 1, 1.0, 2),
                new Dendrogram.Merge(2, 3, 2.0, 2),
                new Dendrogram.Merge(4, 5, 3.0, 4)));
    return Hierarchy.fromDendrogram(d, levels);
  }

  static final List<float[]> MODELS =
      List.of(new float[] {1}, new float[] {3}, new float[] {5}, new float[] {9});

  @Test
  void bottomUpWeighsAgentsEquallyAndAmplifyCompounds() {
    Hierarchy h = fourAgents(2);
    int[] samples = {1, 1, 1, 1};
    Map<String, float[]> plain =
        HierarchicalAggregation.bottomUp(h, MODELS, samples, Weighting.AGENTS, 1.0);
    assertThat(plain.get("L2-c4")).containsExactly(2f);
    assertThat(plain.get("L2-c5")).containsExactly(7f);
    assertThat(plain.get("root")).containsExactly(4.5f);
    Map<String, float[]> amplified =
        HierarchicalAggregation.bottomUp(h, MODELS, samples, Weighting.AGENTS, 2.0);
    assertThat(amplified.get("L2-c4")).containsExactly(4f);
    assertThat(amplified.get("L2-c5")).containsExactly(14f);
    assertThat(amplified.get("root")).containsExactly(18f); // 2 * (2*4 + 2*14) / 4
  }

  @Test
  void bottomUpBySamplesWeighsSubGroupsByTheirSamples() {
    Hierarchy h = fourAgents(2);
    int[] samples = {1, 3, 2, 2};
    Map<String, float[]> m =
        HierarchicalAggregation.bottomUp(h, MODELS, samples, Weighting.SAMPLES, 1.0);
    assertThat(m.get("L2-c4")).containsExactly(2.5f); // (1*1 + 3*3) / 4
    assertThat(m.get("L2-c5")).containsExactly(7f);
    assertThat(m.get("root")).containsExactly(4.75f); // (4*2.5 + 4*7) / 8
  }

  @Test
  void topDownGeneralisesGroupsThenMixesAgents() {
    Hierarchy h = fourAgents(2);
    Map<String, float[]> raw =
        HierarchicalAggregation.bottomUp(h, MODELS, new int[] {1, 1, 1, 1}, Weighting.AGENTS, 1.0);
    HierarchicalAggregation.TopDown t = HierarchicalAggregation.topDown(h, raw, MODELS, 0.5);
    assertThat(t.generalised().get("root")).containsExactly(4.5f);
    assertThat(t.generalised().get("L2-c4")).containsExactly(3.25f);
    assertThat(t.generalised().get("L2-c5")).containsExactly(5.75f);
    assertThat(t.agents())
        .containsExactly(
            new float[] {2.125f}, new float[] {3.125f}, new float[] {5.375f}, new float[] {7.375f});
  }

  @Test
  void membersAreSummedAgentsFirstThenSubGroups() {
    // three agents: (0,1) merge first, agent 2 joins at the top: agent 2 hangs under the root
    Dendrogram d =
        new Dendrogram(
            3, List.of(new Dendrogram.Merge(0, 1, 1.0, 2), new Dendrogram.Merge(2, 3, 5.0, 3)));
    Hierarchy h = Hierarchy.fromDendrogram(d, 3);
    List<HierarchicalAggregation.Member> members = HierarchicalAggregation.members(h.root());
    assertThat(members)
        .containsExactly(
            new HierarchicalAggregation.Member(2, null),
            new HierarchicalAggregation.Member(-1, "L3-c3"));
    Map<String, float[]> raw =
        HierarchicalAggregation.bottomUp(
            h,
            List.of(new float[] {1}, new float[] {3}, new float[] {8}),
            new int[] {1, 1, 1},
            Weighting.AGENTS,
            1.0);
    assertThat(raw.get("L3-c3")).containsExactly(2f);
    assertThat(raw.get("root")).containsExactly(4f); // (8 + 2*2) / 3
  }

  @Test
  void membersThatDidNotReportAreLeftOutAndAGroupWithoutMembersIsMissing() {
    Hierarchy h = fourAgents(2);
    List<float[]> reported = new ArrayList<>(MODELS);
    reported.set(1, null); // agent 1 (model 3) is late
    Map<String, float[]> m =
        HierarchicalAggregation.bottomUp(
            h, reported, new int[] {1, 1, 1, 1}, Weighting.AGENTS, 1.0);
    assertThat(m.get("L2-c4")).containsExactly(1f);
    assertThat(m.get("root"))
        .containsExactly(5f); // (1*1 + 2*7) / 3: the group weighs the agents it averaged
    reported.set(0, null); // and agent 0 too: its group has no model, the root averages the rest
    m =
        HierarchicalAggregation.bottomUp(
            h, reported, new int[] {1, 1, 1, 1}, Weighting.AGENTS, 1.0);
    assertThat(m).doesNotContainKey("L2-c4");
    assertThat(m.get("root")).containsExactly(7f);
  }
}
