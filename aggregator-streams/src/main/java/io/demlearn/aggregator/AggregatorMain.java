package io.demlearn.aggregator;

import io.demlearn.pipeline.records.Experiment;
import io.demlearn.pipeline.service.ServiceProcess;
import io.demlearn.schemas.serde.AvroSerdes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The aggregator as a process of its own: {@code AggregatorMain --experiment ID --bootstrap-servers
 * HOST:PORT --schema-registry-url URL --state-dir DIR [--client-config FILE]}. It reads the
 * experiment from its {@code experiments} topic and runs the Streams application until SIGTERM,
 * which closes it cleanly (the last transaction committed, state flushed). Killed, a new instance
 * restores its state from the changelogs and goes on exactly once.
 */
public final class AggregatorMain {
  private AggregatorMain() {}

  public static void main(String[] args) {
    System.exit(
        ServiceProcess.launch(
            "AggregatorMain",
            args,
            Map.of("state-dir", "DIR"),
            p -> {
              Path stateDir = Path.of(p.requiredOption("state-dir"));
              try {
                Files.createDirectories(stateDir);
              } catch (IOException e) {
                throw new UncheckedIOException("cannot create the state directory " + stateDir, e);
              }
              try (AvroSerdes serdes = new AvroSerdes(p.registry())) {
                Experiment experiment = p.experiment(serdes, 1);
                var config = new AggregatorTopology.Config(experiment, p.topics(), serdes);
                AggregatorService service =
                    new AggregatorService(
                        AggregatorTopology.build(config),
                        AggregatorTopology.streamsConfig(
                            config, p.kafka(), stateDir.toString(), 1));
                System.out.println("aggregator of experiment " + experiment.id() + " started");
                return p.runUntilStopped(service, "aggregator");
              }
            }));
  }
}
