package io.demlearn.aggregator;

import static org.assertj.core.api.Assertions.assertThat;

import io.demlearn.core.aggregate.Weighting;
import io.demlearn.core.cluster.Dendrogram;
import io.demlearn.core.cluster.Hierarchy;
import io.demlearn.core.cluster.Linkage;
import io.demlearn.core.cluster.Metric;
import io.demlearn.core.model.ModelKind;
import io.demlearn.core.sim.Algorithm;
import io.demlearn.core.sim.ExperimentSettings;
import io.demlearn.core.sim.HierarchyVersion;
import io.demlearn.schemas.ParameterVectors;
import io.demlearn.schemas.avro.GroupModel;
import io.demlearn.schemas.avro.HierarchyAssignment;
import io.demlearn.schemas.avro.ModelUpdate;
import io.demlearn.schemas.convert.ExperimentSpecs;
import io.demlearn.schemas.convert.Hierarchies;
import io.demlearn.schemas.registry.InMemorySchemaRegistry;
import io.demlearn.schemas.registry.SchemaRegistryConfig;
import io.demlearn.schemas.serde.AvroSerdes;
import io.demlearn.schemas.topics.ExperimentTopics;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The aggregator's topology on Kafka Streams' test driver, with an in-memory schema registry. */
class AggregatorTopologyTest {
  static final String EXP = "agg-test";
  private final String scope = "agg-" + UUID.randomUUID();
  private final AvroSerdes serdes = new AvroSerdes(Map.of(SchemaRegistryConfig.URL, "mock://" + scope));
  private ExperimentTopics topics = ExperimentTopics.of(EXP);
  private final List<TopologyTestDriver> drivers = new ArrayList<>();
  static final List<String> AGENTS = List.of("agent-000", "agent-001", "agent-002", "agent-003");

  @AfterEach
  void close() {
    drivers.forEach(TopologyTestDriver::close);
    InMemorySchemaRegistry.dropScope(scope);
  }

  static ExperimentSettings settings(int agents, int rounds, int reclusterEvery, double amplify) {
    return new ExperimentSettings(Algorithm.DEMLEARN_P, ModelKind.MLR, "synthetic", null, null, agents, rounds, 1,
        0.05, 10, 2, 0.002, 0.7, 2, reclusterEvery, amplify, 5, Metric.EUCLIDEAN, Linkage.AVERAGE, Weighting.AGENTS, 1);
  }

  final class Harness {
    final TopologyTestDriver driver;
    final TestInputTopic<String, ModelUpdate> updates;
    final TestInputTopic<String, HierarchyAssignment> hierarchies;
    final TestOutputTopic<String, GroupModel> out;
    final ExperimentSettings settings;

    Harness(ExperimentSettings settings) throws Exception {
      this.settings = settings;
      Properties props = AggregatorTopology.streamsConfig(EXP, Map.of("bootstrap.servers", "unused:9092"),
          Files.createTempDirectory("agg-state").toString());
      driver = new TopologyTestDriver(AggregatorTopology.build(new AggregatorTopology.Config(EXP, topics, settings, serdes)), props);
      drivers.add(driver);
      updates = driver.createInputTopic(topics.modelUpdates().name(), Serdes.String().serializer(),
          serdes.valueSerde(ModelUpdate.class).serializer());
      hierarchies = driver.createInputTopic(topics.hierarchyAssignments().name(), Serdes.String().serializer(),
          serdes.valueSerde(HierarchyAssignment.class).serializer());
      out = driver.createOutputTopic(topics.groupModels().name(), Serdes.String().deserializer(),
          serdes.valueSerde(GroupModel.class).deserializer());
    }

    void hierarchy(HierarchyVersion hv, List<String> agents) {
      hierarchies.pipeInput(ExperimentTopics.hierarchyKey(hv.version()), Hierarchies.toRecord(EXP, hv, agents, settings, 0));
    }

    void update(String agent, int round, float[] params, int samples) {
      updates.pipeInput(agent, ModelUpdate.newBuilder().setExperimentId(EXP).setRound(round).setHierarchyVersion(0)
          .setAgentId(agent).setTrainSamples(samples).setParameters(ParameterVectors.of(
              io.demlearn.schemas.avro.ModelKind.MLR, params)).setTrainLoss(null).setProducedAtMs(0).build());
    }

    Map<String, GroupModel> read() {
      Map<String, GroupModel> m = new LinkedHashMap<>();
      out.readKeyValuesToList().forEach(kv -> m.put(kv.key, kv.value));
      return m;
    }
  }

  /** ((0,1),(2,3)) under K = 2: root -> L2-c4 {0,1}, L2-c5 {2,3}. */
  static HierarchyVersion twoPairs(int version, int effective) {
    Dendrogram d = new Dendrogram(4, List.of(new Dendrogram.Merge(0, 1, 1, 2), new Dendrogram.Merge(2, 3, 2, 2),
        new Dendrogram.Merge(4, 5, 3, 4)));
    return new HierarchyVersion(Hierarchy.fromDendrogram(d, 2), d, version, effective);
  }

