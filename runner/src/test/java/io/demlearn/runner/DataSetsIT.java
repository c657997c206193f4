package io.demlearn.runner;

import static org.assertj.core.api.Assertions.assertThat;

import io.demlearn.core.testing.CifarFiles;
import io.demlearn.core.testing.LeafFiles;
import io.demlearn.stack.EmbeddedKafkaBroker;
import io.demlearn.stack.LocalSchemaRegistry;
import io.demlearn.testkit.LocalKafkaExtension;
import io.demlearn.testkit.LocalRegistryExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The paper's other data sets through the streaming pipeline: FEMNIST in LEAF's JSON files and
 * CIFAR-10 in its binary files, written by the test, give the simulator's metrics to the last digit
 * with 20 agents, with the linear model and with the authors' CNN for each.
 */
@Tag("integration")
@ExtendWith({LocalKafkaExtension.class, LocalRegistryExtension.class})
class DataSetsIT {
  @TempDir Path dir;

  @Test
  void femnistUsersSampledFromLeafFilesEqualTheSimulator(
      EmbeddedKafkaBroker broker, LocalSchemaRegistry registry) throws IOException {
    Path data = LeafFiles.dataset(dir.resolve("femnist"), 24, 3, 5);
    sameAsTheSimulator(
        broker,
        registry,
        "--dataset",
        "femnist",
        "--data-dir",
        data.toString(),
        "--agents",
        "20",
        "--leaf-users",
        "sample",
        "--rounds",
        "3",
        "--seed",
        "4");
    String settings = Files.readString(onlyRun("femnist").resolve("settings.json"));
    assertThat(settings).contains("\"leaf-users\" : \"sample\"").contains("\"alpha\" : 0.7");
  }

  @Test
  void femnistsCnnEqualsTheSimulator(EmbeddedKafkaBroker broker, LocalSchemaRegistry registry)
      throws IOException {
    Path data = LeafFiles.dataset(dir.resolve("femnist"), 20, 2, 6);
    sameAsTheSimulator(
        broker,
        registry,
        "--dataset",
        "femnist",
        "--data-dir",
        data.toString(),
        "--agents",
        "all",
        "--model",
        "cnn",
        "--rounds",
        "2",
        "--seed",
        "2");
  }

  @Test
  void cifarsCnnOnItsBinaryFilesEqualsTheSimulator(
      EmbeddedKafkaBroker broker, LocalSchemaRegistry registry) throws IOException {
    Path data = CifarFiles.dataset(dir.resolve("cifar"), 150, 250, 7);
    sameAsTheSimulator(
        broker,
        registry,
        "--dataset",
        "cifar10",
        "--data-dir",
        data.toString(),
        "--agents",
        "20",
        "--model",
        "cnn",
        "--rounds",
        "2",
        "--seed",
        "3");
  }

  @Test
  void cifarWithTheLinearModelEqualsTheSimulator(
      EmbeddedKafkaBroker broker, LocalSchemaRegistry registry) throws IOException {
    Path data = CifarFiles.dataset(dir.resolve("cifar"), 150, 250, 8);
    sameAsTheSimulator(
        broker,
        registry,
        "--dataset",
        "cifar10",
        "--data-dir",
        data.toString(),
        "--agents",
        "20",
        "--rounds",
        "4",
        "--seed",
        "5");
  }

  private void sameAsTheSimulator(
      EmbeddedKafkaBroker broker, LocalSchemaRegistry registry, String... experiment)
      throws IOException {
    PipelineIT.sameAsTheSimulator(dir, broker, registry, List.of(), experiment);
  }

  /** The one run directory of this test (run-ID). */
  private Path onlyRun(String what) throws IOException {
    try (var s = Files.list(dir)) {
      List<Path> runs = s.filter(p -> p.getFileName().toString().startsWith("run-")).toList();
      assertThat(runs).as("run directories of the %s test", what).hasSize(1);
      return runs.get(0);
    }
  }
}
