package io.demlearn.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.demlearn.core.cluster.Dendrogram;
import io.demlearn.core.cluster.Hierarchy;
import io.demlearn.core.experiment.Algorithm;
import io.demlearn.core.experiment.ExperimentSettings;
import io.demlearn.core.metrics.AgentScore;
import io.demlearn.core.strategy.AgentStart;
import io.demlearn.core.strategy.HierarchyVersion;
import io.demlearn.core.strategy.Strategy;
import io.demlearn.pipeline.records.Experiment;
import io.demlearn.pipeline.records.GroupModels;
import io.demlearn.pipeline.records.Hierarchies;
import io.demlearn.pipeline.records.ModelUpdates;
import io.demlearn.schemas.ParameterVectors;
import io.demlearn.schemas.avro.ModelUpdate;
import io.demlearn.worker.AgentRounds.Assigned;
import io.demlearn.worker.AgentRounds.CaughtUp;
import io.demlearn.worker.AgentRounds.Command;
import io.demlearn.worker.AgentRounds.GroupModelRead;
import io.demlearn.worker.AgentRounds.HierarchyRead;
import io.demlearn.worker.AgentRounds.Publish;
import io.demlearn.worker.AgentRounds.Revoked;
import io.demlearn.worker.AgentRounds.ShareFeatures;
import io.demlearn.worker.AgentRounds.Train;
import io.demlearn.worker.AgentRounds.Trained;
import io.demlearn.worker.AgentRounds.UpdateRead;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Test;

/** An agent worker's rounds, fed events as the log would give them, without Kafka. */
class AgentRoundsTest {
  static final List<String> AGENTS = List.of("agent-000", "agent-001", "agent-002", "agent-003");
  static final int[] SAMPLES = {10, 20, 30, 40};
  static final int DIM = 7850;

  final Experiment experiment = experiment(0);

  /** DemLearn-P over the four agents, clustering a projection to {@code clusterDims} (0: none). */
  static Experiment experiment(int clusterDims) {
    return new Experiment(
        "rounds-test",
        ExperimentSettings.builder()
            .algorithm(Algorithm.DEMLEARN_P)
            .dataset("synthetic")
            .agents(4)
            .rounds(3)
            .levels(2)
            .threads(1)
            .clusterDims(clusterDims)
            .build(),
        AGENTS,
        Experiment.defaultPolicy());
  }

  final Strategy strategy = experiment.settings().strategy();
  final float[] initial = filled(0.5f);

  /** Agents 0 and 1 in one group, 2 and 3 in the other. */
  final HierarchyVersion v0 = version(0, 0);

  static float[] filled(float value) {
    float[] p = new float[DIM];
    Arrays.fill(p, value);
    return p;
  }

  HierarchyVersion version(int version, int effectiveFromRound) {
    Dendrogram d =
        new Dendrogram(
            4,
            List.of(
                new Dendrogram.Merge(0, 1, 1.0, 2),
                new Dendrogram.Merge(2, 3, 1.5, 2),
                new Dendrogram.Merge(4, 5, 3.0, 4)));
    return new HierarchyVersion(Hierarchy.fromDendrogram(d, 2), d, version, effectiveFromRound);
  }

  AgentRounds rounds(int partitions) {
    return new AgentRounds(experiment, initial, SAMPLES, partitions, () -> 1234L, r -> false);
  }

  /** Agent a's update of a round: every parameter a + round / 10. */
  ModelUpdate update(int agent, int round) {
    return ModelUpdates.of(
        experiment,
        AGENTS.get(agent),
        round,
        round == 0 ? -1 : 0,
        SAMPLES[agent],
        filled(agent + round / 10f),
        new AgentScore(1, 2, 3, 4),
        0);
  }

  /** The group models the aggregator computes for a round in which every agent reported. */
  List<GroupModelRead> groupModels(int round) {
    return groupModels(round, v0);
  }

  /** The group models of a round computed under a given hierarchy version. */
  List<GroupModelRead> groupModels(int round, HierarchyVersion hv) {
    List<ModelUpdate> updates = new ArrayList<>();
    for (int a = 0; a < AGENTS.size(); a++) {
      updates.add(update(a, round));
    }
    return GroupModels.of(experiment, round, hv, AGENTS, updates, 0).stream()
        .map(GroupModelRead::new)
        .toList();
  }

