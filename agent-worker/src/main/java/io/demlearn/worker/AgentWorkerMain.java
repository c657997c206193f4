package io.demlearn.worker;

import io.demlearn.core.experiment.ExperimentData;
import io.demlearn.core.experiment.ExperimentDefaults;
import io.demlearn.pipeline.records.Experiment;
import io.demlearn.pipeline.service.ServiceProcess;
import io.demlearn.schemas.serde.AvroSerdes;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An agent worker as a process of its own ({@code demlearn run --workers N} starts N of them):
 * {@code AgentWorkerMain --experiment ID --bootstrap-servers HOST:PORT --schema-registry-url URL
 * [--worker-id NAME] [--threads T] [--slow-agents ID=MS[@FROM-TO],...] [--client-config FILE]} (the
 * worker id defaults to the host's name and the process id). It reads the experiment from its
 * {@code experiments} topic, loads the data, and works until SIGTERM, which stops it cleanly.
 */
public final class AgentWorkerMain {
  private AgentWorkerMain() {}

  public static void main(String[] args) {
    Map<String, String> own = new LinkedHashMap<>();
    own.put("worker-id", "NAME");
    own.put("threads", "T");
    own.put("slow-agents", "ID=MS[@FROM-TO],...");
    System.exit(
        ServiceProcess.launch(
            "AgentWorkerMain",
            args,
            own,
            p -> {
              String workerId = p.nameOption("worker-id");
              int threads = p.intOption("threads", ExperimentDefaults.threads());
              Map<String, SlowAgent> slow = parseSlowAgents(p, p.option("slow-agents", ""));
              try (AvroSerdes serdes = new AvroSerdes(p.registry())) {
                Experiment experiment = p.experiment(serdes, threads);
                ExperimentData.Loaded data = ExperimentData.load(experiment.settings());
                AgentWorker worker =
                    new AgentWorker(
                        new AgentWorker.Config(
                            experiment,
                            p.topics(),
                            data.agents(),
                            p.kafka(),
                            serdes,
                            threads,
                            workerId,
                            slow,
                            p.signer(experiment)));
                System.out.println(
                    "agent worker "
                        + workerId
                        + " of experiment "
                        + experiment.id()
                        + " started ("
                        + threads
                        + " threads, "
                        + data.source()
                        + ")");
                return p.runUntilStopped(worker, "agent-worker");
              }
            }));
  }

  /**
   * {@code agent-003=2000,agent-007=500@2-4}: agents whose updates are held back that many
   * milliseconds (in every round, or in the rounds given).
   */
  static Map<String, SlowAgent> parseSlowAgents(ServiceProcess p, String text) {
    Map<String, SlowAgent> slow = new LinkedHashMap<>();
    for (String item : text.split(",")) {
      if (item.isBlank()) {
        continue;
      }
      String[] kv = item.split("=", 2);
      try {
        slow.put(kv[0].trim(), SlowAgent.parse(kv[1], Duration.ofMillis(1)));
      } catch (RuntimeException e) {
        throw p.usageError(
            "--slow-agents takes ID=MILLISECONDS[@FROM-TO],..., got '"
                + item
                + "': "
                + e.getMessage());
      }
    }
    return slow;
  }
}
