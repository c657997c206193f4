package io.demlearn.runner;

import static org.assertj.core.api.Assertions.assertThat;

import io.demlearn.pipeline.clients.ClientConfigs;
import io.demlearn.pipeline.clients.ExperimentLog;
import io.demlearn.schemas.ParameterVectors;
import io.demlearn.schemas.avro.GroupModel;
import io.demlearn.schemas.registry.SchemaRegistryConfig;
import io.demlearn.schemas.serde.AvroSerdes;
import io.demlearn.schemas.topics.ExperimentTopics;
import io.demlearn.stack.EmbeddedKafkaBroker;
import io.demlearn.stack.LocalSchemaRegistry;
import io.demlearn.testkit.LocalRegistryExtension;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * An experiment's topics alone rebuild its metrics.jsonl (also after the broker restarts with its
 * data), and the audit confirms its group models, and names a forged one.
 */
@Tag("integration")
@ExtendWith(LocalRegistryExtension.class)
class ReplayAuditIT {
  @TempDir Path dir;

  @Test
  void replayRebuildsTheRunsMetricsAndAuditChecksEveryGroupModel(LocalSchemaRegistry registry)
      throws Exception {
    Path data = dir.resolve("kafka");
    EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(data, false, 0, 0);
    try {
      String id = "replay-1";
      SimulateCommandTest.Result run =
          SimulateCommandTest.run(
              "run",
              "--experiment",
              id,
              "--out",
              dir.resolve("run").toString(),
              "--bootstrap-servers",
              broker.bootstrapServers(),
              "--schema-registry-url",
              registry.url(),
              "--dataset",
              "synthetic",
              "--agents",
              "8",
              "--rounds",
              "4",
              "--seed",
              "11",
              "--algorithm",
              "demlearn-p",
              "--amplify",
              "1.15",
              "--levels",
              "2",
              "--recluster-every",
              "2",
              "--eval-every",
              "2",
              "--eval-agents",
              "5");
      assertThat(run.exitCode()).as(run.out() + run.err()).isZero();
      String recorded = Files.readString(dir.resolve("run/metrics.jsonl"));
      // round 1 is not evaluated; rounds 0, 2 and 3 score 5 of the 8 agents
      assertThat(recorded)
          .contains("\"round\":1,\"hierarchyVersion\":0,\"scoredAgents\":0,\"cSpe\":null")
          .contains("\"round\":3,\"hierarchyVersion\":1,\"scoredAgents\":5,\"cSpe\":");

      SimulateCommandTest.Result replay = replay(broker, registry, id, "replay");
      assertThat(replay.exitCode()).as(replay.out() + replay.err()).isZero();
      assertThat(Files.readString(dir.resolve("replay/metrics.jsonl"))).isEqualTo(recorded);
      assertThat(Files.readString(dir.resolve("replay/report.html")))
          .contains("<svg")
          .contains("C-GEN");
      assertThat(Files.readString(dir.resolve("replay/settings.json")))
          .contains("\"mode\" : \"replay\"");

      SimulateCommandTest.Result audit = audit(broker, registry, id);
      assertThat(audit.exitCode()).as(audit.out() + audit.err()).isZero();
      assertThat(audit.out()).contains("audit passed").contains("rounds 0..3");

      // the broker restarts on the same data: the log is all there
      int port = broker.port();
      int controller = broker.controllerPort();
      broker.close();
      broker = EmbeddedKafkaBroker.start(data, false, port, controller);
      SimulateCommandTest.Result again = replay(broker, registry, id, "replay-after-restart");
      assertThat(again.exitCode()).as(again.out() + again.err()).isZero();
      assertThat(Files.readString(dir.resolve("replay-after-restart/metrics.jsonl")))
          .isEqualTo(recorded);
      assertThat(audit(broker, registry, id).exitCode()).isZero();

      // a forged group model: a recorded one with one parameter changed
      long forgedAt = forge(broker, registry, id);
      SimulateCommandTest.Result caught = audit(broker, registry, id);
      assertThat(caught.exitCode()).as(caught.out() + caught.err()).isEqualTo(1);
      assertThat(caught.err())
          .contains("audit failed: demlearn." + id + ".group-models partition 0 offset " + forgedAt)
          .contains("group model of round 1")
          .contains("parameter 17");
    } finally {
      broker.close();
    }
  }

