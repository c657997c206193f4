package io.demlearn.clusterer;

import static org.assertj.core.api.Assertions.assertThat;

import io.demlearn.core.cluster.Hierarchy;
import io.demlearn.core.experiment.Algorithm;
import io.demlearn.core.experiment.ExperimentSettings;
import io.demlearn.core.experiment.Participation;
import io.demlearn.core.model.Model;
import io.demlearn.core.sim.Simulator;
import io.demlearn.core.strategy.HierarchyVersion;
import io.demlearn.core.strategy.Strategy;
import io.demlearn.pipeline.records.Experiment;
import io.demlearn.pipeline.records.Features;
import io.demlearn.pipeline.records.Hierarchies;
import io.demlearn.pipeline.records.ModelUpdates;
import io.demlearn.schemas.ParameterVectors;
import io.demlearn.schemas.avro.ClusteringFeatures;
import io.demlearn.schemas.avro.ModelKind;
import io.demlearn.schemas.avro.ModelUpdate;
import io.demlearn.schemas.avro.PipelinePolicy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Test;

/** The clusterer's decisions, fed events as the log would give them, without Kafka. */
class ClusteringDecisionsTest {
  static final List<String> AGENTS = List.of("agent-000", "agent-001", "agent-002", "agent-003");
  static final int DIM = 7850;
  final AtomicLong now = new AtomicLong(1_000);

  static Experiment experiment(Algorithm algorithm, PipelinePolicy policy) {
    return new Experiment(
        "decisions-test",
        ExperimentSettings.builder()
            .algorithm(algorithm)
            .dataset("synthetic")
            .agents(4)
            .rounds(4)
            .levels(2)
            .threads(1)
            .build(),
        AGENTS,
        policy);
  }

  ClusteringDecisions decisions(Experiment e) {
    return new ClusteringDecisions(e, now::get, round -> false);
  }

  /** Agent a's trained model in a round: two clusters, {0, 1} near 0 and {2, 3} near 10. */
  static float[] model(int agent, int round) {
    float[] p = new float[DIM];
    Arrays.fill(p, (agent < 2 ? 0 : 10) + agent * 0.1f + round * 0.01f);
    return p;
  }

  static ModelUpdate update(Experiment e, int agent, int round) {
    return ModelUpdates.of(
        e, AGENTS.get(agent), round, round == 0 ? -1 : round - 1, 10, model(agent, round), null, 0);
  }

  /** Updates read in one batch, then the tick that ends it: the versions decided. */
  static List<HierarchyVersion> read(
      ClusteringDecisions d, Experiment e, int round, int... agents) {
    for (int a : agents) {
      assertThat(d.on(new ClusteringDecisions.UpdateRead(AGENTS.get(a), update(e, a, round))))
          .isEmpty();
    }
    return d.on(new ClusteringDecisions.Tick());
  }

  /** The version the strategy makes from these models (what the simulator uses). */
  static HierarchyVersion expected(
      Experiment e, int round, List<float[]> models, HierarchyVersion previous) {
    Strategy strategy = e.settings().strategy();
    return strategy.hierarchy(round, strategy.clusteringFeatures(models), previous);
  }

  static List<float[]> models(int round) {
    List<float[]> out = new ArrayList<>();
    for (int a = 0; a < AGENTS.size(); a++) {
      out.add(model(a, round));
    }
    return out;
  }

  @Test
  void fedAvgPublishesItsFlatTreeBeforeRoundZeroUnlessItAlreadyDid() {
    Experiment e = experiment(Algorithm.FEDAVG, Experiment.defaultPolicy());
    List<HierarchyVersion> first = decisions(e).on(new ClusteringDecisions.RecoveryDone());
    assertThat(first).hasSize(1);
    assertThat(first.get(0).tree().topDown())
        .extracting(Hierarchy.Group::id)
        .containsExactly(Hierarchy.ROOT);

    ClusteringDecisions restarted = decisions(e);
    restarted.on(
        new ClusteringDecisions.Published(
            Hierarchies.toRecord(e.id(), first.get(0), AGENTS, e.settings(), 0)));
    assertThat(restarted.on(new ClusteringDecisions.RecoveryDone())).isEmpty();
    assertThat(read(restarted, e, 0, 0, 1, 2, 3)).as("FedAvg never re-clusters").isEmpty();
  }

