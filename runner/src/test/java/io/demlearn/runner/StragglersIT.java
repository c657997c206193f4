package io.demlearn.runner;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.demlearn.pipeline.clients.ExperimentLog;
import io.demlearn.schemas.avro.DeadLetter;
import io.demlearn.schemas.avro.DeadLetterReason;
import io.demlearn.schemas.registry.SchemaRegistryConfig;
import io.demlearn.schemas.serde.AvroSerdes;
import io.demlearn.stack.EmbeddedKafkaBroker;
import io.demlearn.stack.LocalSchemaRegistry;
import io.demlearn.testkit.LocalKafkaExtension;
import io.demlearn.testkit.LocalRegistryExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A straggler policy: one agent always reports 2.5 s late (the round's decision is a round trip
 * from the aggregator's intake to its closer, which can take a second while the aggregator starts);
 * each round closes 0.3 s after its first update with 7 of 8 agents (quorum 0.75); the late updates
 * are recorded as LATE dead letters and not averaged, the metrics say how many members each group
 * had, and the audit agrees.
 */
@Tag("integration")
@ExtendWith({LocalKafkaExtension.class, LocalRegistryExtension.class})
class StragglersIT {
  @TempDir Path dir;

  @Test
  void aSlowAgentIsLeftOutOfClosedRoundsAndItsLateUpdatesAreRecorded(
      EmbeddedKafkaBroker broker, LocalSchemaRegistry registry) throws Exception {
    String id = "straggler-" + UUID.randomUUID().toString().substring(0, 8);
    Path out = dir.resolve("run");
    int rounds = 14;
    SimulateCommandTest.Result r =
        SimulateCommandTest.run(
            "run",
            "--experiment",
            id,
            "--out",
            out.toString(),
            "--bootstrap-servers",
            broker.bootstrapServers(),
            "--schema-registry-url",
            registry.url(),
            "--dataset",
            "synthetic",
            "--agents",
            "8",
            "--rounds",
            Integer.toString(rounds),
            "--seed",
            "41",
            "--algorithm",
            "demlearn-p",
            "--levels",
            "2",
            "--straggler-timeout",
            "0.3",
            "--quorum",
            "0.75",
            "--slow-agent",
            "agent-003=2.5");
    assertThat(r.exitCode()).as(r.out() + r.err()).isZero();

    // from round 1 on, the metrics show the groups without the straggler: the root averaged 7
    // agents
    List<String> lines = Files.readAllLines(out.resolve("metrics.jsonl"));
    assertThat(lines).hasSize(rounds);
    ObjectMapper json = new ObjectMapper();
    for (String line : lines.subList(1, lines.size())) {
      JsonNode members = json.readTree(line).get("groupMembers");
      List<Integer> counts = new ArrayList<>();
      members.forEach(n -> counts.add(n.asInt()));
      assertThat(counts).as(line).isNotEmpty().contains(7).allMatch(c -> c <= 7);
    }
    assertThat(Files.readString(out.resolve("settings.json")))
        .contains("\"stragglerTimeoutSeconds\" : 0.3")
        .contains("\"quorum\" : 0.75");

    // the late updates are recorded, not averaged: LATE dead letters, all of agent-003
    List<DeadLetter> letters = new ArrayList<>();
    try (AvroSerdes serdes = new AvroSerdes(Map.of(SchemaRegistryConfig.URL, registry.url()));
        ExperimentLog log =
            new ExperimentLog(
                Map.of("bootstrap.servers", broker.bootstrapServers()),
                id,
                Duration.ofSeconds(30))) {
      var decoder = log.topics().deadLetters().valueSerde(serdes).deserializer();
      log.read(log.topics().deadLetters(), rec -> letters.add(decoder.deserializeOrNull(rec)));
    }
    // it trains each round after its late update of the round before is out, so it falls behind:
    // its updates of the first rounds are out (and late) before the run ends
    assertThat(letters).as("late updates").hasSizeGreaterThanOrEqualTo(2);
    for (DeadLetter d : letters) {
      assertThat(d.getReason()).isEqualTo(DeadLetterReason.LATE);
      assertThat(new String(d.getKey().array(), StandardCharsets.UTF_8)).isEqualTo("agent-003");
      assertThat(d.getSourceTopic()).isEqualTo("demlearn." + id + ".model-updates");
      assertThat(d.getDetail()).contains("not averaged");
    }

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
    assertThat(audit.out()).contains("late updates were recorded and not averaged");
  }
}
