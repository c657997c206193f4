package io.demlearn.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.demlearn.core.cluster.Dendrogram;
import io.demlearn.core.cluster.Hierarchy;
import io.demlearn.core.data.AgentData;
import io.demlearn.core.experiment.Algorithm;
import io.demlearn.core.experiment.ExperimentData;
import io.demlearn.core.experiment.ExperimentSettings;
import io.demlearn.core.metrics.Evaluator;
import io.demlearn.core.model.Model;
import io.demlearn.core.strategy.HierarchyVersion;
import io.demlearn.core.strategy.Strategy;
import io.demlearn.pipeline.records.Experiment;
import io.demlearn.pipeline.records.Hierarchies;
import io.demlearn.schemas.ParameterVectors;
import io.demlearn.schemas.avro.AgentEvaluation;
import io.demlearn.schemas.avro.GroupModel;
import io.demlearn.schemas.avro.HierarchyAssignment;
import io.demlearn.schemas.avro.ModelKind;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Each round's metrics from group models and hierarchy versions read in any order, without Kafka.
 */
class RoundMetricsAssemblerTest {
  static final int DIM = 7850;
  final ExperimentSettings settings =
      ExperimentSettings.builder()
          .algorithm(Algorithm.DEMLEARN_P)
          .dataset("synthetic")
          .agents(4)
          .rounds(3)
          .levels(2)
          .threads(1)
          .build();
  final List<AgentData> data = ExperimentData.load(settings).agents();
  final Experiment experiment =
      new Experiment(
          "assembler-test",
          settings,
          data.stream().map(AgentData::id).toList(),
          Experiment.defaultPolicy());
  final Model model = Model.of(settings.architecture());
  final Evaluator evaluator = new Evaluator(model, data, null, 1);
  final float[] initial = model.initialParameters(new SplittableRandom(3));
  final AtomicLong nanos = new AtomicLong();

  /** Agents 0 and 1 under one group, 2 and 3 under the other. */
  final Dendrogram dendrogram =
      new Dendrogram(
          4,
          List.of(
              new Dendrogram.Merge(0, 1, 1.0, 2),
              new Dendrogram.Merge(2, 3, 1.5, 2),
              new Dendrogram.Merge(4, 5, 3.0, 4)));

  RoundMetricsAssembler assembler() {
    return new RoundMetricsAssembler(experiment, evaluator, initial, nanos::get);
  }

  HierarchyVersion version(int round) {
    return new HierarchyVersion(Hierarchy.fromDendrogram(dendrogram, 2), dendrogram, round, round);
  }

  HierarchyAssignment hierarchy(int round) {
    return Hierarchies.toRecord(
        experiment.id(), version(round), experiment.agentIds(), settings, 1000L * round);
  }

  /** A group's model in a round: random parameters of its own. */
  static float[] parameters(int round, String group) {
    SplittableRandom random = new SplittableRandom(31L * round + group.hashCode());
    float[] p = new float[DIM];
    for (int k = 0; k < DIM; k++) {
      p[k] = (float) random.nextGaussian() * 0.1f;
    }
    return p;
  }

  /** Agent a's own evaluation in a round: a + 1 right of 10 on its own data, a of 100 on all. */
  static AgentEvaluation evaluation(int agent) {
    return AgentEvaluation.newBuilder()
        .setOwnCorrect(agent + 1)
        .setOwnTotal(10)
        .setAllCorrect(agent)
        .setAllTotal(100)
        .build();
  }