  HierarchyRead hierarchy(HierarchyVersion hv) {
    return new HierarchyRead(
        Hierarchies.toRecord(experiment.id(), hv, AGENTS, experiment.settings(), 0));
  }

  /** Group models by group id. */
  static Map<String, float[]> models(List<GroupModelRead> read) {
    Map<String, float[]> out = new HashMap<>();
    read.forEach(
        g ->
            out.put(
                g.groupModel().getGroupId(),
                ParameterVectors.toFloats(g.groupModel().getParameters())));
    return out;
  }

  static List<Command> feed(AgentRounds rounds, List<? extends AgentRounds.Event> events) {
    List<Command> out = new ArrayList<>();
    events.forEach(e -> out.addAll(rounds.on(e)));
    return out;
  }

  static List<Train> trainings(List<Command> commands) {
    return commands.stream().filter(Train.class::isInstance).map(Train.class::cast).toList();
  }

  /**
   * What the simulator gives agent a after a round: its trained model mixed with its generalised
   * parent.
   */
  AgentStart expectedStart(int agent, float[] trained, int round) {
    Map<String, float[]> raw = models(groupModels(round));
    return strategy.next(agent, trained, v0.tree(), strategy.generalise(v0.tree(), raw, null));
  }

  @Test
  void freshAgentsStartRoundZeroFromTheInitialModelOnceTheirPartitionIsRead() {
    AgentRounds rounds = rounds(1);
    assertThat(rounds.on(new Assigned(Set.of(0)))).isEmpty();
    List<Train> started = trainings(rounds.on(new CaughtUp()));
    assertThat(started).extracting(Train::agent).containsExactlyInAnyOrder(0, 1, 2, 3);
    assertThat(started)
        .allSatisfy(
            t -> {
              assertThat(t.round()).isZero();
              assertThat(t.hierarchyVersion()).isEqualTo(-1);
              assertThat(t.start().startModel()).isSameAs(initial);
              assertThat(t.start().proxTarget()).as("round 0 trains with plain SGD").isNull();
            });
  }

  @Test
  void recoveryFromTheLogContinuesEachAgentFromItsLatestUpdate() {
    AgentRounds rounds = rounds(1);
    rounds.on(new Assigned(Set.of(0)));
    List<Command> whileRecovering = new ArrayList<>();
    for (int a = 0; a < 4; a++) {
      whileRecovering.addAll(rounds.on(new UpdateRead(AGENTS.get(a), update(a, 0))));
    }
    whileRecovering.addAll(rounds.on(hierarchy(v0)));
    whileRecovering.addAll(feed(rounds, groupModels(0)));
    assertThat(whileRecovering)
        .as("nothing starts before the partition is read to its end")
        .isEmpty();

    List<Train> started = trainings(rounds.on(new CaughtUp()));
    assertThat(started).extracting(Train::round).containsOnly(1);
    assertThat(started).extracting(Train::hierarchyVersion).containsOnly(0);
    Train agent2 = started.stream().filter(t -> t.agent() == 2).findFirst().orElseThrow();
    AgentStart expected = expectedStart(2, filled(2f), 0);
    assertThat(agent2.start().startModel()).containsExactly(expected.startModel());
    assertThat(agent2.start().proxTarget()).containsExactly(expected.proxTarget());
  }

  @Test
  void aHierarchyArrivingLateHoldsTheAgentsBackUntilItIsRead() {
    AgentRounds rounds = rounds(1);
    rounds.on(new Assigned(Set.of(0)));
    for (int a = 0; a < 4; a++) {
      rounds.on(new UpdateRead(AGENTS.get(a), update(a, 0)));
    }
    assertThat(rounds.on(new CaughtUp())).isEmpty();
    assertThat(feed(rounds, groupModels(0))).as("group models without their hierarchy").isEmpty();
    assertThat(trainings(rounds.on(hierarchy(v0))))
        .hasSize(4)
        .extracting(Train::round)
        .containsOnly(1);
  }