  @Test
  void aRoundIsClusteredOnceEveryAgentHasReportedAsTheSimulatorWould() {
    Experiment e = experiment(Algorithm.DEMLEARN_P, Experiment.defaultPolicy());
    ClusteringDecisions d = decisions(e);
    assertThat(d.on(new ClusteringDecisions.RecoveryDone()))
        .as("DemLearn has no tree before round 0")
        .isEmpty();
    assertThat(read(d, e, 0, 3, 1, 0)).isEmpty();
    List<HierarchyVersion> v0 = read(d, e, 0, 2);
    HierarchyVersion want0 = expected(e, 0, models(0), null);
    assertThat(v0).hasSize(1);
    assertThat(v0.get(0).version()).isZero();
    assertThat(v0.get(0).effectiveFromRound()).isZero();
    assertThat(v0.get(0).dendrogram()).isEqualTo(want0.dendrogram());
    assertThat(v0.get(0).tree().topDown()).isEqualTo(want0.tree().topDown());

    List<HierarchyVersion> v1 = read(d, e, 1, 0, 1, 2, 3);
    assertThat(v1)
        .extracting(HierarchyVersion::version, HierarchyVersion::effectiveFromRound)
        .containsExactly(Tuple.tuple(1, 1));
    assertThat(v1.get(0).dendrogram()).isEqualTo(expected(e, 1, models(1), v0.get(0)).dendrogram());
  }

  @Test
  void publishedFeaturesOfSampledUpdatesClusterAsTheSimulatorWould() {
    int n = 150;
    List<String> ids = new ArrayList<>();
    for (int a = 0; a < n; a++) {
      ids.add(String.format("agent-%03d", a));
    }
    Experiment e =
        new Experiment(
            "projected",
            ExperimentSettings.builder()
                .dataset("synthetic")
                .agents(n)
                .rounds(2)
                .levels(2)
                .threads(1)
                .clusterDims(16)
                .sampleFraction(0.6)
                .build(),
            ids,
            Experiment.defaultPolicy());
    Participation p = e.settings().participation();
    ClusteringDecisions d = decisions(e);
    d.on(new ClusteringDecisions.RecoveryDone());
    float[] initial =
        Simulator.initialModel(Model.of(e.settings().architecture()), e.settings().seed());
    List<float[]> latest = new ArrayList<>();
    for (int a = 0; a < n; a++) {
      latest.add(initial);
    }
    int[] sampled = p.of(0);
    List<HierarchyVersion> decided = List.of();
    for (int i = sampled.length - 1; i >= 0; i--) { // in an order of their own
      int a = sampled[i];
      float[] model = new float[DIM];
      java.util.SplittableRandom r = new java.util.SplittableRandom(a);
      for (int k = 0; k < DIM; k++) {
        model[k] = (float) r.nextGaussian() * (a % 3 + 1);
      }
      latest.set(a, model);
      // as the agent's worker publishes them; a record of the wrong size is skipped
      float[] features = e.settings().strategy().clusteringFeatures(List.of(model)).get(0);
      ClusteringFeatures wrong = Features.of(e.id(), ids.get(a), 0, -1, new float[8]);
      assertThat(d.on(new ClusteringDecisions.FeaturesRead(ids.get(a), wrong))).isEmpty();
      ClusteringFeatures f = Features.of(e.id(), ids.get(a), 0, -1, features);
      assertThat(d.on(new ClusteringDecisions.FeaturesRead(ids.get(a), f))).isEmpty();
      decided = d.on(new ClusteringDecisions.Tick());
      assertThat(decided)
          .as("after %d of %d", sampled.length - i, sampled.length)
          .hasSize(i == 0 ? 1 : 0);
    }
    // the agents left out of the round are placed by the initial model
    assertThat(decided.get(0).dendrogram()).isEqualTo(expected(e, 0, latest, null).dendrogram());
  }

  @Test
  void restartedItCarriesOnFromTheLastVersionItPublished() {
    Experiment e = experiment(Algorithm.DEMLEARN_P, Experiment.defaultPolicy());
    HierarchyVersion v0 = expected(e, 0, models(0), null);
    ClusteringDecisions d = decisions(e);
    d.on(
        new ClusteringDecisions.Published(
            Hierarchies.toRecord(e.id(), v0, AGENTS, e.settings(), 0)));
    d.on(new ClusteringDecisions.Published(null)); // an unreadable record is skipped
    assertThat(d.on(new ClusteringDecisions.RecoveryDone())).isEmpty();
    assertThat(read(d, e, 0, 0, 1, 2, 3)).as("round 0 was decided before the restart").isEmpty();
    assertThat(read(d, e, 1, 0, 1, 2, 3)).extracting(HierarchyVersion::version).containsExactly(1);
  }

