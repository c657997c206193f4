package io.demlearn.worker;

import io.demlearn.core.experiment.Participation;
import io.demlearn.core.metrics.AgentScore;
import io.demlearn.core.strategy.AgentStart;
import io.demlearn.core.strategy.HierarchyVersion;
import io.demlearn.core.strategy.Strategy;
import io.demlearn.pipeline.checks.UpdateChecks;
import io.demlearn.pipeline.records.Experiment;
import io.demlearn.schemas.ParameterVectors;
import io.demlearn.schemas.avro.GroupModel;
import io.demlearn.schemas.avro.HierarchyAssignment;
import io.demlearn.schemas.avro.ModelUpdate;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.IntPredicate;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.apache.kafka.common.utils.Utils;

/**
 * The rounds of the agents one worker hosts, with no Kafka in it: fed what the worker learns
 * ({@link Event}: which partitions it holds, its agents' updates read back from the log, hierarchy
 * versions, group models, finished trainings), it answers with what to do ({@link Command}: train
 * an agent for a round from a given start, publish an update).
 *
 * <p>An agent is hosted while the worker holds the {@code model-updates} partition its id hashes
 * to. Its state is its latest counted update (the aggregator's rule: an agent's updates count in
 * round order, the first one per round). After an assignment every agent waits until the worker has
 * read its partitions to their end ({@link CaughtUp}): then each continues from its latest update.
 * An agent whose update of round r is known trains its next round s (r+1, or under {@code
 * --sample-fraction} the next round whose sample holds it) once the hierarchy version in force for
 * s-1 and the group models of s-1 on its path are known (or every group model the round has): it
 * mixes them top-down with its latest trained model (the initial model before its first) into its
 * start. Under a straggler policy, an agent that was late starts from the newest round whose group
 * models are all in (closed without it) instead, skipping the rounds it missed. Records that fail
 * the pipeline's checks are skipped; of two different hierarchy versions for one round, the first
 * counts. Group models and versions that no hosted agent needs any more are forgotten.
 */
final class AgentRounds {
  /** Something the worker learnt. */
  sealed interface Event
      permits Assigned, Revoked, UpdateRead, CaughtUp, HierarchyRead, GroupModelRead, Trained {}

  /**
   * The worker now holds these partitions of {@code model-updates} (and reads them from the start).
   */
  record Assigned(Set<Integer> partitions) implements Event {}

  /** The worker no longer holds these partitions. */
  record Revoked(Set<Integer> partitions) implements Event {}

  /** An update read back from one of the worker's partitions. */
  record UpdateRead(String key, ModelUpdate update) implements Event {}

  /** The worker's partitions are read to the end they had when assigned: its agents may go on. */
  record CaughtUp() implements Event {}

  record HierarchyRead(HierarchyAssignment hierarchy) implements Event {}

  record GroupModelRead(GroupModel groupModel) implements Event {}

  /** A training asked for by {@link Train} has finished. */
  record Trained(Train training, float[] parameters, AgentScore score) implements Event {}

  /** Something the worker must do. */
  sealed interface Command permits Train, Publish, ShareFeatures {}

  /**
   * Evaluate an agent's start model, then train it for a round from the start model.
   *
   * @param agent the agent's index in the experiment
   * @param hierarchyVersion the version the agent trains under (-1: none yet)
   * @param starting works out the start (on the thread that trains: the loop does not hold a start
   *     model for every agent waiting to train)
   */
  record Train(int agent, int round, int hierarchyVersion, Supplier<AgentStart> starting)
      implements Command {
    AgentStart start() {
      return starting.get();
    }
  }

  /** Publish an agent's update. */
  record Publish(ModelUpdate update) implements Command {}

  /**
   * Publish the clustering features of an agent's update (when the experiment clusters a projection
   * of the models, {@link Experiment#clustersPublishedFeatures}): after each training, and again
   * for each agent's latest update once the worker has caught up (a worker stopped between an
   * update and its features would otherwise leave the clusterer waiting; the clusterer counts one
   * per round).
   *
   * @param parameters the update's parameters
   * @param borrowed whether {@code parameters} is the agent's own array, which the next event may
   *     overwrite (then the features must be worked out before that event is taken in); else it is
   *     the training's result, which nothing changes any more
   */
  record ShareFeatures(
      String agentId, int round, int hierarchyVersion, float[] parameters, boolean borrowed)
      implements Command {}

  private static final class Agent {
    final int index;
    int lastRound = -1;

    /** The hierarchy version its latest update was trained under. */
    int version = -1;

    float[] trained;

    /** The round it is being trained for, or -1. */
    int training = -1;

    boolean recovering = true;

