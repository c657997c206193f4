package io.demlearn.runner;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.demlearn.pipeline.clients.ExperimentLog;
import io.demlearn.schemas.avro.ClusteringFeatures;
import io.demlearn.schemas.avro.GroupContribution;
import io.demlearn.schemas.avro.GroupModel;
import io.demlearn.schemas.avro.HierarchyAssignment;
import io.demlearn.schemas.registry.SchemaRegistryConfig;
import io.demlearn.schemas.serde.AvroSerdes;
import io.demlearn.stack.EmbeddedKafkaBroker;
import io.demlearn.stack.LocalSchemaRegistry;
import io.demlearn.testkit.HeadlessBrowser;
import io.demlearn.testkit.LocalKafkaExtension;
import io.demlearn.testkit.LocalRegistryExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A DemLearn-P run and a FedAvg run through Kafka: each round's {@code bytes} in metrics.jsonl
 * equal the sizes of that round's records, read back from the topics and decoded here; {@code
 * compare} of the two gives one page that a real headless browser loads without an error, drawing
 * every series, with the summary table.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith({LocalKafkaExtension.class, LocalRegistryExtension.class})
class TrafficAndCompareIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Path dir;
  private final String suffix = UUID.randomUUID().toString().substring(0, 8);
  private final String demlearn = "traffic-p-" + suffix;
  private final String fedavg = "traffic-fedavg-" + suffix;
  private EmbeddedKafkaBroker broker;
  private LocalSchemaRegistry registry;

  @BeforeAll
  void runBoth(EmbeddedKafkaBroker broker, LocalSchemaRegistry registry, @TempDir Path dir) {
    this.dir = dir;
    this.broker = broker;
    this.registry = registry;
    run(demlearn, "demlearn-p");
    run(fedavg, "fedavg");
  }

  private void run(String id, String algorithm) {
    SimulateCommandTest.Result r =
        SimulateCommandTest.run(
            "run",
            "--experiment",
            id,
            "--out",
            dir.resolve(id).toString(),
            "--bootstrap-servers",
            broker.bootstrapServers(),
            "--schema-registry-url",
            registry.url(),
            "--stall-timeout",
            "120",
            "--algorithm",
            algorithm,
            "--dataset",
            "synthetic",
            "--agents",
            "8",
            "--rounds",
            "5");
    assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
  }

  @Test
  void demlearnBytesPerHopEqualTheSizesOfTheRoundsRecords() throws Exception {
    assertTrafficIsTheRecords(demlearn);
  }

  @Test
  void fedAvgBytesPerHopEqualTheSizesOfTheRoundsRecords() throws Exception {
    assertTrafficIsTheRecords(fedavg);
  }

  @Test
  void compareShowsBothRunsInARealBrowser() throws Exception {
    Path page = dir.resolve("pages").resolve("compare.html");
    SimulateCommandTest.Result r =
        SimulateCommandTest.run(
            "compare",
            dir.resolve(demlearn).toString(),
            dir.resolve(fedavg).toString(),
            "--out",
            page.toString());
    assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains("comparison of 2 experiments: " + page);
    String html = Files.readString(page);
    assertThat(html).contains(demlearn + " (demlearn-p, mlr)").contains(fedavg + " (fedavg, mlr)");
    // self-contained: nothing to fetch, nothing to run
    assertThat(html).doesNotContain("<script").doesNotContain("src=").doesNotContain("href=");

    HeadlessBrowser.assumeAvailable();
    try (HeadlessBrowser browser = HeadlessBrowser.start()) {
      HeadlessBrowser.Page shown =
          browser.load(
              page,
              "JSON.stringify({series: Array.from(document.querySelectorAll('g.series')).map(g =>"
                  + " {const p = g.querySelector('path'); const b = p.getBBox();"
                  + " return {name: g.dataset.name, length: p.getTotalLength(),"
                  + " width: b.width, markers: g.children.length - 1};}),"
                  + " rows: Array.from(document.querySelectorAll('#summary tr')).map(tr =>"
                  + " Array.from(tr.children).map(c => c.textContent))})");
      assertThat(shown.errors()).as("console errors").isEmpty();
      JsonNode value = JSON.readTree(shown.value().asText());
      List<String> drawn = new ArrayList<>();
      for (JsonNode s : value.path("series")) {
        assertThat(s.path("length").asDouble()).as(s.toString()).isPositive();
        assertThat(s.path("width").asDouble()).as(s.toString()).isPositive();
        assertThat(s.path("markers").asInt()).as(s.toString()).isPositive();
        drawn.add(s.path("name").asText());
      }
      // C-SPE, C-GEN, Global, seconds and traffic: one series per run in each chart
      String a = demlearn + " (demlearn-p, mlr)";
      String b = fedavg + " (fedavg, mlr)";
      assertThat(drawn).containsExactly(a, b, a, b, a, b, a, b, a, b);
      JsonNode rows = value.path("rows");
      assertThat(rows).hasSize(3);
      assertThat(rows.get(0).toString()).contains("C-SPE final").contains("median s/round");
      for (int i = 1; i <= 2; i++) {
        JsonNode row = rows.get(i);
        assertThat(row.get(0).asText()).isEqualTo(i == 1 ? a : b);
        assertThat(row.get(1).asText()).isEqualTo("5");
        for (int c = 2; c < row.size(); c++) {
          assertThat(row.get(c).asText()).as("column %d of %s", c, row).matches("[0-9.]+");
        }
      }
    }
  }

  /** Every round's {@code bytes} against the records of the round on the topics. */
  private void assertTrafficIsTheRecords(String id) throws Exception {
    Map<Integer, Map<String, Long>> expected = new TreeMap<>();
    int top;
    try (AvroSerdes serdes = new AvroSerdes(Map.of(SchemaRegistryConfig.URL, registry.url()));
        ExperimentLog log =
            new ExperimentLog(
                Map.of("bootstrap.servers", broker.bootstrapServers()),
                id,
                Duration.ofSeconds(30))) {
      var topics = log.topics();
      var updates = topics.modelUpdates().valueSerde(serdes).deserializer();
      log.read(
          topics.modelUpdates(),
          r -> add(expected, updates.deserialize(r.topic(), r.value()).getRound(), "updates", r));
      var groups = topics.groupModels().valueSerde(serdes).deserializer();
      Set<String> seen = new HashSet<>();
      log.read(
          topics.groupModels(),
          r -> {
            GroupModel g = groups.deserialize(r.topic(), r.value());
            assertThat(seen.add(g.getRound() + "/" + g.getGroupId())).isTrue();
            add(expected, g.getRound(), "groupModels-" + g.getLevel(), r);
            expected.get(g.getRound()).merge("toAgents", size(r) * g.getAgentCount(), Long::sum);
          });
      var hierarchies = topics.hierarchyAssignments().valueSerde(serdes).deserializer();
      log.read(
          topics.hierarchyAssignments(),
          r -> {
            HierarchyAssignment h = hierarchies.deserialize(r.topic(), r.value());
            add(expected, h.getEffectiveFromRound(), "hierarchy", r);
          });
      JsonNode settings =
          JSON.readTree(dir.resolve(id).resolve("settings.json").toFile()).path("settings");
      top =
          "fedavg".equals(settings.path("algorithm").asText())
              ? 1
              : settings.path("levels").asInt() + 1;
      var contributions = topics.aggregationLevel(1).valueSerde(serdes).deserializer();
      for (int level = 1; level <= top; level++) {
        String topic = topics.aggregationLevel(level).name();
        int l = level;
        log.read(
            topic,
            r -> {
              GroupContribution c = contributions.deserialize(r.topic(), r.value());
              add(expected, c.getRound(), "sums-" + l, r);
            });
      }
      var features = topics.clusteringFeatures().valueSerde(serdes).deserializer();
      log.read(
          topics.clusteringFeatures(),
          r -> {
            ClusteringFeatures f = features.deserialize(r.topic(), r.value());
            add(expected, f.getRound(), "features", r);
          });
    }
    List<String> lines = Files.readAllLines(dir.resolve(id).resolve("metrics.jsonl"));
    assertThat(lines).hasSize(5);
    for (String line : lines) {
      JsonNode o = JSON.readTree(line);
      int round = o.path("round").asInt();
      JsonNode bytes = o.path("bytes");
      Map<String, Long> want = expected.get(round);
      assertThat(want).as("records of round %d", round).isNotNull();
      String where = id + " round " + round + ": " + bytes;
      assertThat(bytes.path("updates").asLong())
          .as(where)
          .isEqualTo(want.get("updates"))
          .isPositive();
      assertThat(bytes.path("features").asLong())
          .as(where)
          .isEqualTo(want.getOrDefault("features", 0L));
      assertThat(bytes.path("hierarchy").asLong())
          .as(where)
          .isEqualTo(want.getOrDefault("hierarchy", 0L));
      assertThat(bytes.path("toAgents").asLong()).as(where).isEqualTo(want.get("toAgents"));
      long written = 0;
      for (String hop : List.of("sums", "groupModels")) {
        JsonNode byLevel = bytes.path(hop);
        assertThat(byLevel.size()).as(where).isEqualTo(top);
        for (int level = 1; level <= byLevel.size(); level++) {
          assertThat(byLevel.get(level - 1).asLong())
              .as(where + " " + hop + " level " + level)
              .isEqualTo(want.getOrDefault(hop + "-" + level, 0L));
          written += byLevel.get(level - 1).asLong();
        }
      }
      written +=
          want.get("updates")
              + want.getOrDefault("features", 0L)
              + want.getOrDefault("hierarchy", 0L);
      assertThat(bytes.path("written").asLong()).as(where).isEqualTo(written);
    }
    if (id.equals(demlearn)) {
      assertThat(expected.get(1)).as("DemLearn-P clusters from round 1").containsKey("hierarchy");
    }
  }

  private static void add(
      Map<Integer, Map<String, Long>> expected,
      int round,
      String hop,
      ConsumerRecord<String, byte[]> r) {
    expected.computeIfAbsent(round, k -> new TreeMap<>()).merge(hop, size(r), Long::sum);
  }

  private static long size(ConsumerRecord<?, ?> r) {
    return Math.max(0, r.serializedKeySize()) + (long) Math.max(0, r.serializedValueSize());
  }
}
