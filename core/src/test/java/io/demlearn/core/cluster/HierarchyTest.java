package io.demlearn.core.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The cut of a dendrogram into K levels, with the authors' semantics. */
class HierarchyTest {
  @Test
  void rootsChildrenAreTheLastMergesClustersAndLevel1HoldsAllLeavesBelow() {
    // 6 agents: ((0,1),(2,3)) and (4,5); K = 2
    Dendrogram d =
        new Dendrogram(
            6,
            List.of(
                new Dendrogram.Merge(0, 1, 1, 2), // 6
                new Dendrogram.Merge(2, 3, 1.5, 2), // 7
                new Dendrogram.Merge(4, 5, 2, 2), // 8
                new Dendrogram.Merge(6, 7, 3, 4), // 9
                new Dendrogram.Merge(8, 9, 4, 6))); // 10
    Hierarchy h = Hierarchy.fromDendrogram(d, 2);
    assertThat(h.topLevel()).isEqualTo(3);
    assertThat(h.root().childGroups()).containsExactly("L2-c8", "L2-c9");
    assertThat(h.root().agents()).isEmpty();
    Hierarchy.Group c9 = h.group("L2-c9");
    assertThat(c9.childGroups()).containsExactly("L1-c6", "L1-c7");
    assertThat(h.group("L1-c6").agents()).containsExactly(0, 1);
    assertThat(h.group("L2-c8").agents())
        .containsExactly(4, 5); // level 2 over two leaves: they hang there
    assertThat(h.parentOf(4)).isEqualTo("L2-c8");
    assertThat(h.parentOf(2)).isEqualTo("L1-c7");
    assertThat(h.atLevel(1)).extracting(Hierarchy.Group::id).containsExactly("L1-c6", "L1-c7");
  }

  @Test
  void aChainOfMergesAsDeepAsTheAgentsIsCutWithoutRecursion() {
    // agents that all hold the same model (those not sampled in round 0) merge one at a time
    int n = 100_000;
    List<Dendrogram.Merge> merges = new java.util.ArrayList<>();
    merges.add(new Dendrogram.Merge(0, 1, 0, 2));
    for (int a = 2; a < n; a++) {
      merges.add(new Dendrogram.Merge(a, n + a - 2, 0, a + 1));
    }
    Dendrogram d = new Dendrogram(n, merges);
    assertThat(d.leavesBelow(2 * n - 2)).hasSize(n).startsWith(n - 1, n - 2);
    Hierarchy h = Hierarchy.fromDendrogram(d, 3);
    assertThat(h.group(Hierarchy.ROOT).members()).hasSize(n);
    // the root, then one group per level, each with one agent of its own; level 1 holds the rest
    assertThat(h.topDown()).hasSize(4);
    assertThat(h.atLevel(1)).singleElement().satisfies(g -> assertThat(g.members()).hasSize(n - 3));
  }

  @Test
  void withOneLevelTheRootsChildrenHoldEveryAgentBelowThem() {
    Dendrogram d =
        new Dendrogram(
            4,
            List.of(
                new Dendrogram.Merge(0, 1, 1, 2),
                new Dendrogram.Merge(2, 4, 2, 3),
                new Dendrogram.Merge(3, 5, 3, 4)));
    Hierarchy h = Hierarchy.fromDendrogram(d, 1);
    assertThat(h.root().agents()).containsExactly(3);
    assertThat(h.group("L1-c5").agents()).containsExactly(0, 1, 2);
  }

  @Test
  void everyAgentHangsUnderExactlyOneGroupOnRandomTrees() {
    Random random = new Random(3);
    for (int trial = 0; trial < 20; trial++) {
      int n = 2 + random.nextInt(60);
      float[][] x = new float[n][4];
      for (float[] row : x) {
        for (int k = 0; k < 4; k++) {
          row[k] = (float) random.nextGaussian();
        }
      }
      int levels = 1 + random.nextInt(4);
      Hierarchy h =
          Hierarchy.fromDendrogram(
              Agglomerative.cluster(x, Metric.EUCLIDEAN, Linkage.AVERAGE), levels);
      assertThat(h.root().members()).hasSize(n);
      Set<Integer> seen = new HashSet<>();
      for (Hierarchy.Group g : h.topDown()) {
        assertThat(g.level()).isBetween(1, levels + 1);
        for (int a : g.agents()) {
          assertThat(seen.add(a)).isTrue();
        }
        if (g.level() == 1) {
          assertThat(g.agents()).hasSizeGreaterThanOrEqualTo(2).isEqualTo(g.members());
        }
        int below = g.agents().size();
        for (String c : g.childGroups()) {
          assertThat(h.group(c).level()).isEqualTo(g.level() - 1);
          assertThat(h.group(c).parentId()).isEqualTo(g.id());
          below += h.group(c).agentCount();
        }
        assertThat(below).isEqualTo(g.agentCount());
      }
      assertThat(seen).hasSize(n);
    }
  }

  @Test
  void oneAgentAndTheFlatTree() {
    Hierarchy one = Hierarchy.fromDendrogram(new Dendrogram(1, List.of()), 3);
    assertThat(one.parentOf(0)).isEqualTo("root");
    Hierarchy flat = Hierarchy.flat(5);
    assertThat(flat.topDown()).hasSize(1);
    assertThat(flat.root().agents()).containsExactly(0, 1, 2, 3, 4);
  }
}