    Agent(int index) {
      this.index = index;
    }
  }

  private final Experiment experiment;
  private final Strategy strategy;
  private final float[] initialModel;
  private final int[] trainSamples;
  private final int partitions;
  private final LongSupplier clock;
  private final IntPredicate closedByPolicy;
  private final UpdateChecks checks;
  private final OwnUpdates ownUpdates;
  private final Map<String, Integer> indexOf = new HashMap<>();
  private final Map<String, Agent> hosted = new HashMap<>();

  /** Hosted agents by the round whose group models they start their next round from. */
  private final TreeMap<Integer, Set<Agent>> byStartRound = new TreeMap<>();

  private final Participation participation;

  private final RoundsRead read;

  private boolean caughtUp;

  private final boolean sharesFeatures;

  /**
   * @param trainSamples per agent (in the experiment's order), its training samples
   * @param partitions how many partitions {@code model-updates} has
   * @param clock the time updates are stamped with, epoch milliseconds
   * @param closedByPolicy the rounds the aggregator's straggler policy closed (to read back the
   *     updates of agents that caught up, {@link UpdateChecks#followsOn})
   */
  AgentRounds(
      Experiment experiment,
      float[] initialModel,
      int[] trainSamples,
      int partitions,
      LongSupplier clock,
      IntPredicate closedByPolicy) {
    this.experiment = experiment;
    this.strategy = experiment.settings().strategy();
    this.initialModel = initialModel;
    this.trainSamples = trainSamples.clone();
    this.partitions = partitions;
    this.clock = clock;
    this.closedByPolicy = closedByPolicy;
    this.checks = new UpdateChecks(experiment);
    this.ownUpdates = new OwnUpdates(experiment, checks, clock);
    this.read = new RoundsRead(experiment);
    this.participation = experiment.settings().participation();
    this.sharesFeatures = experiment.clustersPublishedFeatures();
    for (int i = 0; i < experiment.agentIds().size(); i++) {
      indexOf.put(experiment.agentIds().get(i), i);
    }
  }

  /** The partition an agent's updates go to (Kafka's default partitioner for string keys). */
  static int partitionOf(String agentId, int partitions) {
    return Utils.toPositive(Utils.murmur2(agentId.getBytes(StandardCharsets.UTF_8))) % partitions;
  }

  /** How many agents are hosted now. */
  int hostedAgents() {
    return hosted.size();
  }

  /**
   * Takes one event in; returns what to do now.
   *
   * @throws IllegalStateException if an agent's own training produced an update the pipeline would
   *     refuse (training diverged, or the norm bound is too tight): the run cannot go on
   */
  List<Command> on(Event event) {
    List<Command> out = new ArrayList<>();
    if (event instanceof Assigned a) {
      host(a.partitions());
    } else if (event instanceof Revoked r) {
      release(r.partitions());
    } else if (event instanceof UpdateRead u) {
      readBack(u.key(), u.update());
    } else if (event instanceof CaughtUp) {
      caughtUp = true;
      hosted.values().forEach(a -> a.recovering = false);
      if (sharesFeatures) {
        for (Agent a : hosted.values()) {
          if (a.lastRound >= 0) {
            String id = experiment.agentIds().get(a.index);
            out.add(new ShareFeatures(id, a.lastRound, a.version, a.trained, true));
          }
        }
      }
      hosted.values().forEach(a -> startIfReady(a, out));
    } else if (event instanceof HierarchyRead h) {
      if (read.add(h.hierarchy())) {
        hosted.values().forEach(a -> startIfReady(a, out));
      }
    } else if (event instanceof GroupModelRead g) {
      groupModel(g.groupModel(), out);
    } else if (event instanceof Trained t) {
      trained(t, out);
    }
    forgetOld();
    return out;
  }

  private void host(Set<Integer> assigned) {
    caughtUp = false;
    for (String id : experiment.agentIds()) {
      if (assigned.contains(partitionOf(id, partitions))) {
        Agent a =
            hosted.computeIfAbsent(
                id,
                k -> {
                  Agent fresh = new Agent(indexOf.get(k));
                  index(fresh);
                  return fresh;
                });
        a.recovering = true; // read its partition again before it goes on
      }
    }
  }

  private void release(Set<Integer> revoked) {
    hosted
        .values()
        .removeIf(
            a -> {
              boolean gone =
                  revoked.contains(partitionOf(experiment.agentIds().get(a.index), partitions));
              if (gone) {
                unindex(a);
              }
              return gone;
            });
  }