  @Test
  void anAgentWaitsForEveryGroupModelOnItsPath() {
    AgentRounds rounds = rounds(1);
    rounds.on(new Assigned(Set.of(0)));
    for (int a = 0; a < 4; a++) {
      rounds.on(new UpdateRead(AGENTS.get(a), update(a, 0)));
    }
    rounds.on(new CaughtUp());
    rounds.on(hierarchy(v0));
    List<GroupModelRead> models = groupModels(0);
    GroupModelRead root =
        models.stream()
            .filter(g -> g.groupModel().getGroupId().equals(Hierarchy.ROOT))
            .findFirst()
            .orElseThrow();
    GroupModelRead left =
        models.stream()
            .filter(g -> g.groupModel().getGroupId().equals(v0.tree().parentOf(0)))
            .findFirst()
            .orElseThrow();
    assertThat(rounds.on(root)).isEmpty();
    assertThat(trainings(rounds.on(left)))
        .as("agents 0 and 1 have their path; 2 and 3 wait")
        .extracting(Train::agent)
        .containsExactlyInAnyOrder(0, 1);
  }

  @Test
  void aDuplicateOrConflictingUpdateOrHierarchyCountsOnceTheFirstOneRead() {
    AgentRounds rounds = rounds(1);
    rounds.on(new Assigned(Set.of(0)));
    for (int a = 0; a < 4; a++) {
      rounds.on(new UpdateRead(AGENTS.get(a), update(a, 0)));
    }
    ModelUpdate conflicting = update(2, 0);
    conflicting.setParameters(
        ParameterVectors.of(io.demlearn.schemas.avro.ModelKind.MLR, filled(99f)));
    rounds.on(new UpdateRead(AGENTS.get(2), conflicting));
    rounds.on(new UpdateRead(AGENTS.get(2), update(2, 0)));
    ModelUpdate otherExperiment = update(3, 1);
    otherExperiment.setExperimentId("another");
    rounds.on(new UpdateRead(AGENTS.get(3), otherExperiment));
    rounds.on(new CaughtUp());
    rounds.on(hierarchy(v0));
    rounds.on(hierarchy(version(7, 0))); // another version for round 0: the first one read counts
    List<Train> started = trainings(feed(rounds, groupModels(0)));
    assertThat(started).extracting(Train::hierarchyVersion).containsOnly(0);
    assertThat(started).extracting(Train::round).containsOnly(1);
    Train agent2 = started.stream().filter(t -> t.agent() == 2).findFirst().orElseThrow();
    assertThat(agent2.start().startModel())
        .containsExactly(expectedStart(2, filled(2f), 0).startModel());
  }

  @Test
  void aFinishedTrainingIsPublishedAndTheAgentGoesOnWhenItsRoundIsAggregated() {
    AgentRounds rounds = rounds(1);
    rounds.on(new Assigned(Set.of(0)));
    Train first = trainings(rounds.on(new CaughtUp())).get(0);
    List<Command> after =
        rounds.on(new Trained(first, filled(first.agent()), new AgentScore(5, 6, 7, 8)));
    assertThat(after).hasSize(1);
    ModelUpdate published = ((Publish) after.get(0)).update();
    assertThat(published.getAgentId()).isEqualTo(AGENTS.get(first.agent()));
    assertThat(published.getRound()).isZero();
    assertThat(published.getTrainSamples()).isEqualTo(SAMPLES[first.agent()]);
    assertThat(published.getProducedAtMs()).isEqualTo(1234L);
    assertThat(published.getEvaluation().getOwnCorrect()).isEqualTo(5);

    rounds.on(hierarchy(v0));
    List<Train> next = trainings(feed(rounds, groupModels(0)));
    assertThat(next)
        .as("only the agent whose round-0 update is known goes on")
        .extracting(Train::agent, Train::round)
        .containsExactly(Tuple.tuple(first.agent(), 1));
  }

