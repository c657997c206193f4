package io.demlearn.runner;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.demlearn.pipeline.clients.ExperimentLog;
import io.demlearn.schemas.avro.DeadLetter;
import io.demlearn.schemas.avro.DeadLetterReason;
import io.demlearn.schemas.avro.GroupModel;
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
import java.util.TreeSet;
import java.util.UUID;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A straggler policy: one agent has a hiccup, its update of round 3 held back 2.5 s (not earlier:
 * the round's decision is a round trip from the aggregator's intake to its closer, which can take
 * seconds while the aggregator starts); each round closes 0.3 s after its first update with 7 of 8
 * agents (quorum 0.75); the late update is recorded as a LATE dead letter and not averaged, the
 * metrics say how many members each group had, the agent then catches up from the newest closed
 * round and counts again, and the audit agrees.
 */
@Tag("integration")
@ExtendWith({LocalKafkaExtension.class, LocalRegistryExtension.class})
class StragglersIT {
  @TempDir Path dir;

  @Test
  void aSlowAgentIsLeftOutOfClosedRoundsThenCatchesUpAndCountsAgain(
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
            "agent-003=2.5@3");
    assertThat(r.exitCode()).as(r.out() + r.err()).isZero();

    // the metrics say how many agents each group averaged (those of round r describe the group
    // models of round r-1); round 3 closed without the straggler
    List<String> lines = Files.readAllLines(out.resolve("metrics.jsonl"));
    assertThat(lines).hasSize(rounds);
    ObjectMapper json = new ObjectMapper();
    List<Integer> roots = new ArrayList<>();
    for (String line : lines.subList(1, lines.size())) {
      List<Integer> counts = new ArrayList<>();
      json.readTree(line).get("groupMembers").forEach(n -> counts.add(n.asInt()));
      assertThat(counts).as(line).isNotEmpty().allMatch(c -> c <= 8);
      roots.add(counts.stream().max(Integer::compare).orElseThrow());
    }
    assertThat(roots.get(3)).as("round 3 closed without it: " + roots).isLessThanOrEqualTo(7);
    assertThat(Files.readString(out.resolve("settings.json")))
        .contains("\"stragglerTimeoutSeconds\" : 0.3")
        .contains("\"quorum\" : 0.75");

    // the late updates are recorded, not averaged: LATE dead letters, all of agent-003
    List<DeadLetter> letters = new ArrayList<>();
    TreeSet<Integer> averaged = new TreeSet<>();
    try (AvroSerdes serdes = new AvroSerdes(Map.of(SchemaRegistryConfig.URL, registry.url()));
        ExperimentLog log =
            new ExperimentLog(
                Map.of("bootstrap.servers", broker.bootstrapServers()),
                id,
                Duration.ofSeconds(30))) {
      var decoder = log.topics().deadLetters().valueSerde(serdes).deserializer();
      log.read(log.topics().deadLetters(), rec -> letters.add(decoder.deserializeOrNull(rec)));
      var groups = log.topics().groupModels().valueSerde(serdes).deserializer();
      log.read(
          log.topics().groupModels(),
          rec -> {
            GroupModel g = groups.deserializeOrNull(rec);
            if (g.getMemberIds().contains("agent-003")) {
              averaged.add(g.getRound());
            }
          });
    }
    // a hiccup costs it rounds, not the rest of the experiment: it catches up from the newest
    // closed round and is averaged again in most later rounds
    assertThat(averaged).as("rounds averaging agent-003").contains(0, 1).doesNotContain(3);
    assertThat(averaged.tailSet(4).size())
        .as("rounds after the hiccup averaging agent-003: " + averaged)
        .isGreaterThanOrEqualTo((rounds - 4) / 2);
    // its update of round 3 is late; once it is out, the agent goes on from the newest closed
    // round (whose next round may, rarely, close before the agent's update of it is in: late too)
    assertThat(letters).as("late updates").isNotEmpty();
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