  /** An update of a hosted agent read back from its partition: its state if it follows on. */
  private void readBack(String key, ModelUpdate u) {
    Agent a = hosted.get(u.getAgentId());
    if (a != null
        && checks.check(key, u) == null
        && checks.followsOn(u.getAgentId(), a.lastRound, u.getRound(), closedByPolicy)) {
      // decoded into the agent's own array, if it has one (read back, an agent's updates replace
      // each other)
      float[] into = a.trained != null ? a.trained : new float[0];
      advance(
          a,
          u.getRound(),
          u.getHierarchyVersion(),
          ParameterVectors.toFloats(u.getParameters(), into));
    }
  }

  private void groupModel(GroupModel g, List<Command> out) {
    if (!experiment.id().equals(g.getExperimentId())) {
      return;
    }
    boolean complete = read.add(g);
    // the agents waiting for this round, and, once it is complete, those behind it (catching up)
    var waiting =
        complete
            ? byStartRound.headMap(g.getRound(), true)
            : byStartRound.subMap(g.getRound(), true, g.getRound(), true);
    for (Agent a : waiting.values().stream().flatMap(Set::stream).toList()) {
      startIfReady(a, out);
    }
  }

  private void trained(Trained t, List<Command> out) {
    Train training = t.training();
    String id = experiment.agentIds().get(training.agent());
    ModelUpdate update =
        ownUpdates.of(
            id,
            training.round(),
            training.hierarchyVersion(),
            trainSamples[training.agent()],
            t.parameters(),
            t.score());
    out.add(new Publish(update));
    if (sharesFeatures) {
      out.add(
          new ShareFeatures(
              id, training.round(), training.hierarchyVersion(), t.parameters(), false));
    }
    Agent a = hosted.get(id);
    // only the training this agent started: one started before a rebalance re-hosted it is
    // published (the same update, counted once) but leaves the new one's state alone
    if (a != null && a.training == training.round()) {
      a.training = -1;
      if (training.round() > a.lastRound) {
        advance(a, training.round(), training.hierarchyVersion(), t.parameters());
      }
      startIfReady(a, out);
    }
  }

  private void startIfReady(Agent a, List<Command> out) {
    if (!caughtUp || a.recovering || a.training >= 0) {
      return;
    }
    int from = a.lastRound;
    if (experiment.closesEarly() && a.lastRound >= 0) {
      // under a straggler policy, an agent left out of closed rounds catches up: it starts from
      // the newest round whose group models are all here, skipping the rounds it missed
      from = Math.max(from, read.newestCompleteAfter(a.lastRound));
    }
    int round = participation.nextRound(a.index, from);
    if (round >= experiment.settings().rounds()) {
      return;
    }
    Supplier<AgentStart> start;
    int version;
    if (round == 0) {
      AgentStart initial = strategy.initial(initialModel);
      start = () -> initial;
      HierarchyVersion hierarchy = strategy.initialHierarchy(experiment.agentIds().size());
      version = hierarchy == null ? -1 : hierarchy.version();
    } else {
      RoundsRead.Start s = read.after(round - 1, a.index);
      if (s == null) {
        return;
      }
      HierarchyVersion hv = s.version();
      float[] own = a.lastRound < 0 ? initialModel : a.trained;
      int index = a.index;
      start = () -> strategy.next(index, own, hv.tree(), s.generalised());
      version = hv.version();
    }
    a.training = round;
    out.add(new Train(a.index, round, version, start));
  }

  private void advance(Agent a, int round, int version, float[] parameters) {
    unindex(a);
    a.lastRound = round;
    a.version = version;
    if (a.trained == null || a.trained.length != parameters.length) {
      a.trained = new float[parameters.length];
    }
    // one array per agent for as long as it is hosted, overwritten each round (its start for the
    // next round is made before that round's training ends): no round leaves 10,000 models of
    // garbage among the long-lived objects; the given array stays the caller's
    System.arraycopy(parameters, 0, a.trained, 0, parameters.length);
    index(a);
  }

  /** The round whose group models an agent starts its next round from (-1: none, round 0). */
  private int startRound(Agent a) {
    return participation.nextRound(a.index, a.lastRound) - 1;
  }

  private void index(Agent a) {
    byStartRound.computeIfAbsent(startRound(a), k -> new HashSet<>()).add(a);
  }

  private void unindex(Agent a) {
    int key = startRound(a);
    Set<Agent> same = byStartRound.get(key);
    if (same != null && same.remove(a) && same.isEmpty()) {
      byStartRound.remove(key);
    }
  }

  /** Group models of rounds no hosted agent starts from any more, and versions no later uses. */
  private void forgetOld() {
    if (!byStartRound.isEmpty()) {
      read.forgetBefore(byStartRound.firstKey());
    }
  }
}
