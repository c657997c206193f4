package io.demlearn.aggregator;

import static org.assertj.core.api.Assertions.assertThat;

import io.demlearn.core.cluster.Dendrogram;
import io.demlearn.core.cluster.Hierarchy;
import io.demlearn.core.experiment.Algorithm;
import io.demlearn.core.experiment.ExperimentSettings;
import io.demlearn.core.model.Architecture;
import io.demlearn.core.model.ModelKind;
import io.demlearn.core.strategy.HierarchyVersion;
import io.demlearn.pipeline.records.Experiment;
import io.demlearn.pipeline.records.Hierarchies;
import io.demlearn.schemas.ParameterVectors;
import io.demlearn.schemas.avro.AgentEvaluation;
import io.demlearn.schemas.avro.DeadLetter;
import io.demlearn.schemas.avro.DeadLetterReason;
import io.demlearn.schemas.avro.GroupContribution;
import io.demlearn.schemas.avro.GroupModel;
import io.demlearn.schemas.avro.HierarchyAssignment;
import io.demlearn.schemas.avro.LinkageRow;
import io.demlearn.schemas.avro.ModelUpdate;
import io.demlearn.schemas.avro.PipelinePolicy;
import io.demlearn.schemas.avro.RouteStep;
import io.demlearn.schemas.registry.InMemorySchemaRegistry;
import io.demlearn.schemas.registry.SchemaRegistryConfig;
import io.demlearn.schemas.serde.AvroSerdes;
import io.demlearn.schemas.topics.ExperimentTopics;
import io.demlearn.schemas.topics.Replication;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The aggregator's topology on Kafka Streams' test driver, with an in-memory schema registry. */
class AggregatorTopologyTest {
  static final String EXP = "agg-test";
  private final String scope = "agg-" + UUID.randomUUID();
  private final AvroSerdes serdes =
      new AvroSerdes(Map.of(SchemaRegistryConfig.URL, "mock://" + scope));

  /** The test driver reads one partition of each topic. */
  private final ExperimentTopics topics =
      new ExperimentTopics(
          EXP, 1, Replication.CLUSTER_DEFAULT, ExperimentTopics.DEFAULT_MAX_MESSAGE_BYTES);

  private final List<TopologyTestDriver> drivers = new ArrayList<>();
  @TempDir Path stateRoot;
  static final List<String> AGENTS = List.of("agent-000", "agent-001", "agent-002", "agent-003");

  @AfterEach
  void close() {
    drivers.forEach(TopologyTestDriver::close);
    InMemorySchemaRegistry.dropScope(scope);
  }

  static ExperimentSettings settings(int agents, int rounds, int reclusterEvery, double amplify) {
    return ExperimentSettings.builder()
        .algorithm(Algorithm.DEMLEARN_P)
        .dataset("synthetic")
        .agents(agents)
        .rounds(rounds)
        .levels(2)
        .reclusterEvery(reclusterEvery)
        .amplify(amplify)
        .threads(1)
        .build();
  }

  final class Harness {
    final TopologyTestDriver driver;
    final TestInputTopic<byte[], byte[]> rawUpdates;
    final TestInputTopic<String, HierarchyAssignment> hierarchies;
    final TestOutputTopic<String, GroupModel> out;
    final TestOutputTopic<String, DeadLetter> deadLetters;
    final Experiment experiment;

    Harness(ExperimentSettings settings) throws Exception {
      this(settings, AGENTS.subList(0, settings.agents()), Experiment.defaultPolicy());
    }

    Harness(ExperimentSettings settings, List<String> agents, PipelinePolicy policy)
        throws Exception {
      this(settings, agents, policy, null);
    }

    /** With {@code keys}, the keys a signed experiment's tasks check signatures against. */
    Harness(
        ExperimentSettings settings,
        List<String> agents,
        PipelinePolicy policy,
        AggregatorTopology.KeysFactory keys)
        throws Exception {
      this.experiment = new Experiment(EXP, settings, agents, policy);
      AggregatorTopology.Config config =
          new AggregatorTopology.Config(
              experiment,
              topics,
              serdes,
              1,
              experiment.topLevel(),
              (topic, appConfigs) -> new RecordedLog());
      if (keys != null) {
        config = config.withKeys(keys);
      }
      Properties props =
          AggregatorTopology.streamsConfig(
              config,
              Map.of("bootstrap.servers", "unused:9092"),
              Files.createTempDirectory(stateRoot, "agg-state").toString(),
              "1");
      driver = new TopologyTestDriver(AggregatorTopology.build(config), props);
      drivers.add(driver);
      rawUpdates =
          driver.createInputTopic(
              topics.modelUpdates().name(),
              Serdes.ByteArray().serializer(),
              Serdes.ByteArray().serializer());
      hierarchies =
          driver.createInputTopic(
              topics.hierarchyAssignments().name(),
              Serdes.String().serializer(),
              serdes.valueSerde(HierarchyAssignment.class).serializer());
      out =
          driver.createOutputTopic(
              topics.groupModels().name(),
              Serdes.String().deserializer(),
              serdes.valueSerde(GroupModel.class).deserializer());
      deadLetters =
          driver.createOutputTopic(
              topics.deadLetters().name(),
              Serdes.String().deserializer(),
              serdes.valueSerde(DeadLetter.class).deserializer());
    }

