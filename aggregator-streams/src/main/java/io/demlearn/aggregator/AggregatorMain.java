package io.demlearn.aggregator;

import io.demlearn.schemas.convert.Experiment;
import io.demlearn.schemas.serde.AvroSerdes;
import io.demlearn.schemas.service.ServiceProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;

/**
 * The aggregator as a process of its own: {@code AggregatorMain --experiment ID --bootstrap-servers
 * HOST:PORT --schema-registry-url URL --state-dir DIR [--client-config FILE]}. It reads the
 * experiment from its {@code experiments} topic and runs the Streams application until SIGTERM,
 * which closes it cleanly (the last transaction committed, state flushed). Killed, a new instance
 * restores its state from the changelogs and goes on exactly once.
 */
public final class AggregatorMain {
  private AggregatorMain() {}

  public static void main(String[] args) throws Exception {
    ServiceProcess p = ServiceProcess.parse("AggregatorMain", args, Map.of("state-dir", "DIR"));
    String stateDir = p.option("state-dir", null);
    if (stateDir == null) {
      p.fail("missing --state-dir");
    }
    Files.createDirectories(Path.of(stateDir));
    try (AvroSerdes serdes = new AvroSerdes(p.registry())) {
      Experiment experiment = p.experiment(serdes, 1, Duration.ofSeconds(60));
      KafkaStreams streams = new KafkaStreams(
          AggregatorTopology.build(new AggregatorTopology.Config(experiment, p.topics(), serdes)),
          AggregatorTopology.streamsConfig(experiment.id(), p.kafka(), stateDir));
      AtomicReference<Throwable> failure = new AtomicReference<>();
      CountDownLatch done = new CountDownLatch(1);
      streams.setUncaughtExceptionHandler(e -> {
        failure.set(e);
        done.countDown();
        return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
      });
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        boolean clean = streams.close(Duration.ofSeconds(30));
        System.out.println(clean ? "aggregator stopped on SIGTERM: its last transaction committed, its state flushed"
            : "aggregator did not stop within 30 s of SIGTERM");
        done.countDown();
      }, "aggregator-shutdown"));
      streams.start();
      System.out.println("aggregator of experiment " + experiment.id() + " started");
      done.await();
      if (failure.get() != null) {
        streams.close(Duration.ofSeconds(30));
        System.err.println("error: the aggregator stopped: " + failure.get());
        System.exit(1);
      }
    }
  }
}