  List<GroupModel> groupModels(int round) {
    Hierarchy tree = version(round).tree();
    List<GroupModel> out = new ArrayList<>();
    for (Hierarchy.Group g : tree.topDown()) {
      Map<String, AgentEvaluation> evaluations = new HashMap<>();
      g.agents().forEach(a -> evaluations.put(experiment.agentIds().get(a), evaluation(a)));
      out.add(
          GroupModel.newBuilder()
              .setExperimentId(experiment.id())
              .setRound(round)
              .setHierarchyVersion(round)
              .setGroupId(g.id())
              .setLevel(g.level())
              .setMemberIds(List.of())
              .setExpectedMembers(0)
              .setAgentCount(g.agentCount())
              .setSampleCount(0)
              .setAmplify(1.0)
              .setParameters(ParameterVectors.of(ModelKind.MLR, parameters(round, g.id())))
              .setMemberEvaluations(evaluations)
              .setGroupsInRound(tree.topDown().size())
              .setProducedAtMs(1000L * round + 500)
              .build());
    }
    return out;
  }

  @Test
  void roundsComeOutInOrderOnceTheirGroupModelsAndThoseOfTheRoundBeforeAreIn() {
    RoundMetricsAssembler a = assembler();
    // round 1 arrives before round 0, and the hierarchies after the group models
    groupModels(1).forEach(g -> a.groupModel(g, 100));
    a.hierarchy(hierarchy(1), 10);
    assertThat(a.complete()).as("round 0 is missing").isEmpty();
    List<GroupModel> round0 = groupModels(0);
    round0.subList(0, round0.size() - 1).forEach(g -> a.groupModel(g, 100));
    a.hierarchy(hierarchy(0), 10);
    assertThat(a.complete()).as("round 0 still misses a group model").isEmpty();
    nanos.set(2_500_000_000L);
    a.groupModel(round0.get(round0.size() - 1), 100);
    List<RoundMetricsAssembler.Round> out = a.complete();
    assertThat(out).extracting(r -> r.metrics().round()).containsExactly(0, 1);
    assertThat(a.roundsDone()).isEqualTo(2);
    assertThat(out.get(0).seconds()).isEqualTo(2.5);
    assertThat(out.get(1).timings())
        .containsEntry("trainAndCluster", 0.5)
        .containsEntry("round", 1.0);
    // a group model read again counts once: no round comes out twice
    a.groupModel(groupModels(1).get(0), 100);
    assertThat(a.complete()).isEmpty();
    assertThat(a.latestVersion().version()).isEqualTo(1);
  }

  @Test
  void agentMetricsComeFromTheirOwnEvaluationsAndGroupMetricsFromTheRoundBefore() {
    RoundMetricsAssembler a = assembler();
    a.hierarchy(hierarchy(0), 10);
    a.hierarchy(hierarchy(1), 10);
    groupModels(0).forEach(g -> a.groupModel(g, 100));
    groupModels(1).forEach(g -> a.groupModel(g, 100));
    List<RoundMetricsAssembler.Round> out = a.complete();
    assertThat(out).hasSize(2);
    var round0 = out.get(0).metrics();
    assertThat(round0.cSpe()).isEqualTo((1 + 2 + 3 + 4) / 40.0);
    assertThat(round0.cGen()).isEqualTo((0 + 1 + 2 + 3) / 100.0 / 4);
    assertThat(round0.gSpe()).as("DemLearn has no groups before round 0").isEmpty();
    assertThat(round0.global()).isNull();

    var round1 = out.get(1).metrics();
    Strategy strategy = settings.strategy();
    Hierarchy tree = version(0).tree();
    Map<String, float[]> raw = new HashMap<>();
    tree.topDown().forEach(g -> raw.put(g.id(), parameters(0, g.id())));
    Evaluator.GroupScores want =
        evaluator.groups(tree, strategy.generalise(tree, raw, null), raw.get(Hierarchy.ROOT));
    assertThat(round1.hierarchyVersion()).isZero();
    assertThat(round1.gSpe()).isEqualTo(want.gSpe()).hasSize(3);
    assertThat(round1.gGen()).isEqualTo(want.gGen());
    assertThat(round1.global()).isEqualTo(want.global());
    assertThat(round1.groupMembers()).containsEntry(Hierarchy.ROOT, 4);
  }