  /** ((0,2),(1,3)), K = 2. */
  static HierarchyVersion crossedPairs(int version, int effective) {
    Dendrogram d = new Dendrogram(4, List.of(new Dendrogram.Merge(0, 2, 1, 2), new Dendrogram.Merge(1, 3, 2, 2),
        new Dendrogram.Merge(4, 5, 3, 4)));
    return new HierarchyVersion(Hierarchy.fromDendrogram(d, 2), d, version, effective);
  }

  static float[] v(float... x) {
    return x;
  }

  @Test
  void aRoundClosesWhenItsLastMemberArrivesAndEveryLevelIsAveraged() throws Exception {
    Harness h = new Harness(settings(4, 3, 1, 1.0));
    h.hierarchy(twoPairs(0, 0), AGENTS);
    h.update("agent-000", 0, v(1, 10), 5);
    h.update("agent-001", 0, v(3, 30), 5);
    h.update("agent-002", 0, v(5, 50), 5);
    assertThat(h.read()).as("nothing before the last member").isEmpty();
    h.update("agent-003", 0, v(9, 90), 7);
    Map<String, GroupModel> g = h.read();
    assertThat(g.keySet()).containsExactly("root", "L2-c4", "L2-c5");
    assertThat(ParameterVectors.toFloats(g.get("L2-c4").getParameters())).containsExactly(2f, 20f);
    assertThat(ParameterVectors.toFloats(g.get("L2-c5").getParameters())).containsExactly(7f, 70f);
    assertThat(ParameterVectors.toFloats(g.get("root").getParameters())).containsExactly(4.5f, 45f);
    GroupModel root = g.get("root");
    assertThat(root.getRound()).isZero();
    assertThat(root.getLevel()).isEqualTo(3);
    assertThat(root.getMemberIds()).containsExactly("L2-c4", "L2-c5");
    assertThat(root.getExpectedMembers()).isEqualTo(2);
    assertThat(root.getAgentCount()).isEqualTo(4);
    assertThat(root.getSampleCount()).isEqualTo(22);
    assertThat(g.get("L2-c4").getMemberIds()).containsExactly("agent-000", "agent-001");

    // a member of a closed round arriving late is not averaged again
    h.update("agent-000", 0, v(100, 100), 5);
    assertThat(h.read()).isEmpty();
  }

  @Test
  void aDuplicateMemberCountsOnceAndArrivalOrderDoesNotMatter() throws Exception {
    Harness a = new Harness(settings(4, 3, 1, 1.15));
    a.hierarchy(twoPairs(0, 0), AGENTS);
    float[][] p = {v(0.1f, 1.7f), v(0.3f, -2.9f), v(5.5f, 0.01f), v(-9.25f, 3.3f)};
    for (int i = 0; i < 4; i++) {
      a.update(AGENTS.get(i), 0, p[i], 3 + i);
    }
    Harness b = new Harness(settings(4, 3, 1, 1.15));
    b.update(AGENTS.get(3), 0, p[3], 6);
    b.update(AGENTS.get(1), 0, p[1], 4);
    b.update(AGENTS.get(1), 0, v(42, 42), 4); // the same agent again, with something else: ignored
    b.update(AGENTS.get(2), 0, p[2], 5);
    b.update(AGENTS.get(0), 0, p[0], 3);
    b.hierarchy(twoPairs(0, 0), AGENTS);      // the hierarchy last
    Map<String, GroupModel> ga = a.read();
    Map<String, GroupModel> gb = b.read();
    assertThat(gb.keySet()).isEqualTo(ga.keySet());
    for (String g : ga.keySet()) {
      assertThat(ParameterVectors.toFloats(gb.get(g).getParameters())).as(g)
          .containsExactly(ParameterVectors.toFloats(ga.get(g).getParameters()));
      assertThat(gb.get(g).getAmplify()).isEqualTo(1.15);
    }
  }

  @Test
  void aHierarchyChangeBetweenRoundsAppliesFromItsRound() throws Exception {
    Harness h = new Harness(settings(4, 3, 1, 1.0));
    h.hierarchy(twoPairs(0, 0), AGENTS);
    for (int i = 0; i < 4; i++) {
      h.update(AGENTS.get(i), 0, v(i), 1);
    }
    assertThat(h.read()).containsKeys("L2-c4", "L2-c5");
    for (int i = 0; i < 4; i++) {
      h.update(AGENTS.get(i), 1, v(10 * i), 1);
    }
    assertThat(h.read()).as("round 1 waits for the version rebuilt in round 1").isEmpty();
    h.hierarchy(crossedPairs(1, 1), AGENTS);
    Map<String, GroupModel> g = h.read();
    assertThat(g.get("L2-c4").getMemberIds()).containsExactly("agent-000", "agent-002");
    assertThat(ParameterVectors.toFloats(g.get("L2-c4").getParameters())).containsExactly(10f);
    assertThat(g.get("root").getHierarchyVersion()).isEqualTo(1);
    assertThat(g.get("root").getRound()).isEqualTo(1);
  }

