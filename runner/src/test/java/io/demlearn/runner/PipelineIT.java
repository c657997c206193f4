package io.demlearn.runner;

import static org.assertj.core.api.Assertions.assertThat;

import io.demlearn.stack.EmbeddedKafkaBroker;
import io.demlearn.stack.LocalSchemaRegistry;
import io.demlearn.testkit.LocalKafkaExtension;
import io.demlearn.testkit.LocalRegistryExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The streaming pipeline through a real broker and registry gives the simulator's metrics, to the
 * last digit, and a report.
 */
@Tag("integration")
@ExtendWith({LocalKafkaExtension.class, LocalRegistryExtension.class})
class PipelineIT {
  @TempDir Path dir;

  private void sameAsTheSimulator(
      EmbeddedKafkaBroker broker, LocalSchemaRegistry registry, String... experiment)
      throws IOException {
    sameAsTheSimulator(dir, broker, registry, List.of(), experiment);
  }

  private void sameAsTheSimulator(
      EmbeddedKafkaBroker broker,
      LocalSchemaRegistry registry,
      List<String> runOnly,
      String... experiment)
      throws IOException {
    sameAsTheSimulator(dir, broker, registry, runOnly, experiment);
  }

  /**
   * Simulates and runs the experiment (in {@code dir}), asserting equal metrics and a report;
   * {@code runOnly}: options of {@code run} alone.
   */
  static void sameAsTheSimulator(
      Path dir,
      EmbeddedKafkaBroker broker,
      LocalSchemaRegistry registry,
      List<String> runOnly,
      String... experiment)
      throws IOException {
    String id = "pipe-" + UUID.randomUUID().toString().substring(0, 8);
    List<String> common = List.of(experiment);
    List<String> sim =
        new ArrayList<>(List.of("simulate", "--out", dir.resolve("sim-" + id).toString()));
    sim.addAll(common);
    SimulateCommandTest.Result s = SimulateCommandTest.run(sim.toArray(new String[0]));
    assertThat(s.exitCode()).as(s.err()).isZero();

    List<String> run =
        new ArrayList<>(
            List.of(
                "run",
                "--experiment",
                id,
                "--out",
                dir.resolve("run-" + id).toString(),
                "--bootstrap-servers",
                broker.bootstrapServers(),
                "--schema-registry-url",
                registry.url(),
                "--stall-timeout",
                "120"));
    run.addAll(common);
    run.addAll(runOnly);
    SimulateCommandTest.Result r = SimulateCommandTest.run(run.toArray(new String[0]));
    assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains("round   C-SPE").contains("report:");

    List<String> expected = RecordedRuns.metrics(dir.resolve("sim-" + id));
    assertThat(RecordedRuns.metrics(dir.resolve("run-" + id)))
        .hasSize(expected.size())
        .isEqualTo(expected);
    assertThat(Files.readString(dir.resolve("run-" + id).resolve("report.html")))
        .contains("<svg")
        .contains("C-GEN");
    assertThat(dir.resolve("run-" + id).resolve("metrics.jsonl.partial")).doesNotExist();
  }

  @Test
  void demLearnPWithAmplifyEqualsTheSimulator(
      EmbeddedKafkaBroker broker, LocalSchemaRegistry registry) throws IOException {
    sameAsTheSimulator(
        broker,
        registry,
        "--dataset",
        "synthetic",
        "--agents",
        "8",
        "--rounds",
        "4",
        "--seed",
        "3",
        "--algorithm",
        "demlearn-p",
        "--amplify",
        "1.15",
        "--levels",
        "2");
  }

  @Test
  void fedProxEqualsTheSimulator(EmbeddedKafkaBroker broker, LocalSchemaRegistry registry)
      throws IOException {
    sameAsTheSimulator(
        broker,
        registry,
        "--dataset",
        "synthetic",
        "--agents",
        "6",
        "--rounds",
        "3",
        "--seed",
        "4",
        "--algorithm",
        "fedprox");
  }

  @Test
  void reclusteringEveryOtherRoundEqualsTheSimulator(
      EmbeddedKafkaBroker broker, LocalSchemaRegistry registry) throws IOException {
    sameAsTheSimulator(
        broker,
        registry,
        "--dataset",
        "synthetic",
        "--agents",
        "7",
        "--rounds",
        "5",
        "--seed",
        "5",
        "--algorithm",
        "demlearn",
        "--recluster-every",
        "2");
  }

  @Test
  void evaluationCadenceSampledScoresAndAProjectedClusteringEqualTheSimulator(
      EmbeddedKafkaBroker broker, LocalSchemaRegistry registry) throws IOException {
    sameAsTheSimulator(
        broker,
        registry,
        "--dataset",
        "synthetic",
        "--agents",
        "12",
        "--rounds",
        "5",
        "--seed",
        "6",
        "--eval-every",
        "3",
        "--eval-agents",
        "5",
        "--cluster-dims",
        "24");
  }

