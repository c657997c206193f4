package io.demlearn.metrics;

import io.demlearn.core.cluster.Hierarchy;
import io.demlearn.core.metrics.AgentScore;
import io.demlearn.core.metrics.EvaluationPlan;
import io.demlearn.core.metrics.Evaluator;
import io.demlearn.core.metrics.RoundMetrics;
import io.demlearn.core.strategy.HierarchyVersion;
import io.demlearn.core.strategy.Strategy;
import io.demlearn.pipeline.checks.HierarchyChecks;
import io.demlearn.pipeline.records.Experiment;
import io.demlearn.schemas.ParameterVectors;
import io.demlearn.schemas.avro.AgentEvaluation;
import io.demlearn.schemas.avro.GroupModel;
import io.demlearn.schemas.avro.HierarchyAssignment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongSupplier;

/**
 * Each round's metrics from an experiment's log, as the simulator defines them, with no Kafka in
 * it: fed the group models and hierarchy versions as they are read, in any order, it gives the
 * rounds whose metrics are complete ({@link #complete()}), in round order.
 *
 * <p>C-SPE and C-GEN come from the agents' own evaluations, which each update carries and the
 * aggregator passes on with the group models of the update's round; G-SPE, G-GEN and Global of
 * round r come from the group models of round r-1, generalised top-down and evaluated here (round
 * 0: the strategy's initial groups). Round r is complete when every group model of rounds r-1 and r
 * is here. A group model read twice counts once; a hierarchy version that conflicts with the one
 * read first for its round, or that the pipeline refuses, is skipped.
 */
final class RoundMetricsAssembler {
  /** One round's metrics, the seconds since the previous round's, and where the time went. */
  record Round(RoundMetrics metrics, double seconds, Map<String, Double> timings) {}

  private final Experiment experiment;
  private final Strategy strategy;
  private final Evaluator evaluator;
  private final EvaluationPlan evaluation;
  private final float[] initialModel;
  private final LongSupplier nanoClock;
  private final Map<Integer, Map<String, AgentEvaluation>> scores = new HashMap<>();
  private final TreeMap<Integer, HierarchyVersion> versions = new TreeMap<>();
  private final Map<Integer, Map<String, float[]>> raw = new HashMap<>();

  /** Per round: agents averaged into each group, and how many group models the round has. */
  private final Map<Integer, Map<String, Integer>> averaged = new HashMap<>();

  private final Map<Integer, Integer> groupsInRound = new HashMap<>();

  /** Per round, the hierarchy version its group models were computed under. */
  private final Map<Integer, Integer> versionOfRound = new HashMap<>();

  private final Map<Integer, Long> groupsAt = new HashMap<>();
  private final Map<Integer, Long> hierarchyAt = new HashMap<>();
  private HierarchyVersion latestVersion;
  private int nextRound;
  private long lastRoundAt;

  /**
   * @param evaluator scores models on the agents' test data
   * @param initialModel every agent's model before round 0
   * @param nanoClock the time, for the seconds each round took
   */
  RoundMetricsAssembler(
      Experiment experiment, Evaluator evaluator, float[] initialModel, LongSupplier nanoClock) {
    this.experiment = experiment;
    this.strategy = experiment.settings().strategy();
    this.evaluator = evaluator;
    this.evaluation = experiment.settings().evaluation();
    this.initialModel = initialModel;
    this.nanoClock = nanoClock;
    this.lastRoundAt = nanoClock.getAsLong();
  }

  /** A group model read. */
  void groupModel(GroupModel g) {
    if (g == null || !experiment.id().equals(g.getExperimentId())) {
      return;
    }
    int round = g.getRound();
    Map<String, AgentEvaluation> roundScores = scores.computeIfAbsent(round, k -> new HashMap<>());
    g.getMemberEvaluations().forEach(roundScores::putIfAbsent);
    raw.computeIfAbsent(round, k -> new HashMap<>())
        .put(g.getGroupId(), ParameterVectors.toFloats(g.getParameters()));
    groupsAt.merge(round, g.getProducedAtMs(), Math::max);
    averaged.computeIfAbsent(round, k -> new HashMap<>()).put(g.getGroupId(), g.getAgentCount());
    groupsInRound.merge(round, g.getGroupsInRound(), Math::max); // the root's record says
    versionOfRound.put(round, g.getHierarchyVersion());
  }

  /** A hierarchy version read. */
  void hierarchy(HierarchyAssignment h) {
    HierarchyVersion hv = HierarchyChecks.usable(experiment, h, versions);
    if (hv == null) {
      return;
    }
    versions.put(hv.effectiveFromRound(), hv);
    if (latestVersion == null || hv.version() > latestVersion.version()) {
      latestVersion = hv;
    }
    hierarchyAt.merge(hv.effectiveFromRound(), h.getCreatedAtMs(), Math::max);
  }

