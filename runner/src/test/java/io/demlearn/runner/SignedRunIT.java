package io.demlearn.runner;

import static org.assertj.core.api.Assertions.assertThat;

import io.demlearn.core.cluster.Dendrogram;
import io.demlearn.core.cluster.Hierarchy;
import io.demlearn.core.strategy.HierarchyVersion;
import io.demlearn.pipeline.clients.ExperimentLog;
import io.demlearn.pipeline.records.Experiment;
import io.demlearn.pipeline.records.Hierarchies;
import io.demlearn.pipeline.records.ModelUpdates;
import io.demlearn.pipeline.signing.Ed25519;
import io.demlearn.pipeline.signing.KeyRing;
import io.demlearn.pipeline.signing.Signer;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code run --sign}: keys issued (public on agent-keys, private in files readable by their owner
 * only), every update signed; a well-formed update for an agent's next round signed with another
 * key, and a well-formed hierarchy version for the next round signed with a key that is not the
 * clusterer's, written while the experiment runs, are dead letters BAD_SIGNATURE (the workers and
 * the metrics collector ignore the version too) and change nothing: the metrics equal {@code
 * simulate}'s.
 */
@Tag("integration")
@ExtendWith({LocalKafkaExtension.class, LocalRegistryExtension.class})
class SignedRunIT {
  private static final List<String> EXPERIMENT =
      List.of("--dataset", "synthetic", "--agents", "6", "--rounds", "8");

  @TempDir Path dir;

  @Test
  void aForgedUpdateIsADeadLetterAndTheRunsBitsDoNotChange(
      EmbeddedKafkaBroker broker, LocalSchemaRegistry registry) throws Exception {
    String id = "signed-" + UUID.randomUUID().toString().substring(0, 8);
    Path out = dir.resolve("run");
    Path keys = dir.resolve("keys");
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
                "120",
                "--sign",
                "--key-dir",
                keys.toString()));
    args.addAll(EXPERIMENT);
    CompletableFuture<Integer> run =
        CompletableFuture.supplyAsync(() -> Main.execute(args.toArray(String[]::new), Map.of()));
    int written = RecordedRuns.waitForRound(out, 2, run, Duration.ofSeconds(120));
    // ahead of the agents: the forged records come before the real ones of their round
    int forgedRound = written + 2;

    Map<String, Object> kafka = Map.of("bootstrap.servers", broker.bootstrapServers());
    String agent;
    try (AvroSerdes serdes = new AvroSerdes(Map.of(SchemaRegistryConfig.URL, registry.url()));
        ExperimentLog log = new ExperimentLog(kafka, id, Duration.ofSeconds(30))) {
      Experiment e = log.experiment(serdes, 1);
      assertThat(e.signed()).isTrue();
      agent = e.agentIds().get(0);
      assertThat(keys.resolve(id).resolve(agent + ".1.key"))
          .exists()
          .satisfies(
              f ->
                  assertThat(
                          java.nio.file.attribute.PosixFilePermissions.toString(
                              Files.getPosixFilePermissions(f)))
                      .isEqualTo("rw-------"));
      float[] params = new float[e.settings().model().dimension()];
      Arrays.fill(params, 0.5f);
      ModelUpdate forged =
          new Signer()
              .add(agent, 0, Ed25519.generate().getPrivate())
              .sign(ModelUpdates.of(e, agent, forgedRound, -1, 10, params, null, 1L));
      try (KafkaProducer<String, ModelUpdate> producer =
          new KafkaProducer<>(
              kafka,
              new StringSerializer(),
              log.topics().modelUpdates().valueSerde(serdes).serializer())) {
        producer
            .send(new ProducerRecord<>(log.topics().modelUpdates().name(), agent, forged))
            .get();
      }
      // and a well-formed hierarchy version from the next round on, signed with another key
      Dendrogram d =
          new Dendrogram(
              6,
              List.of(
                  new Dendrogram.Merge(0, 5, 1, 2),
                  new Dendrogram.Merge(1, 4, 2, 2),
                  new Dendrogram.Merge(2, 3, 3, 2),
                  new Dendrogram.Merge(6, 7, 4, 4),
                  new Dendrogram.Merge(8, 9, 5, 6)));
      HierarchyAssignment version =
          new Signer()
              .add(KeyRing.CLUSTERER, 0, Ed25519.generate().getPrivate())
              .sign(
                  Hierarchies.toRecord(
                      id,
                      new HierarchyVersion(Hierarchy.fromDendrogram(d, 3), d, 1000, forgedRound),
                      e.agentIds(),
                      e.settings(),
                      2L));
      try (KafkaProducer<String, HierarchyAssignment> producer =
          new KafkaProducer<>(
              kafka,
              new StringSerializer(),
              log.topics().hierarchyAssignments().valueSerde(serdes).serializer())) {
        producer
            .send(
                new ProducerRecord<>(
                    log.topics().hierarchyAssignments().name(),
                    ExperimentTopics.hierarchyKey(1000),
                    version))
            .get();
      }
    }
    assertThat(run.get(300, TimeUnit.SECONDS)).isZero();

    List<DeadLetter> letters = new ArrayList<>();
    try (AvroSerdes serdes = new AvroSerdes(Map.of(SchemaRegistryConfig.URL, registry.url()));
        ExperimentLog log = new ExperimentLog(kafka, id, Duration.ofSeconds(30))) {
      var decoder = log.topics().deadLetters().valueSerde(serdes).deserializer();
      log.read(log.topics().deadLetters(), r -> letters.add(decoder.deserializeOrNull(r)));
    }
    assertThat(letters)
        .extracting(DeadLetter::getReason)
        .containsOnly(DeadLetterReason.BAD_SIGNATURE);
    assertThat(letters)
        .extracting(DeadLetter::getDetail)
        .containsExactlyInAnyOrder(
            "update of "
                + agent
                + " for round "
                + forgedRound
                + " is not signed by the key "
                + agent
                + " has registered for round "
                + forgedRound,
            "hierarchy version 1000 for round "
                + forgedRound
                + " is not signed by the key clusterer has registered for round "
                + forgedRound);

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
    assertThat(audit.out())
        .contains("audit passed")
        .containsPattern("signatures: \\d+ verified, 2 refused");

    List<String> simulate =
        new ArrayList<>(List.of("simulate", "--out", dir.resolve("sim").toString()));
    simulate.addAll(EXPERIMENT);
    SimulateCommandTest.Result s = SimulateCommandTest.run(simulate.toArray(String[]::new));
    assertThat(s.exitCode()).as(s.err()).isZero();
    assertThat(RecordedRuns.metrics(out)).isEqualTo(RecordedRuns.metrics(dir.resolve("sim")));
  }
}
