package io.demlearn.aggregator;

import static org.assertj.core.api.Assertions.assertThat;

import io.demlearn.pipeline.records.Experiment;
import io.demlearn.pipeline.records.Hierarchies;
import io.demlearn.schemas.ParameterVectors;
import io.demlearn.schemas.avro.AggregationControl;
import io.demlearn.schemas.avro.AggregationInput;
import io.demlearn.schemas.avro.GroupContribution;
import io.demlearn.schemas.avro.HierarchyAssignment;
import io.demlearn.schemas.avro.ModelKind;
import io.demlearn.schemas.avro.ModelUpdate;
import io.demlearn.schemas.avro.SourceRecord;
import io.demlearn.schemas.registry.InMemorySchemaRegistry;
import io.demlearn.schemas.registry.SchemaRegistryConfig;
import io.demlearn.schemas.serde.AvroSerdes;
import io.demlearn.schemas.topics.ExperimentTopics;
import io.demlearn.schemas.topics.Replication;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Properties;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.BiConsumer;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The intake keeps its open sums in memory between writes: a task started again (its stores as
 * committed, its memory gone) must add the updates that were only in memory once more, from the
 * log, and send the same sums as a task that never stopped.
 */
class AgentIntakeRestartTest {
  private static final String EXP = "intake-restart";
  private final String scope = "intake-" + UUID.randomUUID();
  private final AvroSerdes serdes =
      new AvroSerdes(Map.of(SchemaRegistryConfig.URL, "mock://" + scope));
  private final ExperimentTopics topics =
      new ExperimentTopics(
          EXP, 1, Replication.CLUSTER_DEFAULT, ExperimentTopics.DEFAULT_MAX_MESSAGE_BYTES);
  private final Experiment experiment =
      new Experiment(
          EXP,
          AggregatorTopologyTest.settings(4, 3, 1, 1.0),
          AggregatorTopologyTest.AGENTS,
          Experiment.defaultPolicy());
  private final List<byte[]> log = new ArrayList<>();
  private int readBack;

  @AfterEach
  void dropRegistry() {
    InMemorySchemaRegistry.dropScope(scope);
  }

  /** The intake's stores, kept across its restarts as their changelogs would restore them. */
  private final class TaskStores {
    final List<KeyValueStore<String, ?>> all =
        List.of(
            store(
                AggregatorTopology.INTAKE_HIERARCHIES,
                serdes.valueSerde(HierarchyAssignment.class)),
            store(AggregatorTopology.INTAKE_COUNTED, Serdes.ByteArray()),
            store(AggregatorTopology.INTAKE_PARTIALS, serdes.valueSerde(GroupContribution.class)),
            store(AggregatorTopology.INTAKE_ROUNDS, Serdes.Long()));
    private boolean initialised;

    /** Each store's values under a subject of their own, as with their changelog topics. */
    private <V> KeyValueStore<String, V> store(String name, Serde<V> values) {
      Serde<V> named =
          Serdes.serdeFrom(
              (topic, v) -> values.serializer().serialize(name, v),
              (topic, bytes) -> values.deserializer().deserialize(name, bytes));
      return Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(name), Serdes.String(), named)
          .withLoggingDisabled()
          .build();
    }

