package io.demlearn.worker;

import io.demlearn.core.strategy.HierarchyVersion;
import io.demlearn.core.strategy.Strategy;
import io.demlearn.pipeline.checks.HierarchyChecks;
import io.demlearn.pipeline.records.Experiment;
import io.demlearn.schemas.ParameterVectors;
import io.demlearn.schemas.avro.GroupModel;
import io.demlearn.schemas.avro.HierarchyAssignment;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a worker has read of the rounds, with no Kafka in it: the usable hierarchy versions (of two
 * for one round, the first counts) and, per round, its group models and the version they were
 * computed under.
 */
final class RoundsRead {
  /**
   * A round's group models read so far, the version they were computed under, how many it has, and
   * the generalised models worked out so far.
   */
  private static final class Aggregated {
    final Map<String, float[]> models = new HashMap<>();

    /**
     * Generalised models by group, each worked out once for all the agents below it: only from the
     * models of a complete path (or a complete round), so it never changes.
     */
    final Map<String, float[]> generalised = new HashMap<>();

    int version;
    int groups = Integer.MAX_VALUE; // unknown until a record says

    boolean complete() {
      return models.size() >= groups;
    }
  }

  /**
   * The generalised group models on an agent's path (its parent and every ancestor) after a round,
   * and the version in force for it.
   */
  record Start(HierarchyVersion version, Map<String, float[]> generalised) {}

  private final Experiment experiment;
  private final Strategy strategy;
  private final TreeMap<Integer, HierarchyVersion> versions = new TreeMap<>();
  private final TreeMap<Integer, Aggregated> groupModels = new TreeMap<>();

  RoundsRead(Experiment experiment) {
    this.experiment = experiment;
    this.strategy = experiment.settings().strategy();
  }

  /** Takes a hierarchy version in; false if it is not usable or not the first for its round. */
  boolean add(HierarchyAssignment h) {
    HierarchyVersion hv = HierarchyChecks.usable(experiment, h, versions);
    if (hv == null) {
      return false;
    }
    versions.put(hv.effectiveFromRound(), hv);
    return true;
  }

  /** Takes a group model in; returns whether its round's group models are now all here. */
  boolean add(GroupModel g) {
    Aggregated round = groupModels.computeIfAbsent(g.getRound(), k -> new Aggregated());
    round.models.put(g.getGroupId(), ParameterVectors.toFloats(g.getParameters()));
    round.version = g.getHierarchyVersion();
    if (g.getGroupsInRound() > 0) {
      round.groups = g.getGroupsInRound();
    }
    return round.complete();
  }

  /**
   * What agent {@code agent} starts from after {@code round}: the round's group models on its path
   * (or all the round has) and the version they were computed under; null if not all read yet.
   */
  Start after(int round, int agent) {
    HierarchyVersion hv = strategy.versionFor(round, versions);
    Aggregated raw = groupModels.get(round);
    if (hv == null || raw == null || hv.version() != raw.version) {
      return null; // the version the group models were computed under is not read yet
    }
    List<String> path = Strategy.pathOf(hv.tree(), agent);
    if (!raw.generalised.keySet().containsAll(path)) {
      if (!raw.models.keySet().containsAll(path) && !raw.complete()) {
        return null; // the models on its path are not all here, and the round may have them
      }
      raw.generalised.putAll(strategy.generalise(hv.tree(), raw.models, path));
    }
    Map<String, float[]> onPath = new HashMap<>();
    for (String g : path) {
      onPath.put(g, raw.generalised.get(g));
    }
    return new Start(hv, onPath);
  }

  /** The newest round after {@code round} whose group models and version are all here, or -1. */
  int newestCompleteAfter(int round) {
    for (var e : groupModels.tailMap(round, false).descendingMap().entrySet()) {
      HierarchyVersion hv = strategy.versionFor(e.getKey(), versions);
      if (e.getValue().complete() && hv != null && hv.version() == e.getValue().version) {
        return e.getKey();
      }
    }
    return -1;
  }

  /** Forgets the group models of rounds before {@code oldest}, and versions no later round uses. */
  void forgetBefore(int oldest) {
    groupModels.headMap(oldest).clear();
    while (versions.size() > 1 && versions.higherKey(versions.firstKey()) <= oldest) {
      versions.pollFirstEntry(); // a later version is in force for every round still to come
    }
  }
}
