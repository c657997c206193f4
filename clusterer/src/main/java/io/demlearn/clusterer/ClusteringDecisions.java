package io.demlearn.clusterer;

import io.demlearn.core.model.Model;
import io.demlearn.core.sim.Simulator;
import io.demlearn.core.strategy.HierarchyVersion;
import io.demlearn.core.strategy.Strategy;
import io.demlearn.pipeline.checks.HierarchyChecks;
import io.demlearn.pipeline.checks.UpdateChecks;
import io.demlearn.pipeline.records.Experiment;
import io.demlearn.schemas.ParameterVectors;
import io.demlearn.schemas.avro.HierarchyAssignment;
import io.demlearn.schemas.avro.ModelUpdate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntPredicate;
import java.util.function.LongSupplier;

/**
 * The clusterer's decisions, with no Kafka in it: fed what it reads ({@link Event}: the versions it
 * published before a restart, the agents' updates, the passing of time), it answers with the
 * hierarchy versions to publish, in order.
 *
 * <p>It uses the updates the aggregator counts ({@link UpdateChecks}: each agent's first update per
 * round, in round order, or catching up after a round the straggler policy closed; records that
 * fail a check are skipped). In a round that rebuilds the tree (DemLearn: every T rounds) it
 * clusters the agents' trained models once all the round's agents have reported (all agents, or the
 * round's sample under {@code --sample-fraction}), or, under a straggler policy, once the policy's
 * timeout has passed since the round's first update and a quorum has reported: an agent that did
 * not report (or was not in the round's sample) is placed by its latest earlier model (the initial
 * model before its first update). Clustering is deterministic, so a restarted clusterer that
 * decides a round again publishes the same version.
 */
final class ClusteringDecisions {
  /** Something the clusterer read, or the time passing. */
  sealed interface Event permits Published, RecoveryDone, UpdateRead, Tick {}

  /** A version on {@code hierarchy-assignments}, read back before any update (after a restart). */
  record Published(HierarchyAssignment hierarchy) implements Event {}

  /** Every version published before has been read back: decide what must exist before round 0. */
  record RecoveryDone() implements Event {}

  /** An update read; rounds are decided at the next {@link Tick}. */
  record UpdateRead(String key, ModelUpdate update) implements Event {}

  /**
   * A batch of reads is in, or time has passed: decide the rounds that are complete, or that a
   * straggler policy closes now.
   */
  record Tick() implements Event {}

  private final Experiment experiment;
  private final Strategy strategy;
  private final UpdateChecks checks;
  private final LongSupplier clock;
  private final IntPredicate closedByPolicy;
  private final int agents;

  /** How many agents train in each round. */
  private final int inRound;

  /** Whether agents' latest models are kept (for the agents missing from a round). */
  private final boolean keepsLatest;

  private final Map<String, Integer> lastRound = new HashMap<>();

  /**
   * Rounds to decide: per round, the agents' trained models so far, by their clustering features (a
   * random projection is a few hundred floats instead of the model's thousands) once {@link
   * #FEATURE_BATCH} models wait for theirs, or the round is decided.
   */
  private final TreeMap<Integer, Map<String, float[]>> pending = new TreeMap<>();

  /** Models in {@link #pending} whose features are not worked out yet, as (round, agent). */
  private final List<Map.Entry<Integer, String>> featureless = new ArrayList<>();

  private static final int FEATURE_BATCH = 64;

  /** Under a straggler policy: when each pending round's first update was read. */
  private final Map<Integer, Long> firstSeenAt = new HashMap<>();

  /** Each agent's latest model, if {@link #keepsLatest}. */
  private final Map<String, float[]> latestOf = new HashMap<>();

  private HierarchyVersion latest;
  private float[] initialModel;

  /**
   * @param clock the time, in milliseconds, for the straggler policy's timeout
   * @param closedByPolicy the rounds the aggregator's straggler policy closed (for agents that
   *     catch up, {@link UpdateChecks#followsOn})
   */
  ClusteringDecisions(Experiment experiment, LongSupplier clock, IntPredicate closedByPolicy) {
    this.experiment = experiment;
    this.strategy = experiment.settings().strategy();
    this.checks = new UpdateChecks(experiment);
    this.clock = clock;
    this.closedByPolicy = closedByPolicy;
    this.agents = experiment.agentIds().size();
    this.inRound = experiment.settings().participation().perRound();
    this.keepsLatest = experiment.closesEarly() || inRound < agents;
  }