  @Test
  void agentSamplingOverTwoWorkersEqualsTheSimulator(
      EmbeddedKafkaBroker broker, LocalSchemaRegistry registry) throws IOException {
    // agents miss rounds, come back from the newer group models, and are clustered by their latest
    // model while absent; groups with no agent in a round have no model
    sameAsTheSimulator(
        broker,
        registry,
        List.of("--workers", "2"),
        "--dataset",
        "synthetic",
        "--agents",
        "12",
        "--rounds",
        "6",
        "--seed",
        "8",
        "--algorithm",
        "demlearn-p",
        "--levels",
        "2",
        "--recluster-every",
        "2",
        "--sample-fraction",
        "0.4",
        "--eval-agents",
        "8");
  }

  @Test
  void fedAvgWithAgentSamplingEqualsTheSimulator(
      EmbeddedKafkaBroker broker, LocalSchemaRegistry registry) throws IOException {
    sameAsTheSimulator(
        broker,
        registry,
        "--dataset",
        "synthetic",
        "--agents",
        "10",
        "--rounds",
        "5",
        "--seed",
        "9",
        "--algorithm",
        "fedavg",
        "--sample-fraction",
        "0.3");
  }

  @Test
  void threeWorkerProcessesEqualTheSimulator(
      EmbeddedKafkaBroker broker, LocalSchemaRegistry registry) throws IOException {
    sameAsTheSimulator(
        broker,
        registry,
        List.of("--workers", "3"),
        "--dataset",
        "synthetic",
        "--agents",
        "9",
        "--rounds",
        "3",
        "--seed",
        "6",
        "--algorithm",
        "demlearn-p");
  }

  @Test
  void theCnnsLargeUpdatesGoThroughAndEqualTheSimulator(
      EmbeddedKafkaBroker broker, LocalSchemaRegistry registry) throws IOException {
    // 834,922 float32 parameters: 3.3 MB per update and group model
    sameAsTheSimulator(
        broker,
        registry,
        "--dataset",
        "synthetic",
        "--agents",
        "3",
        "--rounds",
        "2",
        "--seed",
        "7",
        "--algorithm",
        "demlearn",
        "--model",
        "cnn",
        "--levels",
        "1");
  }

  @Test
  void theGroupModelsOnTheTopicEqualTheSimulatorsBitForBit(
      EmbeddedKafkaBroker broker, LocalSchemaRegistry registry) throws Exception {
    String id = "groups-" + UUID.randomUUID().toString().substring(0, 8);
    String[] experiment = {
      "--dataset",
      "synthetic",
      "--agents",
      "8",
      "--rounds",
      "3",
      "--seed",
      "8",
      "--algorithm",
      "demlearn-p",
      "--amplify",
      "1.15",
      "--levels",
      "2"
    };
    List<String> run =
        new ArrayList<>(
            List.of(
                "run",
                "--experiment",
                id,
                "--out",
                dir.resolve(id).toString(),
                "--bootstrap-servers",
                broker.bootstrapServers(),
                "--schema-registry-url",
                registry.url()));
    run.addAll(List.of(experiment));
    SimulateCommandTest.Result r = SimulateCommandTest.run(run.toArray(new String[0]));
    assertThat(r.exitCode()).as(r.err()).isZero();

    RecordedRuns.assertSameGroupModels(
        RecordedRuns.recordedGroupModels(broker.bootstrapServers(), registry.url(), id),
        RecordedRuns.simulatorGroupModels(experiment));
  }

  @Test
  void anUpdateTheAggregatorWouldRefuseStopsTheRunWithWhy(
      EmbeddedKafkaBroker broker, LocalSchemaRegistry registry) {
    SimulateCommandTest.Result r =
        SimulateCommandTest.run(
            "run",
            "--experiment",
            "norm-" + UUID.randomUUID(),
            "--out",
            dir.resolve("norm").toString(),
            "--bootstrap-servers",
            broker.bootstrapServers(),
            "--schema-registry-url",
            registry.url(),
            "--dataset",
            "synthetic",
            "--agents",
            "4",
            "--rounds",
            "3",
            "--max-update-norm",
            "0.001",
            "--stall-timeout",
            "60");
    assertThat(r.exitCode()).as(r.out() + r.err()).isEqualTo(1);
    assertThat(r.err())
        .contains("would be refused (NORM_BOUND)")
        .contains("--max-update-norm")
        .doesNotContain("no round completed");
  }

  @Test
  void localTrainingIsRefusedWithAPointer(EmbeddedKafkaBroker broker) {
    SimulateCommandTest.Result r =
        SimulateCommandTest.run(
            "run",
            "--dataset",
            "synthetic",
            "--algorithm",
            "local",
            "--bootstrap-servers",
            broker.bootstrapServers(),
            "--out",
            dir.resolve("x").toString());
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.err()).contains("demlearn simulate");
  }
}