  @Test
  void aRunThatSamplesAgentsAndClustersProjectionsReplaysAndPassesTheAudit(
      LocalSchemaRegistry registry) {
    EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.startTemporary();
    try {
      String id = "sampled-1";
      SimulateCommandTest.Result run =
          SimulateCommandTest.run(
              "run",
              "--experiment",
              id,
              "--out",
              dir.resolve("sampled").toString(),
              "--bootstrap-servers",
              broker.bootstrapServers(),
              "--schema-registry-url",
              registry.url(),
              "--dataset",
              "synthetic",
              "--agents",
              "10",
              "--rounds",
              "4",
              "--seed",
              "12",
              "--levels",
              "2",
              "--sample-fraction",
              "0.5",
              "--cluster-dims",
              "16");
      assertThat(run.exitCode()).as(run.out() + run.err()).isZero();
      assertThat(Files.readString(dir.resolve("sampled/report.html")))
          .contains("trains a seeded sample of 5 of the 10 agents (--sample-fraction 0.5)");
      assertThat(Files.readString(dir.resolve("sampled/settings.json")))
          .contains("\"sample-fraction\" : 0.5");
      SimulateCommandTest.Result replay = replay(broker, registry, id, "sampled-replay");
      assertThat(replay.exitCode()).as(replay.out() + replay.err()).isZero();
      assertThat(Files.readString(dir.resolve("sampled-replay/metrics.jsonl")))
          .isEqualTo(Files.readString(dir.resolve("sampled/metrics.jsonl")));
      SimulateCommandTest.Result audit = audit(broker, registry, id);
      assertThat(audit.exitCode()).as(audit.out() + audit.err()).isZero();
      assertThat(audit.out()).contains("audit passed").contains("rounds 0..3");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      broker.close();
    }
  }

  @Test
  void anUnknownExperimentIsNamed(LocalSchemaRegistry registry) {
    EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.startTemporary();
    try {
      SimulateCommandTest.Result r = replay(broker, registry, "no-such-experiment", "x");
      assertThat(r.exitCode()).isEqualTo(1);
      assertThat(r.err())
          .contains("no experiment 'no-such-experiment'")
          .doesNotContain("Exception");
      assertThat(dir.resolve("x")).doesNotExist();
      assertThat(audit(broker, registry, "no-such-experiment").err())
          .contains("no experiment 'no-such-experiment'");
    } finally {
      broker.close();
    }
  }

  @Test
  void withoutAClusterReplaySaysWhereToLook() {
    Cli.Result r =
        new Cli(dir).run("replay", "--experiment", "x", "--out", dir.resolve("x").toString());
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(1);
    assertThat(r.err()).contains("--bootstrap-servers").contains("demlearn stack start");
  }

  private SimulateCommandTest.Result replay(
      EmbeddedKafkaBroker broker, LocalSchemaRegistry registry, String id, String out) {
    return SimulateCommandTest.run(
        "replay",
        "--experiment",
        id,
        "--out",
        dir.resolve(out).toString(),
        "--bootstrap-servers",
        broker.bootstrapServers(),
        "--schema-registry-url",
        registry.url());
  }

  private static SimulateCommandTest.Result audit(
      EmbeddedKafkaBroker broker, LocalSchemaRegistry registry, String id) {
    return SimulateCommandTest.run(
        "audit",
        "--experiment",
        id,
        "--bootstrap-servers",
        broker.bootstrapServers(),
        "--schema-registry-url",
        registry.url());
  }

  /** Writes a copy of round 1's first group model with parameter 17 changed; returns its offset. */
  private static long forge(EmbeddedKafkaBroker broker, LocalSchemaRegistry registry, String id)
      throws Exception {
    Map<String, Object> kafka = Map.of("bootstrap.servers", broker.bootstrapServers());
    ExperimentTopics topics = ExperimentTopics.of(id);
    try (AvroSerdes serdes = new AvroSerdes(Map.of(SchemaRegistryConfig.URL, registry.url()));
        ExperimentLog log = new ExperimentLog(kafka, id, Duration.ofSeconds(30));
        KafkaProducer<String, GroupModel> producer =
            new KafkaProducer<>(
                ClientConfigs.producer(kafka, "forger"),
                topics.groupModels().keySerde().serializer(),
                topics.groupModels().valueSerde(serdes).serializer())) {
      var decoder = topics.groupModels().valueSerde(serdes).deserializer();
      List<GroupModel> round1 = new ArrayList<>();
      log.read(
          topics.groupModels(),
          r -> {
            GroupModel g = decoder.deserializeOrNull(r);
            if (g.getRound() == 1) {
              round1.add(g);
            }
          });
      GroupModel forged = GroupModel.newBuilder(round1.get(0)).build();
      float[] p = ParameterVectors.toFloats(forged.getParameters());
      p[17] += 1e-3f;
      forged.setParameters(ParameterVectors.of(forged.getParameters().getModelKind(), p));
      RecordMetadata at =
          producer
              .send(
                  new ProducerRecord<>(topics.groupModels().name(), 0, forged.getGroupId(), forged))
              .get();
      return at.offset();
    }
  }
}
