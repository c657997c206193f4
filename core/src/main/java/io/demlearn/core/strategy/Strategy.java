package io.demlearn.core.strategy;

import io.demlearn.core.cluster.Hierarchy;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.NavigableSet;

/**
 * One federated learning algorithm, split along the services that run it, so that the simulator and
 * the streaming pipeline compute every number with the same code: the clusterer decides the {@link
 * #hierarchy}, the aggregator computes raw group models ({@link #aggregate}), and each agent works
 * out its next start from its trained model and the group models on its path ({@link #generalise},
 * {@link #next}). Implementations are immutable.
 */
public interface Strategy {
  /**
   * The hierarchy that aggregates round {@code round}, or null for no aggregation (local training).
   *
   * @param features per agent, the {@link #clusteringFeatures} of its latest trained model
   * @param previous the version in force before this round, or null in round 0
   */
  HierarchyVersion hierarchy(int round, List<float[]> features, HierarchyVersion previous);

  /**
   * What the hierarchy is built from, per model (DemLearn: the model, or its random projection); a
   * model's features do not depend on the others given with it, so they can be worked out as models
   * arrive.
   */
  default List<float[]> clusteringFeatures(List<float[]> models) {
    return models;
  }

  /**
   * Whether the {@link #clusteringFeatures} of models of {@code parameters} values are smaller than
   * the models (a projection): then the pipeline's agents publish them next to their updates, and
   * the clusterer reads those instead of the updates.
   */
  default boolean clustersReducedFeatures(int parameters) {
    return false;
  }

  /**
   * Raw group models of round {@code round}, by group id, from exact sums (no order matters).
   *
   * @param trained per agent, its trained model, or null if it did not report in time (then it is
   *     left out, and so is a group with no member that reported)
   */
  Map<String, float[]> aggregate(
      int round, HierarchyVersion hierarchy, List<float[]> trained, int[] trainSamples);

  /**
   * Group models as agents and the metrics use them (DemLearn: generalised top-down, the root as
   * aggregated). A group missing from {@code raw} (no member reported in time) takes its parent's
   * generalised model.
   *
   * @param wanted the groups needed (with their ancestors), or null for all
   */
  Map<String, float[]> generalise(
      Hierarchy tree, Map<String, float[]> raw, Collection<String> wanted);

  /**
   * An agent's next start, from the model it trained and the generalised models (at least its
   * parent's).
   */
  AgentStart next(int agent, float[] trained, Hierarchy tree, Map<String, float[]> generalised);

  /** Before round 0: the common initial model for everything. */
  default AgentStart initial(float[] initialModel) {
    return new AgentStart(initialModel, initialModel, null);
  }

  /**
   * Group models that exist before round 0 (FedAvg's global model is the initial model), or an
   * empty map.
   */
  default Map<String, float[]> initialGroups(float[] initialModel) {
    return Map.of();
  }

  /** The hierarchy before round 0, or null. */
  default HierarchyVersion initialHierarchy(int agents) {
    return null;
  }

  /** The Amplify factor applied to round {@code round}'s group models (1.0: none). */
  default double amplifyIn(int round, HierarchyVersion hierarchy) {
    return 1.0;
  }

  /** Whether the hierarchy is rebuilt in {@code round} (a new version takes effect from it). */
  default boolean rebuildsIn(int round) {
    return false;
  }

  /**
   * The version that aggregates {@code round}, among the versions known so far (by the round they
   * take effect from), or null if it is not known yet: the one that takes effect in that round if
   * the hierarchy is rebuilt then, else the latest earlier one.
   */
  default HierarchyVersion versionFor(
      int round, NavigableMap<Integer, HierarchyVersion> byEffectiveRound) {
    Integer from = effectiveRoundFor(round, byEffectiveRound.navigableKeySet());
    return from == null ? null : byEffectiveRound.get(from);
  }

  /**
   * The round the version that aggregates {@code round} takes effect from, among those of the
   * versions known so far, or null if that version is not known yet (see {@link #versionFor}).
   */
  default Integer effectiveRoundFor(int round, NavigableSet<Integer> effectiveRounds) {
    if (rebuildsIn(round)) {
      return effectiveRounds.contains(round) ? round : null;
    }
    return effectiveRounds.floor(round);
  }

  /** Whether every agent trains on its own data (false: one model on the union of all data). */
  default boolean federated() {
    return true;
  }

  /** The parent of an agent and all its ancestors, for {@link #generalise}. */
  static List<String> pathOf(Hierarchy tree, int agent) {
    List<String> path = new ArrayList<>();
    for (String g = tree.parentOf(agent); g != null; g = tree.group(g).parentId()) {
      path.add(g);
    }
    return path;
  }
}