    void hierarchy(HierarchyVersion hv, List<String> agents) {
      hierarchies.pipeInput(
          ExperimentTopics.hierarchyKey(hv.version()),
          Hierarchies.toRecord(EXP, hv, agents, experiment.settings(), 0));
    }

    void update(String agent, int round, float[] params, int samples) {
      pipe(agent, builder(agent, round, params, samples).build());
    }

    /** An update, as a worker writes it; kept as the log the aggregator reads back. */
    void pipe(String key, ModelUpdate u) {
      pipeRaw(
          key.getBytes(StandardCharsets.UTF_8),
          serdes
              .valueSerde(ModelUpdate.class)
              .serializer()
              .serialize(topics.modelUpdates().name(), u));
    }

    void pipeRaw(byte[] key, byte[] value) {
      log.add(value);
      rawUpdates.pipeInput(key, value);
    }

    final List<byte[]> log = new ArrayList<>();

    /** The records piped into model-updates, by offset. */
    final class RecordedLog implements UpdateLog {
      @Override
      public void read(
          int partition,
          NavigableSet<Long> offsets,
          java.util.function.BiConsumer<Long, byte[]> each) {
        offsets.forEach(o -> each.accept(o, log.get(o.intValue())));
      }

      @Override
      public void close() {}
    }

    ModelUpdate.Builder builder(String agent, int round, float[] params, int samples) {
      return ModelUpdate.newBuilder()
          .setExperimentId(EXP)
          .setRound(round)
          .setHierarchyVersion(0)
          .setAgentId(agent)
          .setTrainSamples(samples)
          .setParameters(ParameterVectors.of(io.demlearn.schemas.avro.ModelKind.MLR, params))
          .setProducedAtMs(0);
    }

    Map<String, GroupModel> read() {
      Map<String, GroupModel> m = new LinkedHashMap<>();
      out.readKeyValuesToList().forEach(kv -> m.put(kv.key, kv.value));
      return m;
    }

    /** The one dead letter written since the last read: its reason, and words of its detail. */
    void expectOneDeadLetter(DeadLetterReason reason, String detailPart) {
      assertThat(deadLetters.readValuesToList())
          .singleElement()
          .satisfies(
              d -> {
                assertThat(d.getReason()).isEqualTo(reason);
                assertThat(d.getDetail()).contains(detailPart);
              });
    }

    Map<String, Integer> storeSizes() {
      Map<String, Integer> sizes = new LinkedHashMap<>();
      for (String name :
          List.of(
              AggregatorTopology.INTAKE_HIERARCHIES,
              AggregatorTopology.INTAKE_COUNTED,
              AggregatorTopology.INTAKE_PARTIALS,
              AggregatorTopology.INTAKE_ROUNDS,
              AggregatorTopology.GATE_HIERARCHIES,
              AggregatorTopology.LEVEL_GROUPS)) {
        sizes.put(name, store(name).size());
      }
      return sizes;
    }

    <T> List<T> store(String name) {
      List<T> keys = new ArrayList<>();
      KeyValueStore<T, ?> store = driver.getKeyValueStore(name);
      try (var it = store.all()) {
        it.forEachRemaining(kv -> keys.add(kv.key));
      }
      return keys;
    }
  }

  /** ((0,1),(2,3)) under K = 2: root -> L2-c4 {0,1}, L2-c5 {2,3}. */
  static HierarchyVersion twoPairs(int version, int effective) {
    Dendrogram d =
        new Dendrogram(
            4,
            List.of(
                new Dendrogram.Merge(0, 1, 1, 2),
                new Dendrogram.Merge(2, 3, 2, 2),
                new Dendrogram.Merge(4, 5, 3, 4)));
    return new HierarchyVersion(Hierarchy.fromDendrogram(d, 2), d, version, effective);
  }

