package io.demlearn.runner;

import static org.assertj.core.api.Assertions.assertThat;

import io.demlearn.stack.EmbeddedKafkaBroker;
import io.demlearn.stack.JavaProcesses;
import io.demlearn.stack.LocalSchemaRegistry;
import io.demlearn.testkit.LocalKafkaExtension;
import io.demlearn.testkit.LocalRegistryExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code run --external-services}: the services started on their own beforehand (as a deployment
 * starts them: each waits for the experiment's spec, with no --worker-id or --instance, so both
 * workers are named by their host and process and work side by side), the run creates the
 * experiment and follows it; its metrics equal {@code simulate}'s. Without the services it stops,
 * saying what is missing.
 */
@Tag("integration")
@ExtendWith({LocalKafkaExtension.class, LocalRegistryExtension.class})
class ExternalServicesIT {
  private static final String[] EXPERIMENT = {
    "--dataset", "synthetic", "--agents", "12", "--rounds", "5", "--seed", "8"
  };

  @TempDir Path dir;

  @Test
  void servicesStartedBeforehandRunTheExperimentTheRunCreates(
      EmbeddedKafkaBroker broker, LocalSchemaRegistry registry) throws Exception {
    String id = "external-" + UUID.randomUUID().toString().substring(0, 8);
    List<String> common =
        List.of(
            "--experiment",
            id,
            "--bootstrap-servers",
            broker.bootstrapServers(),
            "--schema-registry-url",
            registry.url(),
            "--spec-wait",
            "0");
    List<Process> services = new ArrayList<>();
    try {
      services.add(start("io.demlearn.aggregator.AggregatorMain", "aggregator", common));
      services.add(start("io.demlearn.clusterer.ClustererMain", "clusterer", common));
      List<String> withMetrics = new ArrayList<>(common);
      withMetrics.addAll(List.of("--metrics-port", "0"));
      services.add(start("io.demlearn.worker.AgentWorkerMain", "worker-a", withMetrics));
      services.add(start("io.demlearn.worker.AgentWorkerMain", "worker-b", common));

      Path out = dir.resolve("run");
      List<String> run =
          new ArrayList<>(
              List.of(
                  "run",
                  "--external-services",
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
      run.addAll(List.of(EXPERIMENT));
      SimulateCommandTest.Result result = SimulateCommandTest.run(run.toArray(String[]::new));
      assertThat(result.exitCode()).as(result.out() + result.err()).isZero();
      assertThat(result.out()).contains("run elsewhere (--external-services)");

      Path sim = dir.resolve("sim");
      List<String> simulate = new ArrayList<>(List.of("simulate", "--out", sim.toString()));
      simulate.addAll(List.of(EXPERIMENT));
      assertThat(SimulateCommandTest.run(simulate.toArray(String[]::new)).exitCode()).isZero();
      assertThat(RecordedRuns.metrics(out)).isEqualTo(RecordedRuns.metrics(sim));
      for (Process p : services) {
        assertThat(p.isAlive()).as("a service still runs, waiting for more").isTrue();
      }
      Matcher endpoint =
          Pattern.compile("metrics endpoint: agent-worker (http://127\\.0\\.0\\.1:\\d+/metrics)")
              .matcher(Files.readString(dir.resolve("worker-a.log")));
      assertThat(endpoint.find()).as("the worker prints its metrics endpoint").isTrue();
      String scraped =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create(endpoint.group(1))).build(),
                  HttpResponse.BodyHandlers.ofString())
              .body();
      assertThat(scraped)
          .contains("jvm_memory_used_bytes{")
          .contains("experiment=\"" + id + "\"")
          .contains("service=\"agent-worker\"");
    } finally {
      services.forEach(Process::destroy);
      for (Process p : services) {
        JavaProcesses.stop(p.toHandle(), 15);
      }
    }
  }

  @Test
  void withoutServicesOrAnIdItSaysWhatIsMissing(
      EmbeddedKafkaBroker broker, LocalSchemaRegistry registry) {
    SimulateCommandTest.Result noId =
        SimulateCommandTest.run("run", "--external-services", "--dataset", "synthetic");
    assertThat(noId.exitCode()).isEqualTo(1);
    assertThat(noId.err()).contains("--external-services needs --experiment ID");

    String id = "nobody-" + UUID.randomUUID().toString().substring(0, 8);
    SimulateCommandTest.Result nobody =
        SimulateCommandTest.run(
            "run",
            "--external-services",
            "--experiment",
            id,
            "--out",
            dir.resolve("nobody").toString(),
            "--bootstrap-servers",
            broker.bootstrapServers(),
            "--schema-registry-url",
            registry.url(),
            "--stall-timeout",
            "3",
            "--dataset",
            "synthetic",
            "--agents",
            "4",
            "--rounds",
            "2");
    assertThat(nobody.exitCode()).isEqualTo(1);
    assertThat(nobody.err())
        .contains("no round completed for 3 s")
        .contains("do an aggregator, the clusterer and agent workers run, with --experiment " + id);
  }

  private Process start(String mainClass, String name, List<String> args) throws Exception {
    List<String> command =
        new ArrayList<>(
            List.of(
                JavaProcesses.javaExecutable(),
                "-Xmx512m",
                "-XX:TieredStopAtLevel=1",
                "-cp",
                System.getProperty("java.class.path"),
                mainClass));
    command.addAll(args);
    return new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve(name + ".log").toFile())
        .start();
  }
}
