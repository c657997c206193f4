package io.demlearn.core.sim;

import io.demlearn.core.aggregate.HierarchicalAggregation;
import io.demlearn.core.aggregate.Weighting;
import io.demlearn.core.cluster.Hierarchy;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * FedAvg (McMahan et al.) and, with a proximal weight, FedProx (Li et al.): one global model, the
 * training-sample-weighted mean of the agents' models; every agent trains from it (FedProx: pulled
 * toward it). As in the authors' code, an agent is evaluated on the model its last local training
 * produced, and Global is the aggregated model.
 */
public record FedAvgStrategy(Weighting weighting) implements Strategy {

  @Override
  public RoundState initial(float[] initialModel, int agents) {
    List<float[]> same = Collections.nCopies(agents, initialModel);
    return new RoundState(Hierarchy.flat(agents), null, 0, same, same, same, Map.of(Hierarchy.ROOT, initialModel),
        initialModel);
  }

  @Override
  public RoundState aggregate(int round, List<float[]> trained, int[] trainSamples, RoundState previous) {
    Hierarchy flat = previous.hierarchy();
    float[] global = HierarchicalAggregation.bottomUp(flat, trained, trainSamples, weighting, 1.0).get(Hierarchy.ROOT);
    List<float[]> everyone = Collections.nCopies(trained.size(), global);
    return new RoundState(flat, null, previous.hierarchyVersion(), List.copyOf(trained), everyone, everyone,
        Map.of(Hierarchy.ROOT, global), global);
  }
}