  /** ((0,2),(1,3)), K = 2. */
  static HierarchyVersion crossedPairs(int version, int effective) {
    Dendrogram d =
        new Dendrogram(
            4,
            List.of(
                new Dendrogram.Merge(0, 2, 1, 2),
                new Dendrogram.Merge(1, 3, 2, 2),
                new Dendrogram.Merge(4, 5, 3, 4)));
    return new HierarchyVersion(Hierarchy.fromDendrogram(d, 2), d, version, effective);
  }

  /** An MLR parameter vector whose first values are {@code x}, the rest 0. */
  static float[] v(float... x) {
    return Arrays.copyOf(x, Architecture.of(ModelKind.MLR).dimension());
  }

  /** The first n values of a group model. */
  static float[] first(GroupModel g, int n) {
    return Arrays.copyOf(ParameterVectors.toFloats(g.getParameters()), n);
  }

  @Test
  void aRoundClosesWhenItsLastMemberArrivesAndEveryLevelIsAveraged() throws Exception {
    Harness h = new Harness(settings(4, 3, 1, 1.0));
    h.hierarchy(twoPairs(0, 0), AGENTS);
    h.update("agent-000", 0, v(1, 10), 5);
    h.update("agent-001", 0, v(3, 30), 5);
    h.update("agent-002", 0, v(5, 50), 5);
    Map<String, GroupModel> g = h.read();
    assertThat(g.keySet())
        .as("a group is written as soon as its members are in")
        .containsExactly("L2-c4");
    h.update("agent-003", 0, v(9, 90), 7);
    g.putAll(h.read());
    assertThat(g.keySet()).containsExactly("L2-c4", "L2-c5", "root");
    assertThat(first(g.get("L2-c4"), 2)).containsExactly(2f, 20f);
    assertThat(first(g.get("L2-c5"), 2)).containsExactly(7f, 70f);
    assertThat(first(g.get("root"), 2)).containsExactly(4.5f, 45f);
    GroupModel root = g.get("root");
    assertThat(root.getRound()).isZero();
    assertThat(root.getLevel()).isEqualTo(3);
    assertThat(root.getMemberIds()).containsExactly("L2-c4", "L2-c5");
    assertThat(root.getExpectedMembers()).isEqualTo(2);
    assertThat(root.getAgentCount()).isEqualTo(4);
    assertThat(root.getSampleCount()).isEqualTo(22);
    assertThat(g.get("L2-c4").getMemberIds()).containsExactly("agent-000", "agent-001");

    // a second, different update for a closed round is not averaged: it is refused
    h.update("agent-000", 0, v(100, 100), 5);
    assertThat(h.read()).isEmpty();
    assertThat(h.deadLetters.readValuesToList())
        .singleElement()
        .satisfies(
            d -> assertThat(d.getReason()).isEqualTo(DeadLetterReason.CONFLICTING_DUPLICATE));
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
    b.update(AGENTS.get(1), 0, v(42, 42), 4); // the same agent again, with something else: refused
    b.update(AGENTS.get(1), 0, p[1], 4); // and the same update sent twice: counted once
    b.update(AGENTS.get(2), 0, p[2], 5);
    b.update(AGENTS.get(0), 0, p[0], 3);
    b.hierarchy(twoPairs(0, 0), AGENTS); // the hierarchy last
    Map<String, GroupModel> ga = a.read();
    Map<String, GroupModel> gb = b.read();
    assertThat(gb.keySet()).isEqualTo(ga.keySet());
    for (String g : ga.keySet()) {
      assertThat(ParameterVectors.toFloats(gb.get(g).getParameters()))
          .as(g)
          .containsExactly(ParameterVectors.toFloats(ga.get(g).getParameters()));
      assertThat(gb.get(g).getAmplify()).isEqualTo(1.15);
    }
    assertThat(b.deadLetters.readValuesToList())
        .extracting(DeadLetter::getReason)
        .containsExactly(DeadLetterReason.CONFLICTING_DUPLICATE);
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
    assertThat(first(g.get("L2-c4"), 1)).containsExactly(10f);
    assertThat(g.get("root").getHierarchyVersion()).isEqualTo(1);
    assertThat(g.get("root").getRound()).isEqualTo(1);
  }

