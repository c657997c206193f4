package io.demlearn.core.sim;

import io.demlearn.core.aggregate.HierarchicalAggregation;
import io.demlearn.core.aggregate.Weighting;
import io.demlearn.core.cluster.Hierarchy;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * FedAvg (McMahan et al.) and, with a proximal weight, FedProx (Li et al.): one global model, the
 * training-sample-weighted mean of the agents' models; every agent trains from it (FedProx: pulled
 * toward it). As in the authors' code, an agent is evaluated on the model its last local training
 * produced, and Global is the aggregated model; before round 0 the global model is the initial one.
 */
public record FedAvgStrategy(Weighting weighting) implements Strategy {

  @Override
  public HierarchyVersion initialHierarchy(int agents) {
    return new HierarchyVersion(Hierarchy.flat(agents), null, 0, 0);
  }

  @Override
  public Map<String, float[]> initialGroups(float[] initialModel) {
    return Map.of(Hierarchy.ROOT, initialModel);
  }

  @Override
  public HierarchyVersion hierarchy(int round, List<float[]> trained, HierarchyVersion previous) {
    return previous != null ? previous : initialHierarchy(trained.size());
  }

  @Override
  public Map<String, float[]> aggregate(int round, HierarchyVersion hierarchy, List<float[]> trained, int[] trainSamples) {
    return HierarchicalAggregation.bottomUp(hierarchy.tree(), trained, trainSamples, weighting, 1.0);
  }

  @Override
  public Map<String, float[]> generalise(Hierarchy tree, Map<String, float[]> raw, Collection<String> wanted) {
    return Map.of(Hierarchy.ROOT, raw.get(Hierarchy.ROOT));
  }

  @Override
  public AgentStart next(int agent, float[] trained, Hierarchy tree, Map<String, float[]> generalised) {
    float[] global = generalised.get(Hierarchy.ROOT);
    return new AgentStart(trained, global, global);
  }
}