    /** A task's start: a new intake on these stores. */
    Intake start() {
      Properties p = new Properties();
      p.put(StreamsConfig.APPLICATION_ID_CONFIG, "intake-test");
      p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
      p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "1000");
      MockProcessorContext<String, SpecificRecord> context = new MockProcessorContext<>(p);
      context.setCurrentSystemTimeMs(0);
      for (KeyValueStore<String, ?> s : all) {
        if (!initialised) {
          s.init(context.getStateStoreContext(), s);
        }
        context.addStateStore(s);
      }
      initialised = true;
      var updates = serdes.valueSerde(ModelUpdate.class);
      AgentIntake intake =
          new AgentIntake(
              experiment,
              1,
              topics.modelUpdates().name(),
              updates.deserializer(),
              updates.serializer(),
              (topic, configs) -> new CountingLog(),
              io.demlearn.pipeline.service.ServiceMeters.updatesAccepted(
                  io.demlearn.pipeline.service.ServiceMeters.none()));
      intake.init(context);
      return new Intake(intake, context);
    }
  }

  private record Intake(AgentIntake intake, MockProcessorContext<String, SpecificRecord> context) {
    void flush() {
      context.scheduledPunctuators().forEach(p -> p.getPunctuator().punctuate(0));
    }

    /** The group sums it sent, by group. */
    Map<String, GroupContribution> sent() {
      Map<String, GroupContribution> out = new TreeMap<>();
      context
          .forwarded()
          .forEach(
              f -> {
                if (f.record().value() instanceof GroupContribution c) {
                  out.put(f.record().key(), c);
                }
              });
      return out;
    }
  }

  /** The log of model-updates, read back by offset. */
  private final class CountingLog implements UpdateLog {
    @Override
    public void read(int partition, NavigableSet<Long> offsets, BiConsumer<Long, byte[]> each) {
      offsets.forEach(
          o -> {
            readBack++;
            each.accept(o, log.get(o.intValue()));
          });
    }

    @Override
    public void close() {}
  }

  private void hierarchy(Intake i) {
    HierarchyAssignment h =
        Hierarchies.toRecord(
            EXP,
            AggregatorTopologyTest.twoPairs(0, 0),
            AggregatorTopologyTest.AGENTS,
            experiment.settings(),
            0);
    i.intake()
        .process(
            new Record<>(
                "h", AggregationControl.newBuilder().setHierarchy(h).setDecidedAtMs(0).build(), 0));
  }

  private void update(Intake i, int agent, float x) {
    ModelUpdate u =
        ModelUpdate.newBuilder()
            .setExperimentId(EXP)
            .setRound(0)
            .setHierarchyVersion(0)
            .setAgentId(AggregatorTopologyTest.AGENTS.get(agent))
            .setTrainSamples(3 + agent)
            .setParameters(
                ParameterVectors.of(ModelKind.MLR, AggregatorTopologyTest.v(x, -x, x / 3)))
            .setProducedAtMs(0)
            .build();
    long offset = log.size();
    log.add(
        serdes
            .valueSerde(ModelUpdate.class)
            .serializer()
            .serialize(topics.modelUpdates().name(), u));
    SourceRecord source =
        SourceRecord.newBuilder()
            .setTopic(topics.modelUpdates().name())
            .setPartition(0)
            .setOffset(offset)
            .setTimestampMs(0)
            .build();
    i.intake()
        .process(
            new Record<>(
                u.getAgentId(),
                AggregationInput.newBuilder().setUpdate(u).setSource(source).build(),
                0));
  }

  @Test
  void aRestartedTaskAddsAgainWhatOnlyItsMemoryHeld() {
    float[] x = {0.1f, 2.5e-7f, -3.75f, 1e6f};
    Intake steady = new TaskStores().start();
    hierarchy(steady);
    for (int a = 0; a < 4; a++) {
      update(steady, a, x[a]);
    }
    Map<String, GroupContribution> expected = steady.sent();
    assertThat(expected).hasSize(2);

    log.clear();
    TaskStores stores = new TaskStores();
    Intake first = stores.start();
    hierarchy(first);
    update(first, 0, x[0]);
    first.flush(); // agent-000's update is now in the stored sum of its group, marked added
    update(first, 2, x[2]); // agent-002's only in memory when the task stops
    assertThat(first.sent()).isEmpty();

    Intake second = stores.start();
    update(second, 1, x[1]);
    update(second, 3, x[3]);
    assertThat(readBack).as("only the update that was in memory alone is read back").isEqualTo(1);
    Map<String, GroupContribution> again = second.sent();
    assertThat(again.keySet()).isEqualTo(expected.keySet());
    again.forEach(
        (group, c) -> {
          GroupContribution e = expected.get(group);
          assertThat(c.getSum()).isEqualTo(e.getSum());
          assertThat(c.getWeight()).isEqualTo(e.getWeight());
          assertThat(c.getMemberIds()).isEqualTo(e.getMemberIds());
          assertThat(c.getAgentCount()).isEqualTo(2);
        });
  }
}
