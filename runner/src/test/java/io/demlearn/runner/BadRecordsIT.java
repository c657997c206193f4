package io.demlearn.runner;

import static org.assertj.core.api.Assertions.assertThat;

import io.demlearn.core.model.Architecture;
import io.demlearn.core.model.ModelKind;
import io.demlearn.pipeline.clients.ClientConfigs;
import io.demlearn.pipeline.clients.ExperimentLog;
import io.demlearn.pipeline.records.ExperimentSpecs;
import io.demlearn.schemas.ParameterVectors;
import io.demlearn.schemas.avro.ClusteringSettings;
import io.demlearn.schemas.avro.DeadLetter;
import io.demlearn.schemas.avro.DeadLetterReason;
import io.demlearn.schemas.avro.HierarchyAssignment;
import io.demlearn.schemas.avro.ModelUpdate;
import io.demlearn.schemas.registry.SchemaRegistryConfig;
import io.demlearn.schemas.serde.AvroSerdes;
import io.demlearn.schemas.topics.ExperimentTopics;
import io.demlearn.stack.EmbeddedKafkaBroker;
import io.demlearn.stack.LocalSchemaRegistry;
import io.demlearn.testkit.LocalKafkaExtension;
import io.demlearn.testkit.LocalRegistryExtension;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.IntStream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * 1,000 bad records of every kind produced straight onto a live experiment's topics: each one gets
 * a dead letter with the expected reason at its source topic, partition and offset; the pipeline
 * keeps going; the results equal the simulator's (a run without bad records).
 */
@Tag("integration")
@ExtendWith({LocalKafkaExtension.class, LocalRegistryExtension.class})
class BadRecordsIT {
  private static final int AGENTS = 8;
  private static final int ROUNDS = 12;
  private static final String[] EXPERIMENT = {
    "--dataset",
    "synthetic",
    "--agents",
    Integer.toString(AGENTS),
    "--rounds",
    Integer.toString(ROUNDS),
    "--seed",
    "31",
    "--algorithm",
    "demlearn-p",
    "--levels",
    "2"
  };
  private static final int DIMENSION = Architecture.of(ModelKind.MLR).dimension();

  @TempDir Path dir;

  /** A bad record as produced, and the reason its dead letter must give. */
  private record Sent(Future<RecordMetadata> at, DeadLetterReason reason) {}

  private final Random random = new Random(31);