  @Test
  void aRoundUsesItsOwnVersionAfterNewerOnesArrived() throws Exception {
    Harness h = new Harness(settings(4, 4, 1, 1.0));
    h.hierarchy(twoPairs(0, 0), AGENTS);
    h.hierarchy(crossedPairs(1, 1), AGENTS);
    h.hierarchy(crossedPairs(2, 2), AGENTS); // only the last versions used are kept decoded
    for (int i = 0; i < 4; i++) {
      h.update(AGENTS.get(i), 0, v(i), 1);
    }
    Map<String, GroupModel> g = h.read();
    assertThat(g.get("L2-c4").getMemberIds()).containsExactly("agent-000", "agent-001");
    assertThat(g.get("root").getHierarchyVersion()).isZero();
    for (int i = 0; i < 4; i++) {
      h.update(AGENTS.get(i), 1, v(i), 1);
    }
    g = h.read();
    assertThat(g.get("L2-c4").getMemberIds()).containsExactly("agent-000", "agent-002");
    assertThat(g.get("root").getHierarchyVersion()).isEqualTo(1);
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
    Harness h = new Harness(settings(1, 2, 1, 1.0), List.of("solo"), Experiment.defaultPolicy());
    Dendrogram d = new Dendrogram(1, List.of());
    h.hierarchy(new HierarchyVersion(Hierarchy.fromDendrogram(d, 2), d, 0, 0), List.of("solo"));
    h.update("solo", 0, v(2.5f, -1f), 3);
    Map<String, GroupModel> g = h.read();
    assertThat(g.keySet()).containsExactly("root");
    assertThat(g.get("root").getMemberIds()).containsExactly("solo");
    assertThat(first(g.get("root"), 3)).containsExactly(2.5f, -1f, 0f);
  }

  @Test
  void levelsExchangeSumsAndTheIntakeKeepsNoUpdate() throws Exception {
    Harness h = new Harness(settings(4, 3, 1, 1.0));
    for (int i = 0; i < 4; i++) {
      h.update(AGENTS.get(i), 0, v(i * 1.5f, -i), 2 + i);
    }
    assertThat(h.store(AggregatorTopology.INTAKE_PARTIALS))
        .as("before its hierarchy version, a round's updates are only counted")
        .isEmpty();
    assertThat(h.store(AggregatorTopology.INTAKE_COUNTED)).hasSize(4);
    TestOutputTopic<String, GroupContribution> level2 =
        h.driver.createOutputTopic(
            topics.aggregationLevel(2).name(),
            Serdes.String().deserializer(),
            serdes.valueSerde(GroupContribution.class).deserializer());
    TestOutputTopic<String, GroupContribution> level3 =
        h.driver.createOutputTopic(
            topics.aggregationLevel(3).name(),
            Serdes.String().deserializer(),
            serdes.valueSerde(GroupContribution.class).deserializer());
    h.hierarchy(twoPairs(0, 0), AGENTS);
    List<GroupContribution> sums = level2.readValuesToList();
    assertThat(sums)
        .as("one exact sum of two agents per group of agents, from the only intake partition")
        .hasSize(2)
        .allSatisfy(
            c -> {
              assertThat(c.getFrom()).isEqualTo("partition-0");
              assertThat(c.getSum()).isNotNull();
              assertThat(c.getVector()).isNull();
              assertThat(c.getAgentCount()).isEqualTo(2);
              assertThat(c.getRoute()).extracting(RouteStep::getLevel).containsExactly(2, 3);
            });
    assertThat(level3.readValuesToList())
        .as("each group's model goes up as one vector")
        .extracting(GroupContribution::getFrom)
        .containsExactlyInAnyOrder("L2-c4", "L2-c5");
    assertThat(h.read().get("root").getAgentCount()).isEqualTo(4);
    assertThat(h.store(AggregatorTopology.INTAKE_PARTIALS)).isEmpty();
    assertThat(h.store(AggregatorTopology.LEVEL_GROUPS)).isEmpty();
  }

  @Test
  void groupModelsCarryTheirAgentsEvaluations() throws Exception {
    Harness h = new Harness(settings(4, 3, 1, 1.0));
    h.hierarchy(twoPairs(0, 0), AGENTS);
    for (int i = 0; i < 4; i++) {
      h.pipe(
          AGENTS.get(i),
          ModelUpdate.newBuilder()
              .setExperimentId(EXP)
              .setRound(0)
              .setHierarchyVersion(-1)
              .setAgentId(AGENTS.get(i))
              .setTrainSamples(1)
              .setParameters(ParameterVectors.of(io.demlearn.schemas.avro.ModelKind.MLR, v(i)))
              .setProducedAtMs(0)
              .setEvaluation(
                  AgentEvaluation.newBuilder()
                      .setOwnCorrect(i)
                      .setOwnTotal(10)
                      .setAllCorrect(2 * i)
                      .setAllTotal(40)
                      .build())
              .build());
    }
    Map<String, GroupModel> g = h.read();
    assertThat(g.get("L2-c4").getMemberEvaluations()).containsOnlyKeys("agent-000", "agent-001");
    assertThat(g.get("L2-c5").getMemberEvaluations().get("agent-003").getAllCorrect()).isEqualTo(6);
    assertThat(g.get("root").getMemberEvaluations()).isEmpty();
  }

