package io.demlearn.runner;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.demlearn.core.cluster.Dendrogram;
import io.demlearn.core.experiment.ExperimentSettings;
import io.demlearn.core.metrics.MetricsJson;
import io.demlearn.core.metrics.RoundMetrics;
import io.demlearn.core.metrics.RoundTraffic;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * An experiment's output folder: {@code settings.json} (settings, seed, data source, software),
 * {@code metrics.jsonl} (one object per round; written to {@code metrics.jsonl.partial} while the
 * experiment runs, renamed when it is complete) and the report. Refuses a folder that already holds
 * results unless told to overwrite; creates nothing until {@link #open}.
 */
final class RunOutput implements AutoCloseable {
  private final Path dir;
  private final Map<String, Object> provenance = new LinkedHashMap<>();
  private final List<RoundMetrics> rounds = new ArrayList<>();
  private final List<Double> seconds = new ArrayList<>();
  private final List<RoundTraffic> traffic = new ArrayList<>();
  private BufferedWriter partial;
  private Dendrogram dendrogram;
  private List<String> agentIds = List.of();

  /** Checks the folder; creates nothing. */
  RunOutput(Path dir, boolean overwrite) {
    this.dir = dir;
    if (!overwrite
        && (Files.exists(dir.resolve("metrics.jsonl"))
            || Files.exists(dir.resolve("settings.json")))) {
      throw new UserException(
          "output folder "
              + dir
              + " already holds results; choose another --out or add --overwrite");
    }
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      throw new UserException("output path " + dir + " exists and is not a folder");
    }
  }

  Path dir() {
    return dir;
  }

  Path metricsFile() {
    return dir.resolve("metrics.jsonl");
  }

  Path partialFile() {
    return dir.resolve("metrics.jsonl.partial");
  }

  /** Creates the folder and writes the settings. */
  void open(String id, ExperimentSettings settings, String dataSource, Map<String, Object> more) {
    provenance.put("experiment", id);
    provenance.put("settings", settings.describe());
    provenance.put("data", dataSource);
    provenance.putAll(more);
    provenance.put("software", "demlearn " + Version.get());
    provenance.put(
        "java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
    provenance.put("cores", Runtime.getRuntime().availableProcessors());
    provenance.put("started", Instant.now().toString());
    try {
      Files.createDirectories(dir);
      writeJson(dir.resolve("settings.json"), provenance);
      partial = Files.newBufferedWriter(partialFile(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UserException("cannot write to " + dir + ": " + e.getMessage(), e);
    }
  }

  /** Appends one round; {@code traffic} is null where no records were written (simulate). */
  void round(RoundMetrics m, double secs, Map<String, Double> timings, RoundTraffic traffic) {
    try {
      partial.write(MetricsJson.line(m, secs, timings, traffic));
      partial.newLine();
      partial.flush();
    } catch (IOException e) {
      throw new UserException("cannot write " + partialFile() + ": " + e.getMessage(), e);
    }
    rounds.add(m);
    seconds.add(secs);
    this.traffic.add(traffic);
  }

  /** The latest hierarchy's dendrogram, for the report. */
  void dendrogram(Dendrogram d, List<String> ids) {
    this.dendrogram = d;
    this.agentIds = ids;
  }

  List<RoundMetrics> rounds() {
    return rounds;
  }

  /**
   * "round R: C-SPE .. C-GEN .. Global ..; median .. s/round", of the last evaluated round written.
   */
  String summary() {
    RoundMetrics last = lastEvaluated(rounds);
    if (last == null) {
      return String.format(
          Locale.ROOT, "no round evaluated yet;  median %.3f s/round", medianSeconds());
    }
    return String.format(
        Locale.ROOT,
        "round %d: C-SPE %s  C-GEN %s  Global %s;  median %.3f s/round",
        last.round(),
        SimulateCommand.Progress.accuracy(last.cSpe()),
        SimulateCommand.Progress.accuracy(last.cGen()),
        SimulateCommand.Progress.accuracy(last.global()),
        medianSeconds());
  }

  /** The last evaluated round of a list, or null. */
  static RoundMetrics lastEvaluated(List<RoundMetrics> rounds) {
    for (int i = rounds.size() - 1; i >= 0; i--) {
      if (rounds.get(i).evaluated()) {
        return rounds.get(i);
      }
    }
    return null;
  }

  double medianSeconds() {
    return SimulateCommand.median(seconds);
  }

  /** The experiment is complete: metrics.jsonl gets its final name, settings.json the summary. */
  void complete() {
    try {
      partial.close();
      Files.move(
          partialFile(),
          metricsFile(),
          StandardCopyOption.REPLACE_EXISTING,
          StandardCopyOption.ATOMIC_MOVE);
      provenance.put("finished", Instant.now().toString());
      provenance.put("medianSecondsPerRound", medianSeconds());
      writeJson(dir.resolve("settings.json"), provenance);
      Report.write(
          dir.resolve("report.html"), provenance, rounds, seconds, traffic, dendrogram, agentIds);
    } catch (IOException e) {
      throw new UserException("cannot write results to " + dir + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    if (partial != null) {
      try {
        partial.close();
      } catch (IOException ignored) {
        // already reported by round()
      }
    }
  }

  static void writeJson(Path file, Object value) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(tmp.toFile(), value);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