  @Test
  void aThousandBadRecordsAreDeadLetteredAndChangeNothing(
      EmbeddedKafkaBroker broker, LocalSchemaRegistry registry) throws Exception {
    String id = "bad-" + UUID.randomUUID().toString().substring(0, 8);
    Path out = dir.resolve("run");
    List<String> args =
        new ArrayList<>(
            List.of(
                "run",
                "--experiment",
                id,
                "--out",
                out.toString(),
                "--bootstrap-servers",
                broker.bootstrapServers(),
                "--schema-registry-url",
                registry.url(),
                "--stall-timeout",
                "120"));
    args.addAll(List.of(EXPERIMENT));
    CompletableFuture<SimulateCommandTest.Result> run =
        CompletableFuture.supplyAsync(() -> SimulateCommandTest.run(args.toArray(new String[0])));

    ExperimentTopics topics = ExperimentTopics.of(id);
    Map<String, Object> kafka = Map.of("bootstrap.servers", broker.bootstrapServers());
    List<Sent> sent = new ArrayList<>();
    try (AvroSerdes serdes = new AvroSerdes(Map.of(SchemaRegistryConfig.URL, registry.url()));
        KafkaProducer<byte[], byte[]> producer =
            new KafkaProducer<>(
                ClientConfigs.producer(kafka, "vandal"),
                new ByteArraySerializer(),
                new ByteArraySerializer())) {
      var updateBytes = topics.modelUpdates().valueSerde(serdes).serializer();
      var hierarchyBytes = topics.hierarchyAssignments().valueSerde(serdes).serializer();
      for (int batch = 0; batch < 5; batch++) {
        int round =
            RecordedRuns.waitForRound(
                out, 1 + batch, run, Duration.ofMinutes(3)); // its metrics are out
        for (int i = 0; i < 200; i++) {
          sent.add(
              bad(
                  sent.size(),
                  round,
                  id,
                  topics,
                  producer,
                  u -> updateBytes.serialize(topics.modelUpdates().name(), u),
                  h -> hierarchyBytes.serialize(topics.hierarchyAssignments().name(), h)));
        }
        producer.flush();
      }
    }
    SimulateCommandTest.Result r = run.get(5, TimeUnit.MINUTES);
    assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
    assertThat(sent).hasSize(1000);

    // every bad record, and only those, has a dead letter with the reason at the record's place
    Map<String, DeadLetter> letters = new HashMap<>();
    try (AvroSerdes serdes = new AvroSerdes(Map.of(SchemaRegistryConfig.URL, registry.url()));
        ExperimentLog log = new ExperimentLog(kafka, id, Duration.ofSeconds(30))) {
      var decoder = topics.deadLetters().valueSerde(serdes).deserializer();
      log.read(
          topics.deadLetters(),
          rec -> {
            DeadLetter d = decoder.deserializeOrNull(rec);
            String where =
                d.getSourceTopic() + "/" + d.getSourcePartition() + "/" + d.getSourceOffset();
            assertThat(letters.put(where, d)).as("one dead letter for " + where).isNull();
          });
    }
    Map<DeadLetterReason, Integer> byReason = new TreeMap<>();
    for (Sent s : sent) {
      RecordMetadata m = s.at().get();
      DeadLetter d = letters.get(m.topic() + "/" + m.partition() + "/" + m.offset());
      assertThat(d).as("dead letter of the " + s.reason() + " record at " + m).isNotNull();
      assertThat(d.getReason()).as(d.getDetail()).isEqualTo(s.reason());
      assertThat(d.getExperimentId()).isEqualTo(id);
      assertThat(d.getDetail()).isNotBlank();
      assertThat(d.getValue()).as("the original bytes").isNotNull();
      byReason.merge(s.reason(), 1, Integer::sum);
    }
    assertThat(letters).hasSize(sent.size());
    assertThat(byReason.keySet())
        .containsAll(
            List.of(
                DeadLetterReason.NOT_WIRE_FORMAT,
                DeadLetterReason.UNKNOWN_SCHEMA_ID,
                DeadLetterReason.TRUNCATED,
                DeadLetterReason.WRONG_EXPERIMENT,
                DeadLetterReason.ROUND_OUT_OF_RANGE,
                DeadLetterReason.VECTOR_MISMATCH,
                DeadLetterReason.NON_FINITE,
                DeadLetterReason.NORM_BOUND,
                DeadLetterReason.UNKNOWN_MEMBER,
                DeadLetterReason.CONFLICTING_DUPLICATE,
                DeadLetterReason.KEY_MISMATCH,
                DeadLetterReason.INVALID_HIERARCHY,
                DeadLetterReason.INVALID_SAMPLES));
    System.out.println("dead letters by reason: " + byReason);

    Path sim = dir.resolve("sim");
    List<String> simulate = new ArrayList<>(List.of("simulate", "--out", sim.toString()));
    simulate.addAll(List.of(EXPERIMENT));
    assertThat(SimulateCommandTest.run(simulate.toArray(new String[0])).exitCode()).isZero();
    assertThat(RecordedRuns.metrics(out)).isEqualTo(RecordedRuns.metrics(sim));
    RecordedRuns.assertSameGroupModels(
        RecordedRuns.recordedGroupModels(broker.bootstrapServers(), registry.url(), id),
        RecordedRuns.simulatorGroupModels(EXPERIMENT));
    SimulateCommandTest.Result audit =
        SimulateCommandTest.run(
            "audit",
            "--experiment",
            id,
            "--bootstrap-servers",
            broker.bootstrapServers(),
            "--schema-registry-url",
            registry.url());
    assertThat(audit.exitCode()).as(audit.out() + audit.err()).isZero();
  }