  @Test
  void withoutReclusteringTheLastVersionCarriesOver() throws Exception {
    Harness h = new Harness(settings(4, 3, 2, 1.0));
    h.hierarchy(twoPairs(0, 0), AGENTS);
    for (int round = 0; round < 2; round++) {
      for (int i = 0; i < 4; i++) {
        h.update(AGENTS.get(i), round, v(i + round), 1);
      }
    }
    List<GroupModel> all = new ArrayList<>(h.out.readValuesToList());
    assertThat(all).hasSize(6);
    assertThat(all.get(3).getRound()).isEqualTo(1);
    assertThat(all.get(3).getHierarchyVersion()).isZero();
  }

  @Test
  void aGroupOfOne() throws Exception {
    Harness h = new Harness(settings(1, 2, 1, 1.0));
    Dendrogram d = new Dendrogram(1, List.of());
    h.hierarchy(new HierarchyVersion(Hierarchy.fromDendrogram(d, 2), d, 0, 0), List.of("solo"));
    h.update("solo", 0, v(2.5f, -1f), 3);
    Map<String, GroupModel> g = h.read();
    assertThat(g.keySet()).containsExactly("root");
    assertThat(g.get("root").getMemberIds()).containsExactly("solo");
    assertThat(ParameterVectors.toFloats(g.get("root").getParameters())).containsExactly(2.5f, -1f);
  }

  @Test
  void withOnePartitionTheTopologyReadsItsInputsDirectlyAndGivesTheSameModels() throws Exception {
    Harness viaRepartition = new Harness(settings(4, 3, 1, 1.0));
    topics = new ExperimentTopics(EXP, 1, (short) -1, ExperimentTopics.DEFAULT_MAX_MESSAGE_BYTES);
    Harness direct = new Harness(settings(4, 3, 1, 1.0));
    assertThat(direct.driver.producedTopicNames()).noneMatch(t -> t.contains("repartition"));
    for (Harness h : List.of(viaRepartition, direct)) {
      h.hierarchy(twoPairs(0, 0), AGENTS);
      for (int i = 0; i < 4; i++) {
        h.update(AGENTS.get(i), 0, v(i * 1.5f, -i), 2 + i);
      }
    }
    Map<String, GroupModel> a = viaRepartition.read();
    Map<String, GroupModel> b = direct.read();
    assertThat(b.keySet()).isEqualTo(a.keySet()).hasSize(3);
    for (String g : a.keySet()) {
      assertThat(b.get(g)).isEqualTo(GroupModel.newBuilder(a.get(g)).setProducedAtMs(b.get(g).getProducedAtMs()).build());
    }
  }

  @Test
  void groupModelsCarryTheirAgentsEvaluations() throws Exception {
    Harness h = new Harness(settings(4, 3, 1, 1.0));
    h.hierarchy(twoPairs(0, 0), AGENTS);
    for (int i = 0; i < 4; i++) {
      h.updates.pipeInput(AGENTS.get(i), ModelUpdate.newBuilder().setExperimentId(EXP).setRound(0).setHierarchyVersion(-1)
          .setAgentId(AGENTS.get(i)).setTrainSamples(1).setParameters(ParameterVectors.of(
              io.demlearn.schemas.avro.ModelKind.MLR, v(i))).setTrainLoss(null).setProducedAtMs(0)
          .setEvaluation(io.demlearn.schemas.avro.AgentEvaluation.newBuilder().setOwnCorrect(i).setOwnTotal(10)
              .setAllCorrect(2 * i).setAllTotal(40).build()).build());
    }
    Map<String, GroupModel> g = h.read();
    assertThat(g.get("L2-c4").getMemberEvaluations()).containsOnlyKeys("agent-000", "agent-001");
    assertThat(g.get("L2-c5").getMemberEvaluations().get("agent-003").getAllCorrect()).isEqualTo(6);
    assertThat(g.get("root").getMemberEvaluations()).isEmpty();
  }

  @Test
  void updatesOfAnotherExperimentAreIgnored() throws Exception {
    Harness h = new Harness(settings(1, 2, 1, 1.0));
    Dendrogram d = new Dendrogram(1, List.of());
    h.hierarchy(new HierarchyVersion(Hierarchy.fromDendrogram(d, 2), d, 0, 0), List.of("solo"));
    h.updates.pipeInput("solo", ModelUpdate.newBuilder().setExperimentId("other").setRound(0).setHierarchyVersion(0)
        .setAgentId("solo").setTrainSamples(1).setParameters(ParameterVectors.of(io.demlearn.schemas.avro.ModelKind.MLR,
            v(1))).setTrainLoss(null).setProducedAtMs(0).build());
    assertThat(h.read()).isEmpty();
  }
}