  @Test
  void everyRecordThatFailsACheckOnItsOwnBecomesADeadLetterNamingItsSource() throws Exception {
    Harness h = new Harness(settings(4, 3, 1, 1.0));
    var good = h.builder("agent-001", 0, v(1), 1);
    float[] nan = v(1, Float.NaN);
    float[] huge = v(2e6f);
    Map<DeadLetterReason, Runnable> bad = new LinkedHashMap<>();
    bad.put(
        DeadLetterReason.NOT_WIRE_FORMAT,
        () -> h.pipeRaw("agent-001".getBytes(), "hello".getBytes()));
    bad.put(
        DeadLetterReason.UNKNOWN_SCHEMA_ID,
        () -> h.pipeRaw("agent-001".getBytes(), new byte[] {0, 0, 0, 0x7f, 0x7f, 1, 2, 3}));
    bad.put(
        DeadLetterReason.WRONG_EXPERIMENT,
        () ->
            h.pipe(
                "agent-001",
                ModelUpdate.newBuilder(good.build()).setExperimentId("other").build()));
    bad.put(DeadLetterReason.ROUND_OUT_OF_RANGE, () -> h.update("agent-001", 3, v(1), 1));
    bad.put(DeadLetterReason.UNKNOWN_MEMBER, () -> h.update("intruder", 0, v(1), 1));
    bad.put(
        DeadLetterReason.VECTOR_MISMATCH,
        () ->
            h.pipe(
                "agent-001",
                ModelUpdate.newBuilder(good.build())
                    .setParameters(
                        ParameterVectors.of(
                            io.demlearn.schemas.avro.ModelKind.MLR, new float[] {1, 2}))
                    .build()));
    bad.put(DeadLetterReason.NON_FINITE, () -> h.update("agent-001", 0, nan, 1));
    bad.put(DeadLetterReason.NORM_BOUND, () -> h.update("agent-001", 0, huge, 1));
    bad.put(DeadLetterReason.KEY_MISMATCH, () -> h.pipe("agent-002", good.build()));
    bad.put(DeadLetterReason.INVALID_SAMPLES, () -> h.update("agent-001", 0, v(1), 0));
    bad.values().forEach(Runnable::run);
    List<DeadLetter> letters = h.deadLetters.readValuesToList();
    assertThat(letters).extracting(DeadLetter::getReason).containsExactlyElementsOf(bad.keySet());
    for (int i = 0; i < letters.size(); i++) {
      DeadLetter d = letters.get(i);
      assertThat(d.getSourceTopic()).isEqualTo(topics.modelUpdates().name());
      assertThat(d.getSourceOffset()).as("offset of the record refused").isEqualTo(i);
      assertThat(d.getExperimentId()).isEqualTo(EXP);
      assertThat(d.getDetail()).isNotBlank();
      assertThat(d.getValue()).as("the original bytes").isNotNull();
    }
    assertThat(new String(letters.get(0).getValue().array())).isEqualTo("hello");
    // none of them counted: the real updates still close the round
    h.hierarchy(twoPairs(0, 0), AGENTS);
    for (int i = 0; i < 4; i++) {
      h.update(AGENTS.get(i), 0, v(i), 1);
    }
    assertThat(first(h.read().get("root"), 1)).containsExactly(1.5f);
  }