  /**
   * The n-th bad record, of kind n mod 16, produced while round {@code round}'s metrics are out.
   */
  private Sent bad(
      int n,
      int round,
      String id,
      ExperimentTopics topics,
      KafkaProducer<byte[], byte[]> producer,
      Function<ModelUpdate, byte[]> encode,
      Function<HierarchyAssignment, byte[]> encodeHierarchy) {
    String agent = String.format("agent-%03d", random.nextInt(AGENTS));
    String updates = topics.modelUpdates().name();
    String hierarchies = topics.hierarchyAssignments().name();
    return switch (n % 16) {
      case 0 ->
          send(
              producer,
              updates,
              agent,
              ("not avro at all " + n).getBytes(StandardCharsets.UTF_8),
              DeadLetterReason.NOT_WIRE_FORMAT);
      case 1 ->
          send(
              producer,
              updates,
              agent,
              ByteBuffer.allocate(9).put((byte) 0).putInt(0x7ffffff0 - n).array(),
              DeadLetterReason.UNKNOWN_SCHEMA_ID);
      case 2 ->
          send(
              producer,
              updates,
              agent,
              Arrays.copyOf(encode.apply(update(id, agent, round, 1f)), 40),
              DeadLetterReason.TRUNCATED);
      case 3 ->
          send(
              producer,
              updates,
              agent,
              encode.apply(update("another-experiment", agent, round, 0.1f)),
              DeadLetterReason.WRONG_EXPERIMENT);
      case 4 ->
          send(
              producer,
              updates,
              agent,
              encode.apply(update(id, agent, -1 - random.nextInt(5), 0.1f)),
              DeadLetterReason.ROUND_OUT_OF_RANGE); // in the past
      case 5 ->
          send(
              producer,
              updates,
              agent,
              encode.apply(update(id, agent, ROUNDS + random.nextInt(100), 0.1f)),
              DeadLetterReason
                  .ROUND_OUT_OF_RANGE); // far in the future (past the last round: a round just
      // ahead
      // could become the agent's next one while the batch is produced; AggregatorTopologyTest
      // covers it)
      case 6 -> {
        ModelUpdate u = update(id, agent, round + 1, 0.1f);
        u.setParameters(ParameterVectors.of(ExperimentSpecs.toAvro(ModelKind.MLR), new float[100]));
        u.getParameters().setDimension(100);
        yield send(producer, updates, agent, encode.apply(u), DeadLetterReason.VECTOR_MISMATCH);
      }
      case 7 ->
          send(
              producer,
              updates,
              agent,
              encode.apply(
                  poisoned(
                      update(id, agent, round + 1, 0.1f),
                      random.nextBoolean() ? Float.NaN : Float.POSITIVE_INFINITY)),
              DeadLetterReason.NON_FINITE);
      case 8 ->
          send(
              producer,
              updates,
              agent,
              encode.apply(update(id, agent, round + 1, 1e5f)),
              DeadLetterReason.NORM_BOUND);
      case 9 -> {
        String intruder = "intruder-" + n;
        yield send(
            producer,
            updates,
            intruder,
            encode.apply(update(id, intruder, round + 1, 0.1f)),
            DeadLetterReason.UNKNOWN_MEMBER);
      }
      case 10 ->
          send(
              producer,
              updates,
              agent,
              encode.apply(update(id, agent, round, 0.01f * (1 + random.nextInt(50)))),
              DeadLetterReason
                  .CONFLICTING_DUPLICATE); // the agent's round is counted: a second, different
      // update
      case 11 ->
          send(
              producer,
              updates,
              "agent-x",
              encode.apply(update(id, agent, round + 1, 0.1f)),
              DeadLetterReason.KEY_MISMATCH);
      case 12 ->
          send(
              producer,
              hierarchies,
              "bad-" + n,
              ("no hierarchy " + n).getBytes(StandardCharsets.UTF_8),
              DeadLetterReason.NOT_WIRE_FORMAT);
      case 13 ->
          send(
              producer,
              hierarchies,
              "bad-" + n,
              encodeHierarchy.apply(hierarchy(id, round + 1, AGENT_IDS)),
              DeadLetterReason
                  .INVALID_HIERARCHY); // well-formed Avro; its groups do not follow from its
      // linkage
      case 14 ->
          send(
              producer,
              hierarchies,
              "bad-" + n,
              encodeHierarchy.apply(hierarchy(id, round + 1, reversed(AGENT_IDS))),
              DeadLetterReason.UNKNOWN_MEMBER); // not the experiment's agents in its order
      default -> {
        ModelUpdate u = update(id, agent, round + 1, 0.1f);
        u.setTrainSamples(-random.nextInt(1000));
        yield send(producer, updates, agent, encode.apply(u), DeadLetterReason.INVALID_SAMPLES);
      }
    };
  }

  private static final List<String> AGENT_IDS =
      IntStream.range(0, AGENTS).mapToObj(i -> String.format("agent-%03d", i)).toList();

  private static List<String> reversed(List<String> list) {
    List<String> copy = new ArrayList<>(list);
    Collections.reverse(copy);
    return copy;
  }

  /** A hierarchy version with no linkage and no groups, which no flat or clustered tree matches. */
  private static HierarchyAssignment hierarchy(
      String experiment, int effective, List<String> agents) {
    return HierarchyAssignment.newBuilder()
        .setExperimentId(experiment)
        .setVersion(1000 + effective)
        .setEffectiveFromRound(effective)
        .setClusteredAtRound(effective - 1)
        .setLevels(2)
        .setAgentIds(agents)
        .setLinkage(List.of())
        .setGroups(List.of())
        .setSettings(
            ClusteringSettings.newBuilder()
                .setDistanceMetric("euclidean")
                .setLinkage("average")
                .setLevels(2)
                .setReclusterEvery(1)
                .setFeatures("parameters")
                .build())
        .setCreatedAtMs(System.currentTimeMillis())
        .build();
  }

  private static Sent send(
      KafkaProducer<byte[], byte[]> producer,
      String topic,
      String key,
      byte[] value,
      DeadLetterReason reason) {
    return new Sent(
        producer.send(new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8), value)),
        reason);
  }

  /** A well-formed update with every parameter {@code value}. */
  private static ModelUpdate update(String experiment, String agent, int round, float value) {
    float[] p = new float[DIMENSION];
    Arrays.fill(p, value);
    return ModelUpdate.newBuilder()
        .setExperimentId(experiment)
        .setRound(round)
        .setHierarchyVersion(0)
        .setAgentId(agent)
        .setTrainSamples(10)
        .setParameters(ParameterVectors.of(ExperimentSpecs.toAvro(ModelKind.MLR), p))
        .setProducedAtMs(System.currentTimeMillis())
        .build();
  }

  private ModelUpdate poisoned(ModelUpdate u, float bad) {
    float[] p = ParameterVectors.toFloats(u.getParameters());
    p[random.nextInt(p.length)] = bad;
    u.setParameters(ParameterVectors.of(ExperimentSpecs.toAvro(ModelKind.MLR), p));
    return u;
  }
}
