package io.demlearn.runner;

import static org.assertj.core.api.Assertions.assertThat;

import io.demlearn.stack.EmbeddedKafkaBroker;
import io.demlearn.stack.LocalSchemaRegistry;
import io.demlearn.testkit.LocalKafkaExtension;
import io.demlearn.testkit.LocalRegistryExtension;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code run --metrics-port 0}: one line {@code metrics endpoint: SERVICE URL} per service, each
 * process's own (the aggregator, the clusterer and each worker under --process-per-service), and
 * every endpoint answers with that service's JVM metrics while the run goes on.
 */
@Tag("integration")
@ExtendWith({LocalKafkaExtension.class, LocalRegistryExtension.class})
class MetricsEndpointsIT {
  private static final Pattern LINE =
      Pattern.compile("(?m)^metrics endpoint: (\\S+) (http://127\\.0\\.0\\.1:\\d+/metrics)$");

  @TempDir Path dir;

  @Test
  void everyServiceProcessServesItsMetricsDuringTheRun(
      EmbeddedKafkaBroker broker, LocalSchemaRegistry registry) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream oldOut = System.out;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    CompletableFuture<Integer> run;
    Map<String, String> endpoints = new LinkedHashMap<>();
    Map<String, String> scraped = new LinkedHashMap<>();
    try {
      String[] args = {
        "run",
        "--experiment",
        "metrics-" + UUID.randomUUID().toString().substring(0, 8),
        "--out",
        dir.resolve("run").toString(),
        "--bootstrap-servers",
        broker.bootstrapServers(),
        "--schema-registry-url",
        registry.url(),
        "--dataset",
        "synthetic",
        "--agents",
        "6",
        "--rounds",
        "40",
        "--process-per-service",
        "--workers",
        "2",
        "--metrics-port",
        "0"
      };
      run = CompletableFuture.supplyAsync(() -> Main.execute(args, Map.of()));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (endpoints.size() < 4 && !run.isDone() && System.nanoTime() < deadline) {
        Matcher m = LINE.matcher(out.toString(StandardCharsets.UTF_8));
        while (m.find()) {
          endpoints.put(m.group(1), m.group(2));
        }
        Thread.sleep(100);
      }
      HttpClient http = HttpClient.newHttpClient();
      for (Map.Entry<String, String> e : endpoints.entrySet()) {
        scraped.put(
            e.getKey(),
            http.send(
                    HttpRequest.newBuilder(URI.create(e.getValue())).build(),
                    HttpResponse.BodyHandlers.ofString())
                .body());
      }
      assertThat(run.get(300, TimeUnit.SECONDS)).as(out.toString(StandardCharsets.UTF_8)).isZero();
    } finally {
      System.setOut(oldOut);
    }
    assertThat(endpoints).containsOnlyKeys("aggregator", "clusterer", "worker-1", "worker-2");
    assertThat(endpoints.values()).doesNotHaveDuplicates();
    Map<String, String> service =
        Map.of(
            "aggregator", "aggregator",
            "clusterer", "clusterer",
            "worker-1", "agent-worker",
            "worker-2", "agent-worker");
    scraped.forEach(
        (name, body) ->
            assertThat(body)
                .as(name)
                .contains("jvm_memory_used_bytes{")
                .contains("service=\"" + service.get(name) + "\""));
  }
}
