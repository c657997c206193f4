package io.demlearn.metrics;

import io.demlearn.core.cluster.Hierarchy;
import io.demlearn.core.metrics.AgentScore;
import io.demlearn.core.metrics.EvaluationPlan;
import io.demlearn.core.metrics.Evaluator;
import io.demlearn.core.metrics.RoundMetrics;
import io.demlearn.core.metrics.RoundTraffic;
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
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
 *
 * <p>Each round's traffic ({@link RoundTraffic}) comes from the sizes of the records read: the
 * reader of the log passes every record of the hops with its size, and makes sure, before it takes
 * a round out ({@link #ready()}, {@link #next()}), that it has read what was written up to then
 * ({@link #awaitsFeatures(int)} says whether the round's clustering features are still missing).
 */
final class RoundMetricsAssembler {
  /**
   * One round's metrics, the seconds since the previous round's, where the time went, and what the
   * round cost in traffic.
   */
  record Round(
      RoundMetrics metrics, double seconds, Map<String, Double> timings, RoundTraffic traffic) {}

  /** One round's records by hop, as read so far. */
  private static final class Tally {
    long updates;
    long features;
    long hierarchy;
    long lastUpdateMs = -1;
    final Map<Integer, Long> sums = new TreeMap<>();
    final Map<Integer, Long> models = new TreeMap<>();
    final Map<String, Long> modelBytes = new HashMap<>();
    final Map<Integer, Long> levelDoneMs = new HashMap<>();
    final Set<String> updated = new HashSet<>();
    final Set<String> featured = new HashSet<>();
  }

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
  private final Map<Integer, Integer> clusteredAt = new HashMap<>();
  private final Map<Integer, Long> clusterInputsAt = new HashMap<>();
  private final Map<Integer, Tally> traffic = new HashMap<>();
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

  /** A group model read, and the size of its record (key + value bytes). */
  void groupModel(GroupModel g, long bytes) {
    if (g == null || !experiment.id().equals(g.getExperimentId())) {
      return;
    }
    int round = g.getRound();
    Tally t = tally(round);
    if (t.modelBytes.putIfAbsent(g.getGroupId(), bytes) == null) {
      t.models.merge(g.getLevel(), bytes, Long::sum);
      t.levelDoneMs.merge(g.getLevel(), g.getProducedAtMs(), Math::max);
    }
    Map<String, AgentEvaluation> roundScores = scores.computeIfAbsent(round, k -> new HashMap<>());
    g.getMemberEvaluations().forEach(roundScores::putIfAbsent);
    raw.computeIfAbsent(round, k -> new HashMap<>())
        .put(g.getGroupId(), ParameterVectors.toFloats(g.getParameters()));
    groupsAt.merge(round, g.getProducedAtMs(), Math::max);
    averaged.computeIfAbsent(round, k -> new HashMap<>()).put(g.getGroupId(), g.getAgentCount());
    groupsInRound.merge(round, g.getGroupsInRound(), Math::max); // the root's record says
    versionOfRound.put(round, g.getHierarchyVersion());
  }

  /** A hierarchy version read, and the size of its record. */
  void hierarchy(HierarchyAssignment h, long bytes) {
    HierarchyVersion hv = HierarchyChecks.usable(experiment, h, versions);
    if (hv == null) {
      return;
    }
    if (versions.put(hv.effectiveFromRound(), hv) == null && hv.effectiveFromRound() >= nextRound) {
      tally(hv.effectiveFromRound()).hierarchy += bytes;
      clusteredAt.put(hv.effectiveFromRound(), h.getClusteredAtRound());
    }
    if (latestVersion == null || hv.version() > latestVersion.version()) {
      latestVersion = hv;
    }
    hierarchyAt.merge(hv.effectiveFromRound(), h.getCreatedAtMs(), Math::max);
  }

  /**
   * An agent's model update of a round: the size of its record and its timestamp (the record's own,
   * milliseconds).
   */
  void update(String agent, int round, long bytes, long timestampMs) {
    if (!experiment.clustersPublishedFeatures()) {
      clusterInputsAt.merge(round, timestampMs, Math::max); // the clusterer reads the updates
    }
    if (round < nextRound) {
      return; // a late or re-sent update of a round already out
    }
    Tally t = tally(round);
    t.updates += bytes;
    t.lastUpdateMs = Math.max(t.lastUpdateMs, timestampMs);
    t.updated.add(agent);
  }

  /** An agent's clustering features of a round, and the size and timestamp of their record. */
  void features(String agent, int round, long bytes, long timestampMs) {
    if (experiment.clustersPublishedFeatures()) {
      clusterInputsAt.merge(round, timestampMs, Math::max);
    }
    if (round < nextRound) {
      return;
    }
    Tally t = tally(round);
    t.features += bytes;
    t.featured.add(agent);
  }

  /** A contribution to the groups of {@code level} in a round, and the size of its record. */
  void contribution(int level, int round, long bytes) {
    if (round >= nextRound) {
      tally(round).sums.merge(level, bytes, Long::sum);
    }
  }

  /**
   * Whether some agent whose update of {@code round} was read has not had its clustering features
   * of that round read (only an experiment that clusters published features has them).
   */
  boolean awaitsFeatures(int round) {
    Tally t = traffic.get(round);
    return experiment.clustersPublishedFeatures()
        && t != null
        && !t.featured.containsAll(t.updated);
  }

  private Tally tally(int round) {
    return traffic.computeIfAbsent(round, k -> new Tally());
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
    while (ready()) {
      out.add(next());
    }
    return out;
  }

  /** The round whose metrics are next ({@link #roundsDone()}). */
  int nextRound() {
    return nextRound;
  }

  /** Whether the next round's metrics are complete with what was read so far. */
  boolean ready() {
    return nextRound < experiment.settings().rounds()
        && aggregated(nextRound)
        && (nextRound == 0 || aggregated(nextRound - 1));
  }

  /** The next round's metrics; only when {@link #ready()}. */
  Round next() {
    if (!ready()) {
      throw new IllegalStateException("round " + nextRound + " is not complete");
    }
    Round out = emit(nextRound);
    scores.remove(nextRound);
    raw.remove(nextRound - 1);
    averaged.remove(nextRound - 1);
    groupsInRound.remove(nextRound - 1);
    versionOfRound.remove(nextRound - 1);
    groupsAt.remove(nextRound - 1);
    hierarchyAt.remove(nextRound);
    clusteredAt.remove(nextRound);
    traffic.remove(nextRound);
    clusterInputsAt.keySet().removeIf(r -> r < nextRound - 1);
    while (versions.size() > 1 && versions.higherKey(versions.firstKey()) <= nextRound) {
      versions.pollFirstEntry(); // a later version is in force for every round still to come
    }
    nextRound++;
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
    long start = nanoClock.getAsLong();
    RoundMetrics m = evaluation.evaluates(round) ? evaluate(round) : notEvaluated(round);
    long now = nanoClock.getAsLong();
    double seconds = (now - lastRoundAt) / 1e9;
    lastRoundAt = now;
    Map<String, Double> timings = timings(round);
    if (m.evaluated()) {
      timings.put("evaluate", (now - start) / 1e9);
    }
    return new Round(m, seconds, timings, traffic(round));
  }

  /** The round's traffic, by hop and level; levels 1..L of the round's hierarchy. */
  private RoundTraffic traffic(int round) {
    Tally t = traffic.getOrDefault(round, new Tally());
    Hierarchy tree = strategy.versionFor(round, versions).tree();
    List<Long> sums = new ArrayList<>();
    List<Long> models = new ArrayList<>();
    for (int level = 1; level <= tree.topLevel(); level++) {
      sums.add(t.sums.getOrDefault(level, 0L));
      models.add(t.models.getOrDefault(level, 0L));
    }
    long toAgents = 0;
    for (Map.Entry<String, Long> e : t.modelBytes.entrySet()) {
      Hierarchy.Group g = tree.group(e.getKey());
      toAgents += g == null ? 0 : e.getValue() * g.agentCount();
    }
    return new RoundTraffic(t.updates, t.features, t.hierarchy, sums, models, toAgents);
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
   * Where round r's time went, in seconds, from the records' own timestamps: {@code train} from the
   * group models of round r-1 to the last update of round r (the agents' evaluation, training and
   * publishing), {@code aggregate-L} from the last input of level L (updates for level 1, the level
   * below's group models above) to its last group model, {@code aggregate} from the last update to
   * the last group model, {@code cluster} from the last clustering features the hierarchy in force
   * from round r was built from to that hierarchy, {@code trainAndCluster} from the group models of
   * round r-1 to that hierarchy, {@code round} between the two rounds' group models, and (added by
   * the caller) {@code evaluate}, this reader's evaluation of the round.
   */
  private Map<String, Double> timings(int round) {
    Map<String, Double> t = new LinkedHashMap<>();
    Long before = groupsAt.get(round - 1);
    Long hierarchy = hierarchyAt.get(round);
    Long after = groupsAt.get(round);
    Tally tally = traffic.get(round);
    long lastUpdate = tally == null ? -1 : tally.lastUpdateMs;
    if (before != null && hierarchy != null) {
      t.put("trainAndCluster", (hierarchy - before) / 1e3);
    }
    if (before != null && after != null) {
      t.put("round", (after - before) / 1e3);
    }
    if (lastUpdate >= 0) {
      if (before != null) {
        t.put("train", (lastUpdate - before) / 1e3);
      }
      if (after != null) {
        t.put("aggregate", (after - lastUpdate) / 1e3);
      }
      long below = lastUpdate;
      for (Map.Entry<Integer, Long> level : new TreeMap<>(tally.levelDoneMs).entrySet()) {
        t.put("aggregate-" + level.getKey(), (level.getValue() - below) / 1e3);
        below = level.getValue();
      }
    }
    Integer clustered = clusteredAt.get(round);
    Long inputs = clustered == null || clustered > round ? null : clusterInputsAt.get(clustered);
    if (hierarchy != null && inputs != null) {
      t.put("cluster", (hierarchy - inputs) / 1e3);
    }
    return t;
  }
}
