package io.demlearn.runner;

import io.demlearn.core.experiment.ExperimentDefaults;
import io.demlearn.core.metrics.RoundMetrics;
import io.demlearn.core.metrics.RoundTraffic;
import io.demlearn.core.strategy.HierarchyVersion;
import io.demlearn.pipeline.checks.HierarchyChecks;
import io.demlearn.pipeline.clients.ExperimentLog;
import io.demlearn.pipeline.records.Experiment;
import io.demlearn.schemas.avro.ExperimentSpec;
import io.demlearn.schemas.avro.HierarchyAssignment;
import io.demlearn.schemas.serde.AvroSerdes;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code demlearn replay}: an experiment's {@code metrics.jsonl}, settings and report rebuilt from
 * its topics alone: the spec from {@code experiments}, each round's metrics (as the run recorded
 * them, timings included) from {@code metrics}, the dendrogram from {@code hierarchy-assignments}.
 * No training, no data set needed; the lines equal the ones the run wrote.
 */
@Command(
    name = "replay",
    mixinStandardHelpOptions = true,
    description = "Rebuild an experiment's metrics.jsonl and report from its topics (no training).")
final class ReplayCommand implements Callable<Integer> {
  @Mixin ConnectionOptions connection;

  @Mixin LogOptions logOptions;

  @Option(
      names = "--out",
      paramLabel = "DIR",
      description = "Output folder (default: runs/<experiment id>-replay).")
  Path out;

  @Option(names = "--overwrite", description = "Replace the results already in the output folder.")
  boolean overwrite;

  @Override
  public Integer call() {
    String experimentId = logOptions.experimentId;
    RunOutput output =
        new RunOutput(out != null ? out : Path.of("runs", experimentId + "-replay"), overwrite);
    Console console = new Console(System.out);
    try (Connection conn = Connection.openExisting(connection, console, "replay");
        AvroSerdes serdes = new AvroSerdes(conn.registryConfig());
        ExperimentLog log =
            new ExperimentLog(conn.kafkaConfig(), experimentId, logOptions.readTimeout());
        output) {
      ExperimentSpec spec = log.spec(serdes);
      Experiment experiment = log.experimentOf(spec, ExperimentDefaults.threads());
      int rounds = experiment.settings().rounds();
      console.line(
          "replaying experiment "
              + experimentId
              + ": "
              + experiment.settings().algorithm().label()
              + ", "
              + experiment.settings().model().label()
              + ", "
              + experiment.agentIds().size()
              + " agents, "
              + rounds
              + " rounds");

      TreeMap<Integer, io.demlearn.schemas.avro.RoundMetrics> recorded = new TreeMap<>();
      var metricsDecoder = log.topics().metrics().valueSerde(serdes).deserializer();
      int[] unreadable = new int[1];
      log.read(
          log.topics().metrics(),
          r -> {
            var m = metricsDecoder.deserializeOrNull(r);
            if (m == null) {
              unreadable[0]++;
            } else if (experimentId.equals(m.getExperimentId())) {
              recorded.putIfAbsent(
                  m.getRound(), m); // a round written twice (a retried send) counts once
            }
          });
      HierarchyVersion[] latest = new HierarchyVersion[1];
      List<String> leafOrder = new ArrayList<>();
      var hierarchyDecoder = log.topics().hierarchyAssignments().valueSerde(serdes).deserializer();
      log.read(
          log.topics().hierarchyAssignments(),
          r -> {
            HierarchyAssignment h = hierarchyDecoder.deserializeOrNull(r);
            HierarchyVersion hv = h == null ? null : HierarchyChecks.check(experiment, h).version();
            if (hv != null && (latest[0] == null || hv.version() > latest[0].version())) {
              latest[0] = hv;
              leafOrder.clear();
              leafOrder.addAll(h.getAgentIds());
            }
          });
      console.step(
          "read "
              + recorded.size()
              + " rounds of metrics"
              + (unreadable[0] > 0 ? " (" + unreadable[0] + " unreadable records skipped)" : "")
              + (latest[0] == null ? "" : " and hierarchy version " + latest[0].version()));
      if (recorded.isEmpty()) {
        throw new UserException(
            "experiment "
                + experimentId
                + " has no metrics on "
                + log.topics().metrics().name()
                + ": it has not completed a round");
      }
      for (int round = 0; round <= recorded.lastKey(); round++) {
        if (!recorded.containsKey(round)) {
          throw new UserException(
              "round "
                  + round
                  + " is missing from "
                  + log.topics().metrics().name()
                  + " although round "
                  + recorded.lastKey()
                  + " is there");
        }
      }
      boolean complete = recorded.size() == rounds;
      Map<String, Object> more = new LinkedHashMap<>();
      more.put("mode", "replay");
      more.put("bootstrapServers", conn.bootstrapServers());
      more.put("schemaRegistryUrl", conn.registryUrl());
      more.put("pipeline", experiment.describePolicy());
      more.put("machine", new TreeMap<>(spec.getProvenance()));
      more.put("roundsRecorded", recorded.size());
      output.open(experimentId, experiment.settings(), "as the experiment's spec names it", more);
      for (var m : recorded.values()) {
        output.round(
            fromAvro(m, experiment.agentIds().size()),
            m.getSeconds(),
            new TreeMap<>(m.getTimings()),
            RoundTraffic.fromFlat(m.getBytes()));
      }
      if (latest[0] != null && latest[0].dendrogram() != null) {
        output.dendrogram(latest[0].dendrogram(), leafOrder);
      }
      output.complete();
      if (!complete) {
        console.line(
            "warning: only rounds 0.."
                + recorded.lastKey()
                + " of "
                + rounds
                + " are recorded: the experiment is still running or stopped early");
      }
      console.line(
          "results: " + output.metricsFile() + ", report: " + output.dir().resolve("report.html"));
      return 0;
    }
  }

  /**
   * The metrics a record holds; {@code agents} is the experiment's agent count (records written
   * before the count of scored agents was recorded scored every agent).
   */
  static RoundMetrics fromAvro(io.demlearn.schemas.avro.RoundMetrics m, int agents) {
    return new RoundMetrics(
        m.getRound(),
        m.getHierarchyVersion(),
        m.getScoredAgents() == null ? agents : m.getScoredAgents(),
        m.getCSpe(),
        m.getCGen(),
        m.getGlobal(),
        new ArrayList<>(m.getGSpe()),
        new ArrayList<>(m.getGGen()),
        new TreeMap<>(m.getGroupMembers()));
  }
}
