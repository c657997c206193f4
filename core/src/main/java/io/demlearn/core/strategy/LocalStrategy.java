package io.demlearn.core.strategy;

import io.demlearn.core.cluster.Hierarchy;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/** No federation: every agent keeps training its own model on its own data. */
public record LocalStrategy() implements Strategy {
  @Override
  public HierarchyVersion hierarchy(int round, List<float[]> features, HierarchyVersion previous) {
    return null;
  }

  @Override
  public Map<String, float[]> aggregate(
      int round, HierarchyVersion hierarchy, List<float[]> trained, int[] trainSamples) {
    return Map.of();
  }

  @Override
  public Map<String, float[]> generalise(
      Hierarchy tree, Map<String, float[]> raw, Collection<String> wanted) {
    return Map.of();
  }

  @Override
  public AgentStart next(
      int agent, float[] trained, Hierarchy tree, Map<String, float[]> generalised) {
    return new AgentStart(trained, trained, null);
  }
}
