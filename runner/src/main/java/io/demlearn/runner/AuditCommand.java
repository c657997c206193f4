package io.demlearn.runner;

import io.demlearn.audit.Audit;
import io.demlearn.audit.Finding;
import io.demlearn.audit.LogAudit;
import io.demlearn.core.experiment.ExperimentDefaults;
import io.demlearn.pipeline.clients.AgentKeysLog;
import io.demlearn.pipeline.clients.ExperimentLog;
import io.demlearn.pipeline.records.Experiment;
import io.demlearn.pipeline.signing.SignatureCheck;
import io.demlearn.schemas.serde.AvroSerdes;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code demlearn audit}: re-aggregates an experiment's recorded updates under its recorded
 * hierarchies and checks that every recorded group model follows from them bit for bit ({@link
 * Audit}). Exit code 0: all follows; 1: the first record that does not is named, with why.
 */
@Command(
    name = "audit",
    mixinStandardHelpOptions = true,
    description =
        "Check that an experiment's recorded group models follow bit for bit from its recorded"
            + " updates.")
final class AuditCommand implements Callable<Integer> {
  @Mixin ConnectionOptions connection;

  @Mixin LogOptions log;

  @Override
  public Integer call() {
    Console console = new Console(System.out);
    String id = log.experimentId;
    try (Connection conn = Connection.openExisting(connection, console, "audit");
        AvroSerdes serdes = new AvroSerdes(conn.registryConfig());
        ExperimentLog experimentLog =
            new ExperimentLog(conn.kafkaConfig(), id, log.readTimeout())) {
      Experiment experiment = experimentLog.experiment(serdes, ExperimentDefaults.threads());
      console.line(
          "auditing experiment "
              + id
              + ": "
              + experiment.settings().algorithm().label()
              + ", "
              + experiment.agentIds().size()
              + " agents, "
              + experiment.settings().rounds()
              + " rounds");
      Audit audit;
      try (SignatureCheck keys = AgentKeysLog.checkFor(experiment, conn.kafkaConfig(), serdes)) {
        audit = LogAudit.read(experimentLog, serdes, experiment, keys);
      }
      Audit.Summary read = audit.summary();
      console.step(
          "read "
              + read.hierarchyVersions()
              + " hierarchy versions, "
              + read.updatesRead()
              + " updates ("
              + read.updatesCounted()
              + " counted), "
              + read.deadLetters()
              + " dead letters, "
              + read.groupModelsRead()
              + " group models"
              + (experiment.signed()
                  ? "; signatures: "
                      + read.signaturesVerified()
                      + " verified, "
                      + read.signaturesRefused()
                      + " refused (not signed by their owner's key; dead letters)"
                  : ""));
      Finding finding = audit.check();
      if (finding != null) {
        System.err.println("audit failed: " + finding.where() + ": " + finding.problem());
        return 1;
      }
      Audit.Summary done = audit.summary();
      console.line(
          "audit passed: the "
              + done.groupModelsRead()
              + " group models of rounds 0.."
              + done.lastRound()
              + " follow bit for bit from the recorded updates under the recorded hierarchies"
              + (done.lateUpdates() > 0
                  ? "; " + done.lateUpdates() + " late updates were recorded and not averaged"
                  : "")
              + (done.unprocessed() > 0
                  ? "; "
                      + done.unprocessed()
                      + " updates of closed rounds came after the aggregator's last processed one"
                      + " (the experiment runs, or stopped before them)"
                  : "")
              + (done.partialRound() >= 0
                  ? "; round " + done.partialRound() + " was being committed: left out"
                  : ""));
      return 0;
    }
  }
}
