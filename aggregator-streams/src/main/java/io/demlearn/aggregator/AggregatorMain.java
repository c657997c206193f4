package io.demlearn.aggregator;

import io.demlearn.pipeline.records.Experiment;
import io.demlearn.pipeline.service.ServiceProcess;
import io.demlearn.schemas.serde.AvroSerdes;
import io.demlearn.schemas.topics.Topic;
import io.demlearn.schemas.topics.TopicAdmin;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;

/**
 * The aggregator as a process of its own: {@code AggregatorMain --experiment ID --bootstrap-servers
 * HOST:PORT --schema-registry-url URL [--state-dir DIR] [--levels A-B] [--instance NAME]
 * [--client-config FILE]}. It reads the experiment from its {@code experiments} topic and runs the
 * Streams application for levels A to B (every level by default; the intake comes with level 1)
 * until SIGTERM, which closes it cleanly (the last transaction committed, state flushed). Instances
 * of the same levels share the work (NAME tells them apart: each needs its own, and a state
 * directory of its own; the default is the host's name and the process id). Killed, an instance's
 * tasks move to the others, or a new instance restores them from the changelogs, and processing
 * goes on exactly once.
 */
public final class AggregatorMain {
  private AggregatorMain() {}

  public static void main(String[] args) {
    System.exit(run("AggregatorMain", args));
  }

  /** Runs the service with a command line; returns its exit code. */
  public static int run(String name, String[] args) {
    Map<String, String> own = new LinkedHashMap<>();
    own.put("state-dir", "DIR");
    own.put("levels", "A-B");
    own.put("instance", "NAME");
    return ServiceProcess.launch(
        name,
        args,
        own,
        p -> {
          String instance = p.nameOption("instance");
          // the stores are in memory, restored from their changelogs: without --state-dir a
          // temporary folder will do, deleted when the service stops
          boolean temporaryState = p.option("state-dir", null) == null;
          Path stateDir =
              temporaryState
                  ? Path.of(
                      System.getProperty("java.io.tmpdir"),
                      "demlearn-aggregator-" + p.experimentId() + "-" + instance)
                  : Path.of(p.option("state-dir", null));
          try {
            Files.createDirectories(stateDir);
          } catch (IOException e) {
            throw new UncheckedIOException("cannot create the state directory " + stateDir, e);
          }
          try (AvroSerdes serdes = new AvroSerdes(p.registry())) {
            Experiment experiment = p.experiment(serdes, 1);
            AggregatorTopology.Config config;
            try {
              int[] levels = AggregatorTopology.levels(experiment, p.option("levels", null));
              config =
                  new AggregatorTopology.Config(
                          experiment, p.topics(), serdes, levels[0], levels[1])
                      .withMeters(p.meters("aggregator"));
            } catch (IllegalArgumentException e) {
              throw p.usageError(e.getMessage());
            }
            try (Admin admin = Admin.create(p.kafka())) {
              // an experiment created before the aggregator had topics of its own gets them now
              new TopicAdmin(admin, Duration.ofSeconds(60))
                  .ensure(
                      AggregatorTopology.topics(experiment, p.topics()).stream()
                          .map(Topic::spec)
                          .toList());
            }
            AggregatorService service =
                new AggregatorService(
                    AggregatorTopology.build(config),
                    AggregatorTopology.streamsConfig(
                        config, p.kafka(), stateDir.toString(), instance));
            System.out.println(
                "aggregator of experiment "
                    + experiment.id()
                    + ", levels "
                    + config.fromLevel()
                    + "-"
                    + config.toLevel()
                    + ", instance "
                    + instance
                    + " started");
            int code = p.runUntilStopped(service, "aggregator");
            if (temporaryState) {
              deleteTree(stateDir);
            }
            return code;
          }
        });
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException e) {
      System.err.println("could not delete the temporary state folder " + dir + ": " + e);
    }
  }
}