  @Test
  void underAProjectionEachUpdateIsFollowedByItsFeaturesAndARecoveredWorkerSharesTheLatestAgain() {
    Experiment projected = experiment(16);
    AgentRounds rounds = new AgentRounds(projected, initial, SAMPLES, 1, () -> 1234L, r -> false);
    rounds.on(new Assigned(Set.of(0)));
    Train first = trainings(rounds.on(new CaughtUp())).get(0);
    float[] trained = filled(first.agent());
    List<Command> after = rounds.on(new Trained(first, trained, null));
    assertThat(after).hasSize(2);
    assertThat(after.get(0)).isInstanceOf(Publish.class);
    ShareFeatures shared = (ShareFeatures) after.get(1);
    assertThat(shared.agentId()).isEqualTo(AGENTS.get(first.agent()));
    assertThat(shared.round()).isZero();
    assertThat(shared.hierarchyVersion()).isEqualTo(-1);
    assertThat(shared.parameters()).isSameAs(trained);
    assertThat(shared.borrowed()).as("the training's own result: nothing changes it").isFalse();

    // a worker that restarts between an update and its features publishes them again
    AgentRounds restarted =
        new AgentRounds(projected, initial, SAMPLES, 1, () -> 1234L, r -> false);
    restarted.on(new Assigned(Set.of(0)));
    ModelUpdate u = update(2, 1);
    restarted.on(new UpdateRead(AGENTS.get(2), update(2, 0)));
    restarted.on(new UpdateRead(AGENTS.get(2), u));
    List<ShareFeatures> again =
        restarted.on(new CaughtUp()).stream()
            .filter(ShareFeatures.class::isInstance)
            .map(ShareFeatures.class::cast)
            .toList();
    assertThat(again).hasSize(1);
    assertThat(again.get(0).agentId()).isEqualTo(AGENTS.get(2));
    assertThat(again.get(0).round()).isEqualTo(1);
    assertThat(again.get(0).hierarchyVersion()).isEqualTo(u.getHierarchyVersion());
    assertThat(again.get(0).parameters()).containsExactly(filled(2 + 1 / 10f));
    assertThat(again.get(0).borrowed()).isTrue();
  }

  @Test
  void noAgentTrainsPastTheLastRound() {
    AgentRounds rounds = rounds(1);
    rounds.on(new Assigned(Set.of(0)));
    for (int a = 0; a < 4; a++) {
      rounds.on(new UpdateRead(AGENTS.get(a), update(a, 0)));
      rounds.on(new UpdateRead(AGENTS.get(a), update(a, 1)));
    }
    rounds.on(new CaughtUp());
    feed(rounds, List.of(hierarchy(v0), hierarchy(version(1, 1)), hierarchy(version(2, 2))));
    List<Train> last = trainings(feed(rounds, groupModels(1, version(1, 1))));
    assertThat(last).extracting(Train::round).containsExactly(2, 2, 2, 2);
    for (Train t : last) {
      assertThat(rounds.on(new Trained(t, filled(t.agent()), new AgentScore(1, 1, 1, 1))))
          .as("round 2 is the experiment's last: published, nothing more")
          .hasSize(1);
    }
    assertThat(feed(rounds, groupModels(2, version(2, 2)))).isEmpty();
  }

  @Test
  void takingOverAnotherWorkersAgentsRecoversThemWhileTheOthersWait() {
    AgentRounds rounds = rounds(2);
    int mine = AgentRounds.partitionOf(AGENTS.get(0), 2);
    int other = 1 - mine;
    List<Integer> myAgents = new ArrayList<>();
    for (int a = 0; a < 4; a++) {
      if (AgentRounds.partitionOf(AGENTS.get(a), 2) == mine) {
        myAgents.add(a);
      }
    }
    rounds.on(new Assigned(Set.of(mine)));
    assertThat(trainings(rounds.on(new CaughtUp())))
        .extracting(Train::agent)
        .containsExactlyInAnyOrderElementsOf(myAgents);

    // the other worker died: its partition comes here, with its agents' round-0 updates in the log
    assertThat(rounds.on(new Assigned(Set.of(mine, other)))).isEmpty();
    for (int a = 0; a < 4; a++) {
      if (!myAgents.contains(a)) {
        rounds.on(new UpdateRead(AGENTS.get(a), update(a, 0)));
      }
    }
    rounds.on(hierarchy(v0));
    assertThat(feed(rounds, groupModels(0)))
        .as("nothing starts while the new partition is read")
        .isEmpty();
    List<Train> resumed = trainings(rounds.on(new CaughtUp()));
    assertThat(resumed)
        .as("the agents taken over continue from round 1")
        .allSatisfy(t -> assertThat(t.round()).isEqualTo(1))
        .extracting(Train::agent)
        .doesNotContainAnyElementsOf(myAgents)
        .hasSize(4 - myAgents.size());

    // giving the partition back: a training still running is published, but its agent goes no
    // further
    Train running = resumed.get(0);
    rounds.on(new Revoked(Set.of(other)));
    List<Command> after = rounds.on(new Trained(running, filled(3f), new AgentScore(1, 1, 1, 1)));
    assertThat(after).hasSize(1).allSatisfy(c -> assertThat(c).isInstanceOf(Publish.class));
  }

