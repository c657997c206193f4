package io.demlearn.runner;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.demlearn.stack.EmbeddedKafkaBroker;
import io.demlearn.stack.LocalSchemaRegistry;
import io.demlearn.testkit.LocalKafkaExtension;
import io.demlearn.testkit.LocalRegistryExtension;
import io.demlearn.testkit.PrometheusServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code run --process-per-service --metrics-port 0}: one line {@code metrics endpoint: SERVICE
 * URL} per service process (the aggregator, the clusterer and each worker), every endpoint answers
 * with that service's metrics while the run goes on, and a real Prometheus scraping them sees every
 * service's {@code demlearn_} series grow with the rounds, and the Kafka clients' own metrics.
 */
@Tag("integration")
@ExtendWith({LocalKafkaExtension.class, LocalRegistryExtension.class})
class MetricsEndpointsIT {
  private static final Pattern LINE =
      Pattern.compile("(?m)^metrics endpoint: (\\S+) (http://127\\.0\\.0\\.1:\\d+/metrics)$");

  @TempDir Path dir;

  /** Runs an experiment while {@code during} looks at its endpoints (name to URL). */
  private void duringARun(
      EmbeddedKafkaBroker broker,
      LocalSchemaRegistry registry,
      int rounds,
      Callable<Void> during,
      Map<String, String> endpoints)
      throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream oldOut = System.out;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
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
        Integer.toString(rounds),
        "--process-per-service",
        "--workers",
        "2",
        "--metrics-port",
        "0"
      };
      CompletableFuture<Integer> run =
          CompletableFuture.supplyAsync(() -> Main.execute(args, Map.of()));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (endpoints.size() < 4 && !run.isDone() && System.nanoTime() < deadline) {
        Matcher m = LINE.matcher(out.toString(StandardCharsets.UTF_8));
        while (m.find()) {
          endpoints.put(m.group(1), m.group(2));
        }
        Thread.sleep(100);
      }
      assertThat(run).as(out.toString(StandardCharsets.UTF_8)).isNotDone();
      during.call();
      assertThat(run.get(300, TimeUnit.SECONDS)).as(out.toString(StandardCharsets.UTF_8)).isZero();
    } finally {
      System.setOut(oldOut);
    }
  }

  @Test
  void everyServiceProcessServesItsMetricsDuringTheRun(
      EmbeddedKafkaBroker broker, LocalSchemaRegistry registry) throws Exception {
    Map<String, String> endpoints = new LinkedHashMap<>();
    Map<String, String> scraped = new LinkedHashMap<>();
    duringARun(
        broker,
        registry,
        40,
        () -> {
          HttpClient http = HttpClient.newHttpClient();
          for (Map.Entry<String, String> e : endpoints.entrySet()) {
            scraped.put(
                e.getKey(),
                http.send(
                        HttpRequest.newBuilder(URI.create(e.getValue())).build(),
                        HttpResponse.BodyHandlers.ofString())
                    .body());
          }
          return null;
        },
        endpoints);
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

  @Test
  void aRealPrometheusScrapesEveryServiceAndTheirSeriesGrowWithTheRounds(
      EmbeddedKafkaBroker broker, LocalSchemaRegistry registry) throws Exception {
    PrometheusServer.assumeAvailable();
    Map<String, String> endpoints = new LinkedHashMap<>();
    Path prometheusDir = Files.createDirectories(dir.resolve("prometheus"));
    duringARun(
        broker,
        registry,
        150,
        () -> {
          List<String> targets = new ArrayList<>();
          endpoints.values().forEach(u -> targets.add(URI.create(u).getAuthority()));
          try (PrometheusServer prometheus = PrometheusServer.start(prometheusDir, targets)) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            String perTopic = "count(kafka_producer_topic_byte_total{topic=~\".+model-updates\"})";
            while (System.nanoTime() < deadline
                && !(prometheus.value("count(up == 1)") == 4
                    && prometheus.value("sum(demlearn_updates_accepted_total)") > 0
                    && prometheus.value(perTopic) > 0)) {
              Thread.sleep(500);
            }
            assertThat(prometheus.value("count(up == 1)")).as("targets up").isEqualTo(4);
            Set<String> services = new TreeSet<>();
            for (JsonNode s :
                prometheus.query("count by (service) ({__name__=~\"demlearn_.+\"})")) {
              services.add(s.path("metric").path("service").asText());
            }
            assertThat(services).containsExactly("agent-worker", "aggregator", "clusterer");
            List<String> growing =
                List.of(
                    "sum(demlearn_updates_published_total)",
                    "sum(demlearn_rounds_trained_total)",
                    "sum(demlearn_updates_accepted_total)",
                    "sum(demlearn_group_models_total)",
                    "sum(demlearn_phase_seconds_count{phase=\"train\"})",
                    "sum(demlearn_phase_seconds_count{phase=\"aggregate\"})");
            Map<String, Double> before = new LinkedHashMap<>();
            for (String q : growing) {
              before.put(q, prometheus.value(q));
            }
            Thread.sleep(4000);
            for (String q : growing) {
              assertThat(prometheus.value(q)).as(q).isGreaterThan(before.get(q));
            }
            assertThat(prometheus.value("sum(demlearn_hierarchies_published_total)")).isPositive();
            for (String kafka : List.of("kafka_consumer_", "kafka_producer_", "kafka_stream_")) {
              assertThat(prometheus.value("count({__name__=~\"" + kafka + ".+\"})"))
                  .as(kafka + " series")
                  .isPositive();
            }
            assertThat(prometheus.value(perTopic)).as("bytes written per topic").isPositive();
            assertDashboardQueriesAnswer(prometheus);
          }
          return null;
        },
        endpoints);
  }

  /**
   * Every query of the Grafana dashboard (docker/grafana/) runs, and every series it names is there
   * (refusals only once a record is refused).
   */
  private static void assertDashboardQueriesAnswer(PrometheusServer prometheus) throws Exception {
    JsonNode dashboard =
        new ObjectMapper()
            .readTree(Path.of("..", "docker", "grafana", "demlearn-dashboard.json").toFile());
    Pattern name = Pattern.compile("\\b(?:demlearn|kafka|jvm)_[a-z_]+");
    Set<String> names = new TreeSet<>();
    int queries = 0;
    for (JsonNode panel : dashboard.path("panels")) {
      for (JsonNode target : panel.path("targets")) {
        String expr = target.path("expr").asText().replace("$experiment", ".*");
        prometheus.query(expr); // fails if Prometheus refuses it
        queries++;
        Matcher m = name.matcher(expr);
        while (m.find()) {
          names.add(m.group());
        }
      }
    }
    assertThat(queries).isGreaterThanOrEqualTo(10);
    names.remove("demlearn_records_refused_total");
    for (String n : names) {
      assertThat(prometheus.value("count({__name__=\"" + n + "\"})"))
          .as("series " + n + ", which the dashboard shows")
          .isPositive();
    }
  }
}
