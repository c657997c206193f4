package io.demlearn.clusterer;

import io.demlearn.core.model.Model;
import io.demlearn.core.sim.Simulator;
import io.demlearn.core.strategy.HierarchyVersion;
import io.demlearn.core.strategy.Strategy;
import io.demlearn.pipeline.checks.HierarchyChecks;
import io.demlearn.pipeline.checks.UpdateChecks;
import io.demlearn.pipeline.records.Experiment;
import io.demlearn.pipeline.records.Features;
import io.demlearn.schemas.ParameterVectors;
import io.demlearn.schemas.avro.ClusteringFeatures;
import io.demlearn.schemas.avro.HierarchyAssignment;
import io.demlearn.schemas.avro.ModelUpdate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntPredicate;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The clusterer's decisions, with no Kafka in it: fed what it reads ({@link Event}: the versions it
 * published before a restart, the agents' updates, the passing of time), it answers with the
 * hierarchy versions to publish, in order.
 *
 * <p>It uses the updates the aggregator counts ({@link UpdateChecks}: each agent's first update per
 * round, in round order, or catching up after a round the straggler policy closed; records that
 * fail a check are skipped), or, when the experiment clusters a random projection of the models,
 * the features the agents' workers publish for them (the same rules). In a round that rebuilds the
 * tree (DemLearn: every T rounds) it clusters the agents' trained models once all the round's
 * agents have reported (all agents, or the round's sample under {@code --sample-fraction}), or,
 * under a straggler policy, once the policy's timeout has passed since the round's first update and
 * a quorum has reported: an agent that did not report (or was not in the round's sample) is placed
 * by its latest earlier model (the initial model before its first update). Clustering is
 * deterministic, so a restarted clusterer that decides a round again publishes the same version.
 */
final class ClusteringDecisions {
  /** Something the clusterer read, or the time passing. */
  sealed interface Event permits Published, RecoveryDone, UpdateRead, FeaturesRead, Tick {}

  /** A version on {@code hierarchy-assignments}, read back before any update (after a restart). */
  record Published(HierarchyAssignment hierarchy) implements Event {}

  /** Every version published before has been read back: decide what must exist before round 0. */
  record RecoveryDone() implements Event {}

  /** An update read; rounds are decided at the next {@link Tick}. */
  record UpdateRead(String key, ModelUpdate update) implements Event {}

  /** The clustering features of an update read; rounds are decided at the next {@link Tick}. */
  record FeaturesRead(String key, ClusteringFeatures features) implements Event {}

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

  /** Rounds to decide: per round, the clustering features of the agents' trained models so far. */
  private final TreeMap<Integer, Map<String, float[]>> pending = new TreeMap<>();

  /** Under a straggler policy: when each pending round's first update was read. */
  private final Map<Integer, Long> firstSeenAt = new HashMap<>();

  /** The clustering features of each agent's latest model, if {@link #keepsLatest}. */
  private final Map<String, float[]> latestOf = new HashMap<>();

  private HierarchyVersion latest;
  private float[] initialFeatures;

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
      if (checks.check(u.key(), u.update()) == null) {
        ModelUpdate update = u.update();
        accept(
            update.getAgentId(),
            update.getRound(),
            () -> featuresOf(ParameterVectors.toFloats(update.getParameters())));
      }
    } else if (event instanceof FeaturesRead f) {
      if (checks.check(f.key(), f.features()) == null) {
        ClusteringFeatures features = f.features();
        accept(features.getAgentId(), features.getRound(), () -> Features.values(features));
      }
    } else if (event instanceof Tick) {
      decide(out);
    }
    return out;
  }

  /**
   * Takes in an agent's trained model for a round, by its clustering features (worked out only if
   * they are used), if it passed the record checks; records that fail them are refused elsewhere
   * (the aggregator's dead letters), or skipped.
   */
  private void accept(String agent, int round, Supplier<float[]> features) {
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
    float[] f = features.get();
    if (keepsLatest) {
      latestOf.put(agent, f);
    }
    if (decidedBefore || !toDecide) {
      return;
    }
    pending.computeIfAbsent(round, r -> new HashMap<>()).put(agent, f);
    firstSeenAt.putIfAbsent(round, clock.getAsLong());
  }

  private float[] featuresOf(float[] model) {
    return strategy.clusteringFeatures(List.of(model)).get(0);
  }

  private void decide(List<HierarchyVersion> out) {
    while (!pending.isEmpty()) {
      Map.Entry<Integer, Map<String, float[]>> first = pending.firstEntry();
      int round = first.getKey();
      Map<String, float[]> got = first.getValue();
      if (got.size() < inRound && !closesEarly(round, got.size())) {
        return;
      }
      // an agent missing from the round is placed by its latest earlier model
      List<float[]> features = new ArrayList<>(agents);
      for (String id : experiment.agentIds()) {
        float[] f = got.get(id);
        if (f == null) {
          f = latestOf.get(id);
        }
        features.add(f != null ? f : initialFeatures());
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

  private float[] initialFeatures() {
    if (initialFeatures == null) {
      initialFeatures =
          featuresOf(
              Simulator.initialModel(
                  Model.of(experiment.settings().architecture()), experiment.settings().seed()));
    }
    return initialFeatures;
  }
}