  @Test
  void aTrainingStartedBeforeARebalanceDoesNotStartTheAgentTwice() {
    AgentRounds rounds = rounds(1);
    rounds.on(new Assigned(Set.of(0)));
    Train old =
        trainings(rounds.on(new CaughtUp())).stream()
            .filter(t -> t.agent() == 0)
            .findFirst()
            .orElseThrow();
    rounds.on(new Revoked(Set.of(0))); // an eager rebalance gives every partition back ...
    rounds.on(new Assigned(Set.of(0))); // ... and this worker gets it again
    Train fresh =
        trainings(rounds.on(new CaughtUp())).stream()
            .filter(t -> t.agent() == 0)
            .findFirst()
            .orElseThrow();

    assertThat(rounds.on(new Trained(old, filled(0f), new AgentScore(1, 1, 1, 1)))).hasSize(1);
    rounds.on(hierarchy(v0));
    assertThat(trainings(feed(rounds, groupModels(0))))
        .extracting(Train::agent, Train::round)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(0, 1));
    assertThat(rounds.on(new Trained(fresh, filled(0f), new AgentScore(1, 1, 1, 1))))
        .as("the same update again, published; round 1 is already being trained")
        .hasSize(1)
        .allSatisfy(c -> assertThat(c).isInstanceOf(Publish.class));
  }

  @Test
  void groupModelsReadBeforeTheVersionTheyWereComputedUnderWaitForIt() {
    // every other round rebuilds the tree: round 3 is aggregated under the version of round 2
    Experiment everyOther =
        new Experiment(
            experiment.id(),
            experiment.settings().toBuilder().reclusterEvery(2).rounds(6).build(),
            AGENTS,
            experiment.policy());
    AgentRounds rounds = new AgentRounds(everyOther, initial, SAMPLES, 1, () -> 0L, r -> false);
    rounds.on(new Assigned(Set.of(0)));
    for (int a = 0; a < 4; a++) {
      for (int r = 0; r <= 3; r++) {
        rounds.on(new UpdateRead(AGENTS.get(a), update(a, r)));
      }
    }
    rounds.on(new CaughtUp());
    rounds.on(hierarchy(v0));
    HierarchyVersion v1 = version(1, 2);
    List<GroupModelRead> round3 =
        GroupModels.of(
                everyOther,
                3,
                v1,
                AGENTS,
                List.of(update(0, 3), update(1, 3), update(2, 3), update(3, 3)),
                0)
            .stream()
            .map(GroupModelRead::new)
            .toList();
    assertThat(feed(rounds, round3))
        .as("version 0 is in force by the rounds read so far, but not theirs")
        .isEmpty();
    assertThat(trainings(rounds.on(hierarchy(v1))))
        .extracting(Train::round, Train::hierarchyVersion)
        .containsOnly(org.assertj.core.groups.Tuple.tuple(4, 1));
  }

  @Test
  void aDivergedTrainingStopsTheWorkerSayingWhy() {
    AgentRounds rounds = rounds(1);
    rounds.on(new Assigned(Set.of(0)));
    Train first = trainings(rounds.on(new CaughtUp())).get(0);
    float[] diverged = filled(1f);
    diverged[17] = Float.NaN;
    assertThatThrownBy(() -> rounds.on(new Trained(first, diverged, new AgentScore(0, 1, 0, 1))))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("diverged")
        .hasMessageContaining("round 0");
  }

  /** The experiment under a straggler policy (rounds close 0.3 s after their first update). */
  Experiment closingEarly() {
    return new Experiment(
        experiment.id(),
        experiment.settings().toBuilder().rounds(6).build(),
        AGENTS,
        Experiment.policy(Experiment.defaultPolicy().getMaxUpdateNorm(), 300, 0.75));
  }

  /** The group models of a round closed without agent 3 (one version per round). */
  List<GroupModelRead> withoutAgent3(Experiment e, int round) {
    List<ModelUpdate> updates = new ArrayList<>();
    for (int a = 0; a < 3; a++) {
      updates.add(update(a, round));
    }
    updates.add(null);
    return GroupModels.of(e, round, version(round, round), AGENTS, updates, 0).stream()
        .map(GroupModelRead::new)
        .toList();
  }

  @Test
  void aLateAgentCatchesUpFromTheNewestClosedRoundSkippingTheRoundsItMissed() {
    Experiment e = closingEarly();
    AgentRounds rounds = new AgentRounds(e, initial, SAMPLES, 1, () -> 0L, r -> false);
    rounds.on(new Assigned(Set.of(0)));
    List<Train> zero = trainings(rounds.on(new CaughtUp()));
    Train late = zero.stream().filter(t -> t.agent() == 3).findFirst().orElseThrow();
    for (int r = 0; r <= 2; r++) {
      rounds.on(hierarchy(version(r, r)));
    }
    // rounds 0 and 1 close without agent 3, whose training of round 0 is still running
    for (Train t : zero) {
      if (t.agent() != 3) {
        rounds.on(new Trained(t, filled(t.agent()), new AgentScore(1, 1, 1, 1)));
      }
    }
    List<Train> one = trainings(feed(rounds, withoutAgent3(e, 0)));
    assertThat(one).extracting(Train::round).containsOnly(1).hasSize(3);
    one.forEach(t -> rounds.on(new Trained(t, filled(t.agent()), new AgentScore(1, 1, 1, 1))));
    List<GroupModelRead> roundOne = withoutAgent3(e, 1);
    assertThat(trainings(feed(rounds, roundOne))).extracting(Train::round).containsOnly(2);

    List<Command> after = rounds.on(new Trained(late, filled(7f), new AgentScore(1, 1, 1, 1)));
    assertThat(((Publish) after.get(0)).update().getRound())
        .as("its late update of round 0 is still published (recorded as late)")
        .isZero();
    List<Train> next = trainings(after);
    assertThat(next)
        .as("it goes on from round 1, the newest round closed without it, not from round 0")
        .extracting(Train::agent, Train::round, Train::hierarchyVersion)
        .containsExactly(Tuple.tuple(3, 2, 1));
    HierarchyVersion v1 = version(1, 1);
    Map<String, float[]> raw = models(roundOne);
    AgentStart expected =
        e.settings()
            .strategy()
            .next(3, filled(7f), v1.tree(), strategy.generalise(v1.tree(), raw, null));
    assertThat(next.get(0).start().startModel()).containsExactly(expected.startModel());
  }

  @Test
  void readBackAnUpdateThatSkipsRoundsCountsOnlyAfterARoundClosedByThePolicy() {
    Experiment e = closingEarly();
    for (boolean closed : new boolean[] {true, false}) {
      AgentRounds rounds = new AgentRounds(e, initial, SAMPLES, 1, () -> 0L, r -> closed && r == 2);
      rounds.on(new Assigned(Set.of(0)));
      for (int a = 0; a < 3; a++) {
        for (int r = 0; r <= 3; r++) {
          rounds.on(new UpdateRead(AGENTS.get(a), update(a, r)));
        }
      }
      rounds.on(new UpdateRead(AGENTS.get(3), update(3, 0)));
      rounds.on(new UpdateRead(AGENTS.get(3), update(3, 3))); // catching up after round 2
      rounds.on(new CaughtUp());
      for (int r = 0; r <= 3; r++) {
        rounds.on(hierarchy(version(r, r)));
      }
      List<GroupModelRead> roundThree = groupModels(3, version(3, 3));
      Train agent3 =
          trainings(feed(rounds, roundThree)).stream()
              .filter(t -> t.agent() == 3)
              .findFirst()
              .orElseThrow();
      Map<String, float[]> raw = models(roundThree);
      HierarchyVersion v3 = version(3, 3);
      float[] own = ParameterVectors.toFloats(update(3, closed ? 3 : 0).getParameters());
      AgentStart expected =
          strategy.next(3, own, v3.tree(), strategy.generalise(v3.tree(), raw, null));
      assertThat(agent3.round()).isEqualTo(4);
      assertThat(agent3.start().startModel())
          .as(
              closed
                  ? "round 2 was closed: its update of round 3 counts"
                  : "nothing closed: its update of round 3 does not; it goes on from round 0's")
          .containsExactly(expected.startModel());
    }
  }
}
