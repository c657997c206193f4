package io.demlearn.core.sim;

import io.demlearn.core.cluster.Hierarchy;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * The centralised reference: one model trained on the union of every agent's training data. Every
 * agent is evaluated with that model, and it is also the Global model.
 */
public record CentralisedStrategy() implements Strategy {
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

  /** The agents' "trained" models are all the one central model. */
  @Override
  public Map<String, float[]> aggregate(int round, HierarchyVersion hierarchy, List<float[]> trained, int[] trainSamples) {
    return Map.of(Hierarchy.ROOT, trained.get(0));
  }

  @Override
  public Map<String, float[]> generalise(Hierarchy tree, Map<String, float[]> raw, Collection<String> wanted) {
    return Map.of(Hierarchy.ROOT, raw.get(Hierarchy.ROOT));
  }

  @Override
  public AgentStart next(int agent, float[] trained, Hierarchy tree, Map<String, float[]> generalised) {
    return new AgentStart(trained, trained, null);
  }

  @Override
  public boolean federated() {
    return false;
  }
}