  @Test
  void aHierarchyThatConflictsWithTheFirstOneReadForItsRoundIsSkipped() {
    RoundMetricsAssembler a = assembler();
    a.hierarchy(hierarchy(0), 10);
    HierarchyAssignment other = hierarchy(0);
    other.setVersion(9);
    a.hierarchy(other, 10);
    groupModels(0).forEach(g -> a.groupModel(g, 100));
    assertThat(a.complete()).hasSize(1);
    assertThat(a.latestVersion().version()).isZero();
    GroupModel foreign = groupModels(1).get(0);
    foreign.setExperimentId("another");
    a.groupModel(foreign, 100);
    a.groupModel(null, 100); // an unreadable record
    assertThat(a.complete()).isEmpty();
    assertThat(a.roundsDone()).as("round 0 needs only its own group models").isEqualTo(1);
  }

  @Test
  void aRoundsTrafficIsTheSizeOfItsRecordsByHopAndLevel() {
    RoundMetricsAssembler a = assembler();
    HierarchyAssignment clustered = hierarchy(0);
    clustered.setCreatedAtMs(400); // clustered from round 0's models, after the last of them
    a.hierarchy(clustered, 10);
    // round 0: four updates of 1000 bytes, the last at 300 ms, features of 50 bytes each
    for (int agent = 0; agent < 4; agent++) {
      String id = experiment.agentIds().get(agent);
      a.update(id, 0, 1000, 100L * agent);
      a.features(id, 0, 50, 100L * agent + 10);
    }
    a.update(experiment.agentIds().get(0), 1, 999, 2000); // the next round's: not this one's
    a.contribution(1, 0, 700);
    a.contribution(1, 0, 300);
    a.contribution(2, 0, 200);
    a.contribution(3, 0, 150);
    assertThat(a.awaitsFeatures(0)).isFalse();
    List<GroupModel> models = groupModels(0);
    models.forEach(g -> a.groupModel(g, 100 + g.getLevel()));
    a.groupModel(models.get(0), 100); // read twice: counts once
    assertThat(a.ready()).isTrue();
    RoundMetricsAssembler.Round round0 = a.next();
    var t = round0.traffic();
    Hierarchy tree = version(0).tree();
    assertThat(t.updates()).isEqualTo(4000);
    assertThat(t.features()).isEqualTo(200);
    assertThat(t.hierarchy()).isEqualTo(10);
    assertThat(t.sums()).containsExactly(1000L, 200L, 150L);
    List<Long> byLevel = new ArrayList<>();
    long toAgents = 0;
    for (int level = 1; level <= tree.topLevel(); level++) {
      byLevel.add((long) (100 + level) * tree.atLevel(level).size());
    }
    for (Hierarchy.Group g : tree.topDown()) {
      toAgents += (100L + g.level()) * g.agentCount();
    }
    assertThat(t.groupModels()).isEqualTo(byLevel);
    assertThat(t.toAgents()).isEqualTo(toAgents).isPositive();
    assertThat(t.written())
        .isEqualTo(4000 + 200 + 10 + 1000 + 200 + 150 + byLevel.stream().mapToLong(x -> x).sum());
    // every group model of round 0 is produced at 500 ms: the lowest level's 0.2 s after the last
    // update (300 ms), the levels above at once
    int lowest = tree.bottomUp().get(0).level();
    assertThat(round0.timings())
        .containsEntry("aggregate", 0.2)
        .containsEntry("aggregate-" + lowest, 0.2)
        .containsEntry("aggregate-" + tree.topLevel(), 0.0)
        .containsEntry("cluster", experiment.clustersPublishedFeatures() ? 0.09 : 0.1);
  }

  @Test
  void aRoundAwaitsTheFeaturesOfTheAgentsWhoseUpdatesWereRead() {
    RoundMetricsAssembler a = assembler();
    a.update(experiment.agentIds().get(0), 0, 10, 0);
    assertThat(a.awaitsFeatures(0)).isEqualTo(experiment.clustersPublishedFeatures());
    a.features(experiment.agentIds().get(0), 0, 5, 0);
    assertThat(a.awaitsFeatures(0)).isFalse();
  }
}
