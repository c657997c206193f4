package io.demlearn.core.strategy;

import io.demlearn.core.cluster.Hierarchy;
import java.util.List;
import java.util.Map;

/**
 * The centralised reference: one model trained on the union of every agent's training data. Every
 * agent is evaluated with that model, and it is also the Global model.
 */
public record CentralisedStrategy() implements GlobalModelStrategy {
  /** The agents' "trained" models are all the one central model. */
  @Override
  public Map<String, float[]> aggregate(
      int round, HierarchyVersion hierarchy, List<float[]> trained, int[] trainSamples) {
    return Map.of(Hierarchy.ROOT, trained.get(0));
  }

  @Override
  public AgentStart next(
      int agent, float[] trained, Hierarchy tree, Map<String, float[]> generalised) {
    return new AgentStart(trained, trained, null);
  }

  @Override
  public boolean federated() {
    return false;
  }
}