  @Test
  void duplicateConflictingAndRefusedUpdatesDoNotChangeTheDecision() {
    Experiment e = experiment(Algorithm.DEMLEARN_P, Experiment.defaultPolicy());
    ClusteringDecisions d = decisions(e);
    read(d, e, 0, 0, 1, 2);
    ModelUpdate conflicting = update(e, 0, 0);
    conflicting.setParameters(ParameterVectors.of(ModelKind.MLR, model(3, 0)));
    d.on(new ClusteringDecisions.UpdateRead(AGENTS.get(0), conflicting));
    ModelUpdate wrongKey = update(e, 3, 0);
    d.on(new ClusteringDecisions.UpdateRead(AGENTS.get(1), wrongKey)); // the key is not the agent
    assertThat(d.on(new ClusteringDecisions.Tick())).isEmpty();
    assertThat(read(d, e, 1, 3)).as("agent 3 skips round 0: not counted").isEmpty();
    List<HierarchyVersion> v0 = read(d, e, 0, 3);
    assertThat(v0).hasSize(1);
    assertThat(v0.get(0).dendrogram()).isEqualTo(expected(e, 0, models(0), null).dendrogram());
  }

  @Test
  void underAStragglerPolicyARoundIsClusteredAfterTheTimeoutWithTheMissingAgentsEarlierModels() {
    Experiment e = experiment(Algorithm.DEMLEARN_P, Experiment.policy(1e6, 1_000, 0.75));
    ClusteringDecisions d = decisions(e);
    float[] initial =
        Simulator.initialModel(Model.of(e.settings().architecture()), e.settings().seed());
    assertThat(read(d, e, 0, 0, 1, 2)).isEmpty();
    now.addAndGet(999);
    assertThat(d.on(new ClusteringDecisions.Tick())).as("before the timeout").isEmpty();
    now.addAndGet(1);
    List<HierarchyVersion> v0 = d.on(new ClusteringDecisions.Tick());
    List<float[]> placed = models(0);
    placed.set(3, initial); // agent 3 had not reported yet: placed by the initial model
    assertThat(v0).hasSize(1);
    assertThat(v0.get(0).dendrogram()).isEqualTo(expected(e, 0, placed, null).dendrogram());

    assertThat(read(d, e, 0, 3)).as("agent 3's late update decides nothing").isEmpty();
    assertThat(read(d, e, 1, 0, 1, 2)).isEmpty();
    now.addAndGet(1_000);
    List<HierarchyVersion> v1 = d.on(new ClusteringDecisions.Tick());
    List<float[]> later = models(1);
    later.set(3, model(3, 0)); // now placed by its latest model, of round 0
    assertThat(v1).hasSize(1);
    assertThat(v1.get(0).dendrogram()).isEqualTo(expected(e, 1, later, v0.get(0)).dendrogram());
  }

  @Test
  void belowTheQuorumARoundWaitsWhateverTheTime() {
    Experiment e = experiment(Algorithm.DEMLEARN_P, Experiment.policy(1e6, 1_000, 0.75));
    ClusteringDecisions d = decisions(e);
    read(d, e, 0, 0, 1);
    now.addAndGet(60_000);
    assertThat(d.on(new ClusteringDecisions.Tick())).isEmpty();
    assertThat(read(d, e, 0, 2)).as("the quorum is reached and the timeout long past").hasSize(1);
  }

  @Test
  void anAgentCatchingUpAfterARoundClosedWithoutItCountsAgain() {
    Experiment e = experiment(Algorithm.DEMLEARN_P, Experiment.policy(1e6, 1_000, 0.75));
    for (boolean closed : new boolean[] {true, false}) {
      ClusteringDecisions d = new ClusteringDecisions(e, now::get, r -> closed && r == 1);
      read(d, e, 0, 0, 1, 2, 3);
      HierarchyVersion v0 = expected(e, 0, models(0), null);
      read(d, e, 1, 0, 1, 2);
      now.addAndGet(1_000);
      HierarchyVersion v1 = d.on(new ClusteringDecisions.Tick()).get(0);
      List<float[]> withoutAgent3 = models(1);
      withoutAgent3.set(3, model(3, 0));
      assertThat(v1.dendrogram()).isEqualTo(expected(e, 1, withoutAgent3, v0).dendrogram());

      // agent 3 was late in round 1 (closed without it) and goes on with round 2
      List<HierarchyVersion> v2 = read(d, e, 2, 3, 0, 1, 2);
      if (closed) {
        assertThat(v2).as("every agent reported round 2: decided at once").hasSize(1);
        assertThat(v2.get(0).dendrogram()).isEqualTo(expected(e, 2, models(2), v1).dendrogram());
      } else {
        assertThat(v2).as("round 1 not closed: agent 3 may not skip it").isEmpty();
      }
    }
  }
}