  @Test
  void aHierarchyThatCannotBeUsedOrConflictsBecomesADeadLetterAndTheAggregatorGoesOn()
      throws Exception {
    Harness h = new Harness(settings(4, 3, 1, 1.0));
    HierarchyAssignment real =
        Hierarchies.toRecord(EXP, twoPairs(0, 0), AGENTS, h.experiment.settings(), 0);
    // its groups do not follow from its (empty) linkage matrix
    h.hierarchies.pipeInput(
        "bad-1",
        HierarchyAssignment.newBuilder(real).setLinkage(List.of()).setGroups(List.of()).build());
    // a row merging a cluster that does not exist yet
    var rows = new ArrayList<>(real.getLinkage());
    rows.set(0, LinkageRow.newBuilder(rows.get(0)).setLeft(6).build());
    h.hierarchies.pipeInput("bad-2", HierarchyAssignment.newBuilder(real).setLinkage(rows).build());
    // agents that are not the experiment's, in its order
    h.hierarchies.pipeInput(
        "bad-3",
        HierarchyAssignment.newBuilder(real)
            .setAgentIds(List.of("agent-003", "agent-002", "agent-001", "agent-000"))
            .build());
    // rows that merge a cluster twice (their tree would branch without end)
    var twice =
        List.of(
            new LinkageRow(0, 1, 1.0, 2),
            new LinkageRow(0, 4, 1.0, 3),
            new LinkageRow(4, 5, 1.0, 5));
    h.hierarchies.pipeInput(
        "bad-4", HierarchyAssignment.newBuilder(real).setLinkage(twice).build());
    // more levels than the experiment has
    h.hierarchies.pipeInput(
        "bad-5", HierarchyAssignment.newBuilder(real).setLevels(1_000_000).build());
    h.hierarchy(twoPairs(0, 0), AGENTS);
    h.hierarchy(twoPairs(0, 0), AGENTS); // the same version again (a restarted clusterer): fine
    h.hierarchy(crossedPairs(1, 0), AGENTS); // another version for round 0: the first one counts
    // the same version and linkage cut into another number of levels: another tree, refused too
    Dendrogram d = twoPairs(0, 0).dendrogram();
    h.hierarchy(new HierarchyVersion(Hierarchy.fromDendrogram(d, 1), d, 0, 0), AGENTS);
    assertThat(h.deadLetters.readValuesToList())
        .extracting(DeadLetter::getReason)
        .containsExactly(
            DeadLetterReason.INVALID_HIERARCHY,
            DeadLetterReason.INVALID_HIERARCHY,
            DeadLetterReason.UNKNOWN_MEMBER,
            DeadLetterReason.INVALID_HIERARCHY,
            DeadLetterReason.INVALID_HIERARCHY,
            DeadLetterReason.CONFLICTING_DUPLICATE,
            DeadLetterReason.CONFLICTING_DUPLICATE);
    for (int i = 0; i < 4; i++) {
      h.update(AGENTS.get(i), 0, v(i), 1);
    }
    Map<String, GroupModel> groups = h.read();
    assertThat(groups.get("root").getHierarchyVersion()).isZero();
    assertThat(
            groups.values().stream()
                .filter(g -> !g.getGroupId().equals("root"))
                .map(GroupModel::getMemberIds)
                .toList())
        .as("averaged under the first version: pairs (0,1) and (2,3)")
        .containsExactlyInAnyOrder(
            List.of("agent-000", "agent-001"), List.of("agent-002", "agent-003"));
  }

  @Test
  void anAgentsUpdatesCountInRoundOrderAndOldOrSkippingOnesAreRefused() throws Exception {
    Harness h = new Harness(settings(4, 30, 1, 1.0));
    h.update("agent-000", 1, v(1), 1);
    h.expectOneDeadLetter(DeadLetterReason.ROUND_OUT_OF_RANGE, "ahead");
    for (int round = 0; round < AggregatorTopology.RETAINED_ROUNDS + 3; round++) {
      h.hierarchy(twoPairs(round, round), AGENTS);
      for (int i = 0; i < 4; i++) {
        h.update(AGENTS.get(i), round, v(i + round), 1);
      }
    }
    assertThat(h.read()).isNotEmpty();
    h.update("agent-002", 0, v(2), 1); // round 0 again, the same: too old to tell, so refused
    h.update(
        "agent-002", AggregatorTopology.RETAINED_ROUNDS + 2, v(99), 1); // the last round, different
    h.update(
        "agent-002",
        AggregatorTopology.RETAINED_ROUNDS + 2,
        v(2 + AggregatorTopology.RETAINED_ROUNDS + 2),
        1); // the same
    assertThat(h.deadLetters.readValuesToList())
        .extracting(DeadLetter::getReason)
        .containsExactly(
            DeadLetterReason.ROUND_OUT_OF_RANGE, DeadLetterReason.CONFLICTING_DUPLICATE);
    assertThat(h.read()).isEmpty();
  }

  @Test
  void stateStaysBoundedBeyondTheRetainedRounds() throws Exception {
    Harness h = new Harness(settings(4, 60, 1, 1.0));
    for (int round = 0; round < 50; round++) {
      h.hierarchy(twoPairs(round, round), AGENTS);
      for (int i = 0; i < 4; i++) {
        h.update(AGENTS.get(i), round, v(i + round), 1);
      }
    }
    assertThat(h.out.readValuesToList()).hasSize(50 * 3);
    Map<String, Integer> after50 = h.storeSizes();
    for (int round = 50; round < 60; round++) {
      h.hierarchy(twoPairs(round, round), AGENTS);
      for (int i = 0; i < 4; i++) {
        h.update(AGENTS.get(i), round, v(i + round), 1);
      }
    }
    assertThat(h.storeSizes()).as("state does not grow with rounds").isEqualTo(after50);
    assertThat(after50.get(AggregatorTopology.INTAKE_PARTIALS)).isZero();
    assertThat(after50.get(AggregatorTopology.LEVEL_GROUPS)).isZero();
    assertThat(after50.get(AggregatorTopology.INTAKE_COUNTED))
        .as("one entry per agent")
        .isEqualTo(4);
    assertThat(after50.get(AggregatorTopology.INTAKE_HIERARCHIES))
        .isLessThanOrEqualTo(AggregatorTopology.RETAINED_ROUNDS + 1);
  }

