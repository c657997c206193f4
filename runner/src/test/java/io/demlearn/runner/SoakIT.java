package io.demlearn.runner;

import static org.assertj.core.api.Assertions.assertThat;

import io.demlearn.aggregator.AggregatorTopology;
import io.demlearn.pipeline.clients.ExperimentLog;
import io.demlearn.stack.EmbeddedKafkaBroker;
import io.demlearn.stack.LocalSchemaRegistry;
import io.demlearn.testkit.LocalKafkaExtension;
import io.demlearn.testkit.LocalRegistryExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bounded soak: 200 rounds through the pipeline, re-clustering every round (200 hierarchy
 * versions). The aggregator's state at the end, read from its changelogs, holds what the retained
 * rounds need and no more: no pending update, one entry per agent (its last round, the offsets of
 * its updates of the last {@value AggregatorTopology#RETAINED_ROUNDS} rounds), the progress of the
 * retained rounds, the hierarchy versions still in force. Memory over time is measured by
 * bench/soak.sh (docs/BENCHMARKS.md).
 */
@Tag("integration")
@ExtendWith({LocalKafkaExtension.class, LocalRegistryExtension.class})
class SoakIT {
  private static final int AGENTS = 6;
  private static final int ROUNDS = 200;

  @TempDir Path dir;

  @Test
  @Timeout(value = 6, unit = TimeUnit.MINUTES)
  void twoHundredRoundsLeaveOnlyTheRetainedRoundsInTheAggregatorsState(
      EmbeddedKafkaBroker broker, LocalSchemaRegistry registry) throws Exception {
    String id = "soak-" + UUID.randomUUID().toString().substring(0, 8);
    SimulateCommandTest.Result r =
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
            Integer.toString(AGENTS),
            "--rounds",
            Integer.toString(ROUNDS),
            "--seed",
            "51",
            "--algorithm",
            "demlearn-p",
            "--levels",
            "2",
            "--recluster-every",
            "1");
    assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
    assertThat(Files.readAllLines(dir.resolve("run/metrics.jsonl"))).hasSize(ROUNDS);

    Map<String, Integer> live = new LinkedHashMap<>();
    try (ExperimentLog log =
        new ExperimentLog(
            Map.of("bootstrap.servers", broker.bootstrapServers()), id, Duration.ofSeconds(30))) {
      for (String store :
          List.of(
              AggregatorTopology.INTAKE_PARTIALS,
              AggregatorTopology.LEVEL_GROUPS,
              AggregatorTopology.INTAKE_COUNTED,
              AggregatorTopology.INTAKE_ROUNDS,
              AggregatorTopology.INTAKE_HIERARCHIES,
              AggregatorTopology.GATE_HIERARCHIES)) {
        Map<String, Boolean> keys = new HashMap<>();
        log.read(
            AggregatorTopology.applicationId(id) + "-" + store + "-changelog",
            rec -> keys.put(rec.key(), rec.value() != null));
        live.put(store, (int) keys.values().stream().filter(v -> v).count());
      }
    }
    System.out.println(
        "live entries in the aggregator's stores after " + ROUNDS + " rounds: " + live);
    int retained = AggregatorTopology.RETAINED_ROUNDS;
    assertThat(live.get(AggregatorTopology.INTAKE_PARTIALS)).isZero();
    assertThat(live.get(AggregatorTopology.LEVEL_GROUPS)).isZero();
    // one entry per agent: its last round, the offsets of its updates of the retained rounds
    assertThat(live.get(AggregatorTopology.INTAKE_COUNTED)).isEqualTo(AGENTS);
    // per retained round: its progress, and a mark per group sent
    assertThat(live.get(AggregatorTopology.INTAKE_ROUNDS)).isBetween(1, (retained + 1) * 20);
    assertThat(live.get(AggregatorTopology.INTAKE_HIERARCHIES)).isBetween(1, retained + 2);
    assertThat(live.get(AggregatorTopology.GATE_HIERARCHIES)).isBetween(1, retained + 2);
  }
}