  /** Takes one event in; returns the versions to publish now, in order. */
  List<HierarchyVersion> on(Event event) {
    List<HierarchyVersion> out = new ArrayList<>();
    if (event instanceof Published p) {
      HierarchyVersion hv =
          p.hierarchy() == null ? null : HierarchyChecks.check(experiment, p.hierarchy()).version();
      if (hv != null && (latest == null || hv.version() > latest.version())) {
        latest = hv;
      }
    } else if (event instanceof RecoveryDone) {
      HierarchyVersion initial = strategy.initialHierarchy(agents);
      if (latest == null && initial != null) {
        publish(initial, out);
      }
    } else if (event instanceof UpdateRead u) {
      accept(u.key(), u.update());
    } else if (event instanceof Tick) {
      decide(out);
    }
    return out;
  }

  private void accept(String key, ModelUpdate u) {
    if (checks.check(key, u) != null) {
      return; // the aggregator refuses it onto dead-letters
    }
    String agent = u.getAgentId();
    int round = u.getRound();
    if (!checks.followsOn(agent, lastRound.getOrDefault(agent, -1), round, closedByPolicy)) {
      return; // not counted: sent again, conflicting, or skipping rounds it may not skip
    }
    lastRound.put(agent, round);
    boolean decidedBefore =
        latest != null && round <= latest.effectiveFromRound() && strategy.rebuildsIn(round);
    boolean toDecide = strategy.rebuildsIn(round) || (latest == null && round == 0);
    if (!keepsLatest && (decidedBefore || !toDecide)) {
      return;
    }
    float[] model = ParameterVectors.toFloats(u.getParameters());
    if (keepsLatest) {
      latestOf.put(agent, model);
    }
    if (decidedBefore || !toDecide) {
      return;
    }
    pending.computeIfAbsent(round, r -> new HashMap<>()).put(agent, model);
    firstSeenAt.putIfAbsent(round, clock.getAsLong());
    featureless.add(Map.entry(round, agent));
    if (featureless.size() >= FEATURE_BATCH) {
      workOutFeatures();
    }
  }

  /** Replaces the models in {@link #pending} that wait for their features by their features. */
  private void workOutFeatures() {
    List<float[]> models = new ArrayList<>(featureless.size());
    for (Map.Entry<Integer, String> e : featureless) {
      models.add(pending.get(e.getKey()).get(e.getValue()));
    }
    List<float[]> features = strategy.clusteringFeatures(models);
    for (int i = 0; i < features.size(); i++) {
      Map.Entry<Integer, String> e = featureless.get(i);
      pending.get(e.getKey()).put(e.getValue(), features.get(i));
    }
    featureless.clear();
  }

  private void decide(List<HierarchyVersion> out) {
    while (!pending.isEmpty()) {
      Map.Entry<Integer, Map<String, float[]>> first = pending.firstEntry();
      int round = first.getKey();
      Map<String, float[]> got = first.getValue();
      if (got.size() < inRound && !closesEarly(round, got.size())) {
        return;
      }
      if (!featureless.isEmpty()) {
        workOutFeatures();
      }
      // an agent missing from the round is placed by its latest earlier model
      List<float[]> missing = new ArrayList<>();
      for (String id : experiment.agentIds()) {
        if (!got.containsKey(id)) {
          float[] model = latestOf.get(id);
          missing.add(model != null ? model : initialModel());
        }
      }
      Iterator<float[]> missingFeatures = strategy.clusteringFeatures(missing).iterator();
      List<float[]> features = new ArrayList<>(agents);
      for (String id : experiment.agentIds()) {
        float[] f = got.get(id);
        features.add(f != null ? f : missingFeatures.next());
      }
      HierarchyVersion hv = strategy.hierarchy(round, features, latest);
      if (hv != null && hv != latest) {
        publish(hv, out);
      }
      pending.pollFirstEntry();
      firstSeenAt.remove(round);
    }
  }

  private void publish(HierarchyVersion hv, List<HierarchyVersion> out) {
    out.add(hv);
    latest = hv;
  }

  private boolean closesEarly(int round, int present) {
    return experiment.closesEarly()
        && present >= experiment.quorumOf(inRound)
        && clock.getAsLong() - firstSeenAt.get(round)
            >= experiment.policy().getStragglerTimeoutMs();
  }

  private float[] initialModel() {
    if (initialModel == null) {
      initialModel =
          Simulator.initialModel(
              Model.of(experiment.settings().model()), experiment.settings().seed());
    }
    return initialModel;
  }
}
