package io.demlearn.core.sim;

import io.demlearn.core.cluster.Hierarchy;
import io.demlearn.core.strategy.AgentStart;
import io.demlearn.core.strategy.HierarchyVersion;
import java.util.List;
import java.util.Map;

/**
 * What a round leaves for the next one, in the simulator.
 *
 * @param hierarchy the hierarchy that aggregated the round, or null (none yet, or local training)
 * @param rawGroupModels the aggregated group models, by id
 * @param groupModels the group models as evaluated (DemLearn: generalised; the root as aggregated)
 * @param global the root model, for the Global metric, or null
 * @param agents per agent, where it stands at the start of the next round
 * @param latest per agent, its latest trained model (the initial model before it first trains),
 *     kept when agents are sampled ({@code --sample-fraction}); null when every agent trains every
 *     round (no round needs the models of the one before, and 10,000 of them are 314 MB)
 */
public record RoundState(
    HierarchyVersion hierarchy,
    Map<String, float[]> rawGroupModels,
    Map<String, float[]> groupModels,
    float[] global,
    List<AgentStart> agents,
    List<float[]> latest) {

  public Hierarchy tree() {
    return hierarchy == null ? null : hierarchy.tree();
  }

  public int hierarchyVersion() {
    return hierarchy == null ? -1 : hierarchy.version();
  }

  public List<float[]> evalModels() {
    return agents.stream().map(AgentStart::evalModel).toList();
  }

  public List<float[]> startModels() {
    return agents.stream().map(AgentStart::startModel).toList();
  }
}