  @Test
  void aStragglerPolicyClosesARoundWithAQuorumAndRecordsTheLateUpdate() throws Exception {
    Harness h = new Harness(settings(4, 3, 2, 1.0), AGENTS, Experiment.policy(1e6, 1000, 0.5));
    h.hierarchy(twoPairs(0, 0), AGENTS);
    h.update("agent-002", 0, v(5), 1);
    h.update("agent-003", 0, v(9), 1);
    h.driver.advanceWallClockTime(Duration.ofMillis(500));
    Map<String, GroupModel> g = h.read();
    assertThat(g.keySet())
        .as("before the timeout: the complete group only")
        .containsExactly("L2-c5");
    h.driver.advanceWallClockTime(Duration.ofMillis(600));
    g.putAll(h.read());
    assertThat(g.keySet())
        .as("the group of agents 0 and 1 has no model")
        .containsExactlyInAnyOrder("root", "L2-c5");
    assertThat(g.get("root").getMemberIds()).containsExactly("L2-c5");
    assertThat(g.get("root").getExpectedMembers()).isEqualTo(2);
    assertThat(g.get("root").getAgentCount()).isEqualTo(2);
    assertThat(g.get("root").getGroupsInRound()).isEqualTo(2);
    assertThat(first(g.get("root"), 1)).containsExactly(7f);

    h.update("agent-000", 0, v(1), 1); // late: recorded, not averaged
    h.update("agent-001", 0, v(3), 1);
    assertThat(h.read()).isEmpty();
    assertThat(h.deadLetters.readValuesToList())
        .extracting(DeadLetter::getReason)
        .containsExactly(DeadLetterReason.LATE, DeadLetterReason.LATE);
    h.update("agent-000", 0, v(1), 1); // and sent again: counted once, nothing more recorded
    assertThat(h.deadLetters.readValuesToList()).isEmpty();

    // a quorum is not enough before the timeout; all members are
    h.update("agent-001", 1, v(3), 1);
    h.update("agent-002", 1, v(5), 1);
    h.update("agent-003", 1, v(9), 1);
    h.driver.advanceWallClockTime(Duration.ofMillis(100));
    g = h.read();
    assertThat(g).doesNotContainKey("root");
    h.update("agent-000", 1, v(1), 1);
    g.putAll(h.read());
    assertThat(g.get("root").getAgentCount()).isEqualTo(4);
    assertThat(g.get("root").getGroupsInRound()).isEqualTo(3);
    assertThat(first(g.get("root"), 1)).containsExactly(4.5f);
  }

  @Test
  void anAgentLeftOutOfClosedRoundsCatchesUpAndCountsAgain() throws Exception {
    Harness h = new Harness(settings(4, 30, 1, 1.0), AGENTS, Experiment.policy(1e6, 1000, 0.5));
    int last = AggregatorTopology.RETAINED_ROUNDS + 2; // closes outlive the retained rounds
    for (int round = 0; round <= last; round++) {
      h.hierarchy(twoPairs(round, round), AGENTS);
      for (int i = 1; i < 4; i++) {
        h.update(AGENTS.get(i), round, v(i + round), 1);
      }
      h.driver.advanceWallClockTime(Duration.ofMillis(500));
      h.driver.advanceWallClockTime(Duration.ofMillis(600));
      assertThat(h.read().get("root").getAgentCount()).as("round " + round).isEqualTo(3);
    }
    h.update("agent-000", 1, v(1), 1); // after round 0, closed without it: counts, but late
    assertThat(h.deadLetters.readValuesToList())
        .extracting(DeadLetter::getReason)
        .containsExactly(DeadLetterReason.LATE);

    h.hierarchy(twoPairs(last + 1, last + 1), AGENTS);
    h.update("agent-000", last + 1, v(0), 1); // after the newest closed round: in time
    for (int i = 1; i < 4; i++) {
      h.update(AGENTS.get(i), last + 1, v(i), 1);
    }
    GroupModel root = h.read().get("root");
    assertThat(root.getAgentCount()).as("it counts again").isEqualTo(4);
    assertThat(first(root, 1)).containsExactly(1.5f);

    h.update("agent-001", last + 3, v(1), 1); // skips round last + 2, which nothing closed
    h.expectOneDeadLetter(DeadLetterReason.ROUND_OUT_OF_RANGE, "catch up");
  }

