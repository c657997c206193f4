package io.demlearn.clusterer;

import io.demlearn.pipeline.records.Experiment;
import io.demlearn.pipeline.service.ServiceProcess;
import io.demlearn.schemas.serde.AvroSerdes;
import java.util.Map;

/**
 * The clusterer as a process of its own: {@code ClustererMain --experiment ID --bootstrap-servers
 * HOST:PORT --schema-registry-url URL [--client-config FILE]}. It reads the experiment from its
 * {@code experiments} topic and works until SIGTERM, which stops it cleanly. One runs per
 * experiment; restarted, it carries on from what it published.
 */
public final class ClustererMain {
  private ClustererMain() {}

  public static void main(String[] args) {
    System.exit(
        ServiceProcess.launch(
            "ClustererMain",
            args,
            Map.of(),
            p -> {
              try (AvroSerdes serdes = new AvroSerdes(p.registry())) {
                Experiment experiment = p.experiment(serdes, 1);
                ClustererService service =
                    new ClustererService(
                        new ClustererService.Config(
                            experiment, p.topics(), p.kafka(), serdes, p.signer(experiment)));
                System.out.println("clusterer of experiment " + experiment.id() + " started");
                return p.runUntilStopped(service, "clusterer");
              }
            }));
  }
}
