package io.demlearn.runner;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.demlearn.core.experiment.ExperimentData;
import io.demlearn.core.experiment.ExperimentSettings;
import io.demlearn.core.sim.RoundState;
import io.demlearn.core.sim.Simulator;
import io.demlearn.pipeline.clients.ExperimentLog;
import io.demlearn.schemas.ParameterVectors;
import io.demlearn.schemas.avro.GroupModel;
import io.demlearn.schemas.registry.SchemaRegistryConfig;
import io.demlearn.schemas.serde.AvroSerdes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Future;

/** What a run left behind, and what the simulator says it should be: for the pipeline's tests. */
final class RecordedRuns {
  private RecordedRuns() {}

  /** Every field of every line of a folder's metrics.jsonl but the timings and the traffic. */
  static List<String> metrics(Path folder) throws IOException {
    ObjectMapper json = new ObjectMapper();
    List<String> out = new ArrayList<>();
    for (String line : Files.readAllLines(folder.resolve("metrics.jsonl"))) {
      ObjectNode o = (ObjectNode) json.readTree(line);
      o.remove("seconds");
      o.remove("timings");
      o.remove("bytes");
      out.add(o.toString());
    }
    return out;
  }

  /** Rounds whose metrics a run has written to its output folder so far. */
  static int roundsWritten(Path out) throws IOException {
    for (String name : List.of("metrics.jsonl.partial", "metrics.jsonl")) {
      Path file = out.resolve(name);
      if (Files.exists(file)) {
        return Files.readAllLines(file).size();
      }
    }
    return 0;
  }

  /**
   * Waits until a run has written round {@code round}'s metrics; returns the last round written.
   *
   * @throws AssertionError if the run ends or the time is up first
   */
  static int waitForRound(Path out, int round, Future<?> run, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    int written;
    while ((written = roundsWritten(out)) <= round) {
      if (run.isDone()) {
        throw new AssertionError("the run ended before round " + round + ": " + run.get());
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("round " + round + " not reached within " + timeout);
      }
      Thread.sleep(10);
    }
    return written - 1;
  }

  /** The simulator's raw group models of an experiment, keyed "round/group". */
  static Map<String, float[]> simulatorGroupModels(String... experiment) throws Exception {
    ExperimentOptions options = new ExperimentOptions();
    new picocli.CommandLine(options).parseArgs(experiment);
    ExperimentSettings settings = options.settings();
    Map<String, float[]> expected = new TreeMap<>();
    try (Simulator sim = new Simulator(settings, ExperimentData.load(settings).agents())) {
      RoundState last =
          sim.run(
              round -> {
                int previous = round.metrics().round() - 1;
                round
                    .state()
                    .rawGroupModels()
                    .forEach((g, m) -> expected.put(previous + "/" + g, m));
              });
      last.rawGroupModels().forEach((g, m) -> expected.put((settings.rounds() - 1) + "/" + g, m));
    }
    expected.keySet().removeIf(k -> k.startsWith("-1/"));
    return expected;
  }

  /**
   * The committed group models on an experiment's topic, keyed "round/group"; fails if one is there
   * twice (it would have been counted twice).
   */
  static Map<String, float[]> recordedGroupModels(
      String bootstrapServers, String registryUrl, String id) {
    Map<String, float[]> actual = new TreeMap<>();
    try (AvroSerdes serdes = new AvroSerdes(Map.of(SchemaRegistryConfig.URL, registryUrl));
        ExperimentLog log =
            new ExperimentLog(
                Map.of("bootstrap.servers", bootstrapServers), id, Duration.ofSeconds(30))) {
      var decoder = log.topics().groupModels().valueSerde(serdes).deserializer();
      log.read(
          log.topics().groupModels(),
          r -> {
            GroupModel g = decoder.deserializeOrNull(r);
            String key = g.getRound() + "/" + g.getGroupId();
            assertThat(actual).as("group model " + key + " written once").doesNotContainKey(key);
            actual.put(key, ParameterVectors.toFloats(g.getParameters()));
          });
    }
    return actual;
  }

  /** Asserts two sets of group models equal bit for bit. */
  static void assertSameGroupModels(Map<String, float[]> actual, Map<String, float[]> expected) {
    assertThat(actual.keySet()).isEqualTo(expected.keySet()).isNotEmpty();
    for (String k : expected.keySet()) {
      assertThat(actual.get(k)).as(k).containsExactly(expected.get(k));
    }
  }
}