  /** The latest hierarchy version read, or null. */
  HierarchyVersion latestVersion() {
    return latestVersion;
  }

  /** Rounds whose metrics are out. */
  int roundsDone() {
    return nextRound;
  }

  /** The rounds whose metrics are complete with what was read so far, in order; each once. */
  List<Round> complete() {
    List<Round> out = new ArrayList<>();
    while (nextRound < experiment.settings().rounds()
        && aggregated(nextRound)
        && (nextRound == 0 || aggregated(nextRound - 1))) {
      out.add(emit(nextRound));
      scores.remove(nextRound);
      raw.remove(nextRound - 1);
      averaged.remove(nextRound - 1);
      groupsInRound.remove(nextRound - 1);
      versionOfRound.remove(nextRound - 1);
      groupsAt.remove(nextRound - 1);
      hierarchyAt.remove(nextRound);
      while (versions.size() > 1 && versions.higherKey(versions.firstKey()) <= nextRound) {
        versions.pollFirstEntry(); // a later version is in force for every round still to come
      }
      nextRound++;
    }
    return out;
  }

  /** Whether every group model of a round is here. */
  private boolean aggregated(int round) {
    Map<String, float[]> models = raw.get(round);
    HierarchyVersion hv = strategy.versionFor(round, versions);
    if (models == null || hv == null || hv.version() != versionOfRound.get(round)) {
      return false; // the version the group models were computed under is not read yet
    }
    int expected = groupsInRound.getOrDefault(round, 0);
    return models.size() >= (expected > 0 ? expected : hv.tree().topDown().size());
  }

  private Round emit(int round) {
    RoundMetrics m = evaluation.evaluates(round) ? evaluate(round) : notEvaluated(round);
    long now = nanoClock.getAsLong();
    double seconds = (now - lastRoundAt) / 1e9;
    lastRoundAt = now;
    return new Round(m, seconds, timings(round));
  }

  private RoundMetrics notEvaluated(int round) {
    HierarchyVersion hv =
        round == 0
            ? strategy.initialHierarchy(experiment.agentIds().size())
            : strategy.versionFor(round - 1, versions);
    return RoundMetrics.notEvaluated(round, hv == null ? -1 : hv.version());
  }

  private RoundMetrics evaluate(int round) {
    Evaluator.GroupScores groupScores;
    int version;
    if (round == 0) {
      HierarchyVersion initial = strategy.initialHierarchy(experiment.agentIds().size());
      Map<String, float[]> initialGroups = strategy.initialGroups(initialModel);
      version = initial == null ? -1 : initial.version();
      groupScores =
          initial == null
              ? Evaluator.GroupScores.NONE
              : evaluator.groups(initial.tree(), initialGroups, initialGroups.get(Hierarchy.ROOT));
    } else {
      HierarchyVersion hv = strategy.versionFor(round - 1, versions);
      Map<String, float[]> models = raw.get(round - 1);
      version = hv.version();
      groupScores =
          evaluator.groups(
              hv.tree(), strategy.generalise(hv.tree(), models, null), models.get(Hierarchy.ROOT));
      // the agents each group model averaged (fewer than the tree's under a straggler policy or
      // a sample)
      Map<String, Integer> averagedIn = averaged.get(round - 1);
      groupScores = groupScores.averaging(g -> averagedIn.getOrDefault(g, 0));
    }
    // C-SPE and C-GEN over the scored agents whose updates the round averaged
    Map<String, AgentEvaluation> got = scores.getOrDefault(round, Map.of());
    List<AgentScore> agentScores = new ArrayList<>(experiment.agentIds().size());
    for (String id : experiment.agentIds()) {
      AgentEvaluation e = got.get(id);
      if (e != null) {
        agentScores.add(
            new AgentScore(e.getOwnCorrect(), e.getOwnTotal(), e.getAllCorrect(), e.getAllTotal()));
      }
    }
    return Evaluator.combine(round, version, agentScores, groupScores);
  }

  /**
   * Where round r's time went, from the records' own timestamps: from the group models of round r-1
   * to the hierarchy of round r (the agents' evaluation and training, then clustering), and on to
   * round r's group models (aggregation, after the last update arrived).
   */
  private Map<String, Double> timings(int round) {
    Map<String, Double> t = new LinkedHashMap<>();
    Long before = groupsAt.get(round - 1);
    Long hierarchy = hierarchyAt.get(round);
    Long after = groupsAt.get(round);
    if (before != null && hierarchy != null) {
      t.put("trainAndCluster", (hierarchy - before) / 1e3);
    }
    if (before != null && after != null) {
      t.put("round", (after - before) / 1e3);
    }
    return t;
  }
}
