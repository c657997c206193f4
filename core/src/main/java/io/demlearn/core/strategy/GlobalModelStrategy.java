package io.demlearn.core.strategy;

import io.demlearn.core.cluster.Hierarchy;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * A strategy with one global model and no hierarchy to learn: the tree is flat (the root holds
 * every agent) from before round 0, the global model starts as the initial model, and the root's
 * model is the only group model anyone uses. FedAvg, FedProx and centralised training.
 */
interface GlobalModelStrategy extends Strategy {
  @Override
  default HierarchyVersion initialHierarchy(int agents) {
    return new HierarchyVersion(Hierarchy.flat(agents), null, 0, 0);
  }

  @Override
  default Map<String, float[]> initialGroups(float[] initialModel) {
    return Map.of(Hierarchy.ROOT, initialModel);
  }

  @Override
  default HierarchyVersion hierarchy(int round, List<float[]> features, HierarchyVersion previous) {
    return previous != null ? previous : initialHierarchy(features.size());
  }

  @Override
  default Map<String, float[]> generalise(
      Hierarchy tree, Map<String, float[]> raw, Collection<String> wanted) {
    return Map.of(Hierarchy.ROOT, raw.get(Hierarchy.ROOT));
  }
}