  @Test
  void withoutAQuorumARoundWaitsPastItsTimeout() throws Exception {
    Harness h = new Harness(settings(4, 3, 2, 1.0), AGENTS, Experiment.policy(1e6, 1000, 0.75));
    h.hierarchy(twoPairs(0, 0), AGENTS);
    h.update("agent-002", 0, v(5), 1);
    h.update("agent-003", 0, v(9), 1);
    h.driver.advanceWallClockTime(Duration.ofSeconds(5));
    assertThat(h.read()).as("no root without a quorum").doesNotContainKey("root");
    h.update("agent-000", 0, v(1), 1);
    // the intake's tally, then the round's decision
    h.driver.advanceWallClockTime(Duration.ofMillis(300));
    h.driver.advanceWallClockTime(Duration.ofMillis(300));
    assertThat(h.read().get("root").getAgentCount()).isEqualTo(3);
  }

  @Test
  void aSignedExperimentRefusesUnsignedAndForgedRecordsAndAveragesTheSignedOnes() throws Exception {
    io.demlearn.pipeline.signing.KeyRing ring = new io.demlearn.pipeline.signing.KeyRing(EXP);
    io.demlearn.pipeline.signing.Signer signer = new io.demlearn.pipeline.signing.Signer();
    List<String> owners = new ArrayList<>(AGENTS.subList(0, 4));
    owners.add(io.demlearn.pipeline.signing.KeyRing.CLUSTERER);
    for (String owner : owners) {
      java.security.KeyPair pair = io.demlearn.pipeline.signing.Ed25519.generate();
      signer.add(owner, 0, pair.getPrivate());
      assertThat(
              ring.add(
                  io.demlearn.schemas.avro.AgentKey.newBuilder()
                      .setExperimentId(EXP)
                      .setOwnerId(owner)
                      .setKeyId(1)
                      .setEffectiveFromRound(0)
                      .setAlgorithm("Ed25519")
                      .setPublicKey(java.nio.ByteBuffer.wrap(pair.getPublic().getEncoded()))
                      .setIssuedAtMs(0)
                      .build()))
          .isNull();
    }
    int[] refreshes = {0};
    io.demlearn.pipeline.signing.SignatureCheck.Keys keys =
        new io.demlearn.pipeline.signing.SignatureCheck.Keys() {
          @Override
          public io.demlearn.pipeline.signing.KeyRing ring() {
            return ring;
          }

          @Override
          public boolean refresh() {
            refreshes[0]++;
            return false;
          }
        };
    PipelinePolicy signed = PipelinePolicy.newBuilder().setRequireSignatures(true).build();
    Harness h = new Harness(settings(4, 3, 2, 1.0), AGENTS, signed, appConfigs -> keys);

    h.hierarchy(twoPairs(0, 0), AGENTS); // not signed
    h.expectOneDeadLetter(DeadLetterReason.BAD_SIGNATURE, "hierarchy version 0 for round 0");
    HierarchyAssignment version =
        Hierarchies.toRecord(EXP, twoPairs(0, 0), AGENTS, h.experiment.settings(), 0);
    h.hierarchies.pipeInput(ExperimentTopics.hierarchyKey(0), signer.sign(version));
    assertThat(h.deadLetters.readValuesToList()).isEmpty();

    h.update("agent-000", 0, v(1), 1); // not signed
    h.expectOneDeadLetter(DeadLetterReason.BAD_SIGNATURE, "is not signed");
    io.demlearn.pipeline.signing.Signer forger =
        new io.demlearn.pipeline.signing.Signer()
            .add("agent-001", 0, io.demlearn.pipeline.signing.Ed25519.generate().getPrivate());
    h.pipe("agent-001", forger.sign(h.builder("agent-001", 0, v(100), 1).build()));
    h.expectOneDeadLetter(
        DeadLetterReason.BAD_SIGNATURE, "is not signed by the key agent-001 has registered");
    assertThat(refreshes[0]).as("the keys read again before each refusal").isEqualTo(3);

    float[][] values = {v(1), v(3), v(5), v(9)};
    for (int a = 0; a < 4; a++) {
      String agent = AGENTS.get(a);
      h.pipe(agent, signer.sign(h.builder(agent, 0, values[a], 1).build()));
    }
    assertThat(h.deadLetters.readValuesToList()).isEmpty();
    Map<String, GroupModel> g = h.read();
    assertThat(g.keySet()).containsExactlyInAnyOrder("L2-c4", "L2-c5", "root");
    assertThat(first(g.get("root"), 1))
        .as("the signed updates alone, the forged one's 100 nowhere")
        .containsExactly(4.5f);
  }
}
