package io.demlearn.core.strategy;

import io.demlearn.core.aggregate.HierarchicalAggregation;
import io.demlearn.core.aggregate.Weighting;
import io.demlearn.core.cluster.Hierarchy;
import java.util.List;
import java.util.Map;

/**
 * FedAvg (McMahan et al.) and, with a proximal weight, FedProx (Li et al.): one global model, the
 * training-sample-weighted mean of the agents' models; every agent trains from it (FedProx: pulled
 * toward it). As in the authors' code, an agent is evaluated on the model its last local training
 * produced, and Global is the aggregated model; before round 0 the global model is the initial one.
 */
public record FedAvgStrategy(Weighting weighting) implements GlobalModelStrategy {
  @Override
  public Map<String, float[]> aggregate(
      int round, HierarchyVersion hierarchy, List<float[]> trained, int[] trainSamples) {
    return HierarchicalAggregation.bottomUp(
        hierarchy.tree(), trained, trainSamples, weighting, 1.0);
  }

  @Override
  public AgentStart next(
      int agent, float[] trained, Hierarchy tree, Map<String, float[]> generalised) {
    float[] global = generalised.get(Hierarchy.ROOT);
    return new AgentStart(trained, global, global);
  }
}
