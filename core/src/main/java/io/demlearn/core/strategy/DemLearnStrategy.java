package io.demlearn.core.strategy;

import io.demlearn.core.aggregate.Averaging;
import io.demlearn.core.aggregate.HierarchicalAggregation;
import io.demlearn.core.aggregate.Weighting;
import io.demlearn.core.cluster.Dendrogram;
import io.demlearn.core.cluster.Hierarchy;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * DemLearn and DemLearn-P (Nguyen et al., Algorithm 1), as the authors' code runs it: every {@code
 * reclusterEvery} rounds the trained agent models are clustered and the tree is rebuilt, and group
 * models are built bottom-up ("hard" update, with Amplify in the first rounds where enabled); in
 * other rounds the tree is kept and group models are plain means. The top-down pass generalises the
 * group models (g'_k = (1-alpha) g_k + alpha g'_parent, the root unchanged) and mixes every agent
 * with its parent (w = (1-alpha) w + alpha g'_parent). Each agent is next evaluated with, and
 * trains from, its mixed model; its proximal target is its parent's generalised model (mu decides
 * whether it pulls).
 */
public record DemLearnStrategy(
    ClusteringPolicy clustering,
    int levels,
    int reclusterEvery,
    double alpha,
    double amplify,
    int amplifyRounds,
    Weighting weighting)
    implements Strategy {

  @Override
  public HierarchyVersion hierarchy(int round, List<float[]> features, HierarchyVersion previous) {
    if (previous != null && round % reclusterEvery != 0) {
      return previous;
    }
    Dendrogram dendrogram = clustering.clusterFeatures(features);
    return new HierarchyVersion(
        Hierarchy.fromDendrogram(dendrogram, levels),
        dendrogram,
        previous == null ? 0 : previous.version() + 1,
        round);
  }

  @Override
  public List<float[]> clusteringFeatures(List<float[]> models) {
    return clustering.features(models);
  }

  @Override
  public boolean clustersReducedFeatures(int parameters) {
    return clustering.projects(parameters);
  }

  /** Amplify applies when the tree was rebuilt ("hard" update) in the first rounds. */
  @Override
  public double amplifyIn(int round, HierarchyVersion hierarchy) {
    return hierarchy.rebuiltIn(round) && round < amplifyRounds ? amplify : 1.0;
  }

  @Override
  public boolean rebuildsIn(int round) {
    return round % reclusterEvery == 0;
  }

  @Override
  public Map<String, float[]> aggregate(
      int round, HierarchyVersion hierarchy, List<float[]> trained, int[] trainSamples) {
    return HierarchicalAggregation.bottomUp(
        hierarchy.tree(), trained, trainSamples, weighting, amplifyIn(round, hierarchy));
  }

  @Override
  public Map<String, float[]> generalise(
      Hierarchy tree, Map<String, float[]> raw, Collection<String> wanted) {
    Set<String> needed = null;
    if (wanted != null) {
      needed = new HashSet<>();
      for (String g : wanted) {
        for (String a = g; a != null && needed.add(a); a = tree.group(a).parentId()) {
          // the group and every ancestor
        }
      }
    }
    Map<String, float[]> out = new LinkedHashMap<>();
    for (Hierarchy.Group g : tree.topDown()) {
      if (needed != null && !needed.contains(g.id())) {
        continue;
      }
      float[] own = raw.get(g.id());
      if (g.isRoot()) {
        if (own == null) {
          throw new IllegalArgumentException("no model for the root group");
        }
        out.put(g.id(), own);
      } else {
        // a group none of whose members reported in time has no model of its own: it passes its
        // parent's generalised model down unchanged
        float[] parent = out.get(g.parentId());
        out.put(g.id(), own == null ? parent : Averaging.mix(own, parent, alpha));
      }
    }
    return out;
  }

  @Override
  public AgentStart next(
      int agent, float[] trained, Hierarchy tree, Map<String, float[]> generalised) {
    float[] parent = generalised.get(tree.parentOf(agent));
    float[] mixed = Averaging.mix(trained, parent, alpha);
    return new AgentStart(mixed, mixed, parent);
  }
}
