package io.demlearn.core.sim;

import io.demlearn.core.aggregate.HierarchicalAggregation;
import io.demlearn.core.aggregate.Weighting;
import io.demlearn.core.cluster.Dendrogram;
import io.demlearn.core.cluster.Hierarchy;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * DemLearn and DemLearn-P (Nguyen et al., Algorithm 1), as the authors' code runs it: every
 * {@code reclusterEvery} rounds the trained agent models are clustered and the tree is rebuilt,
 * then group models are built bottom-up ("hard" update, with Amplify in the first rounds where
 * enabled); in other rounds the tree is kept and group models are plain means. Then the top-down
 * pass generalises the group models and mixes every agent with its parent. Each agent is next
 * evaluated with, and trains from, its mixed model; its proximal target is its parent's
 * generalised model (mu decides whether it pulls).
 */
public record DemLearnStrategy(ClusteringPolicy clustering, int levels, int reclusterEvery, double alpha,
    double amplify, int amplifyRounds, Weighting weighting) implements Strategy {

  @Override
  public RoundState initial(float[] initialModel, int agents) {
    List<float[]> same = Collections.nCopies(agents, initialModel);
    List<float[]> none = Collections.nCopies(agents, null);
    return new RoundState(null, null, -1, same, same, none, Map.of(), null);
  }

  @Override
  public RoundState aggregate(int round, List<float[]> trained, int[] trainSamples, RoundState previous) {
    boolean recluster = previous.hierarchy() == null || round % reclusterEvery == 0;
    Hierarchy tree = previous.hierarchy();
    Dendrogram dendrogram = previous.dendrogram();
    int version = previous.hierarchyVersion();
    if (recluster) {
      dendrogram = clustering.cluster(trained);
      tree = Hierarchy.fromDendrogram(dendrogram, levels);
      version++;
    }
    double factor = recluster && round < amplifyRounds ? amplify : 1.0;
    Map<String, float[]> raw = HierarchicalAggregation.bottomUp(tree, trained, trainSamples, weighting, factor);
    HierarchicalAggregation.TopDown mixed = HierarchicalAggregation.topDown(tree, raw, trained, alpha);
    List<float[]> targets = new ArrayList<>(trained.size());
    for (int a = 0; a < trained.size(); a++) {
      targets.add(mixed.generalised().get(tree.parentOf(a)));
    }
    return new RoundState(tree, dendrogram, version, mixed.agents(), mixed.agents(), targets, mixed.generalised(),
        raw.get(Hierarchy.ROOT));
  }
}
