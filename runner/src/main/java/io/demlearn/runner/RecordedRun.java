package io.demlearn.runner;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.demlearn.core.metrics.RoundMetrics;
import io.demlearn.core.metrics.RoundTraffic;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An experiment's output folder read back: its settings ({@code settings.json}) and its rounds
 * ({@code metrics.jsonl}, or {@code metrics.jsonl.partial} of a run still going or stopped early).
 *
 * @param traffic per round, null where no records were written (a simulation)
 */
record RecordedRun(
    Path dir,
    String experiment,
    Map<String, Object> settings,
    boolean complete,
    List<RoundMetrics> rounds,
    List<Double> seconds,
    List<RoundTraffic> traffic) {
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * Reads a folder.
   *
   * @throws UserException naming the folder or the file and line that cannot be read
   */
  @SuppressWarnings("unchecked")
  static RecordedRun read(Path dir) {
    if (!Files.isDirectory(dir)) {
      throw new UserException("run folder " + dir + " does not exist or is not a folder");
    }
    Path metrics = dir.resolve("metrics.jsonl");
    boolean complete = Files.isRegularFile(metrics);
    if (!complete) {
      metrics = dir.resolve("metrics.jsonl.partial");
      if (!Files.isRegularFile(metrics)) {
        throw new UserException(
            "run folder "
                + dir
                + " has no metrics.jsonl: not the output folder of demlearn run, simulate or"
                + " replay");
      }
    }
    Map<String, Object> settings = new LinkedHashMap<>();
    String experiment = dir.getFileName().toString();
    Path settingsFile = dir.resolve("settings.json");
    if (Files.isRegularFile(settingsFile)) {
      try {
        Map<String, Object> provenance = JSON.readValue(settingsFile.toFile(), Map.class);
        if (provenance.get("settings") instanceof Map<?, ?> m) {
          settings.putAll((Map<String, Object>) m);
        }
        if (provenance.get("experiment") instanceof String id) {
          experiment = id;
        }
      } catch (IOException e) {
        throw new UserException(settingsFile + " is not valid JSON: " + e.getMessage(), e);
      }
    }
    List<String> lines;
    try {
      lines = Files.readAllLines(metrics, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UserException("cannot read " + metrics + ": " + e.getMessage(), e);
    }
    List<RoundMetrics> rounds = new ArrayList<>();
    List<Double> seconds = new ArrayList<>();
    List<RoundTraffic> traffic = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (line.isBlank()) {
        continue;
      }
      String where = metrics + " line " + (i + 1);
      JsonNode o;
      try {
        o = JSON.readTree(line);
      } catch (JsonProcessingException e) {
        if (!complete && i == lines.size() - 1) {
          break; // the last line of a run that stopped while writing it
        }
        throw new UserException(where + " is not JSON: " + e.getOriginalMessage(), e);
      }
      if (o == null || !o.isObject() || !o.path("round").isInt()) {
        throw new UserException(where + " is not a round's metrics (no integer 'round')");
      }
      if (o.path("round").asInt() != rounds.size()) {
        throw new UserException(
            where + " is round " + o.path("round").asInt() + ", expected round " + rounds.size());
      }
      rounds.add(metrics(o));
      seconds.add(o.path("seconds").asDouble(Double.NaN));
      traffic.add(traffic(o.path("bytes")));
    }
    if (rounds.isEmpty()) {
      throw new UserException(metrics + " holds no round");
    }
    return new RecordedRun(dir, experiment, settings, complete, rounds, seconds, traffic);
  }

  /** "experiment (algorithm, model)". */
  String label() {
    Object algorithm = settings.get("algorithm");
    Object model = settings.get("model");
    return algorithm == null ? experiment : experiment + " (" + algorithm + ", " + model + ")";
  }

  private static RoundMetrics metrics(JsonNode o) {
    Map<String, Integer> members = new LinkedHashMap<>();
    o.path("groupMembers")
        .fields()
        .forEachRemaining(e -> members.put(e.getKey(), e.getValue().asInt()));
    return new RoundMetrics(
        o.path("round").asInt(),
        o.path("hierarchyVersion").asInt(-1),
        o.path("scoredAgents").asInt(0),
        number(o.path("cSpe")),
        number(o.path("cGen")),
        number(o.path("global")),
        numbers(o.path("gSpe")),
        numbers(o.path("gGen")),
        members);
  }

  private static RoundTraffic traffic(JsonNode b) {
    if (!b.isObject()) {
      return null;
    }
    List<Long> sums = new ArrayList<>();
    b.path("sums").forEach(v -> sums.add(v.asLong()));
    List<Long> models = new ArrayList<>();
    b.path("groupModels").forEach(v -> models.add(v.asLong()));
    return new RoundTraffic(
        b.path("updates").asLong(),
        b.path("features").asLong(),
        b.path("hierarchy").asLong(),
        sums,
        models,
        b.path("toAgents").asLong());
  }

  private static Double number(JsonNode v) {
    return v.isNumber() ? v.asDouble() : null;
  }

  private static List<Double> numbers(JsonNode a) {
    List<Double> out = new ArrayList<>();
    a.forEach(v -> out.add(number(v)));
    return out;
  }
}
