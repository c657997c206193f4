package io.demlearn.aggregator;

import io.demlearn.pipeline.service.LoopService;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;

/**
 * The aggregator's Kafka Streams application run as a service: {@link #run} starts it and returns
 * when {@link #close} is called (the application then closes, its last transaction committed and
 * its state flushed) or when a stream thread fails (then it throws why).
 */
public final class AggregatorService extends LoopService {
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

  private final Topology topology;
  private final Properties config;
  private final CountDownLatch wake = new CountDownLatch(1);
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private final Consumer<Throwable> onFailure;
  private volatile boolean closedCleanly;

  /**
   * The topology of {@link AggregatorTopology#build} with the settings of {@link
   * AggregatorTopology#streamsConfig}.
   */
  public AggregatorService(Topology topology, Properties config) {
    this(topology, config, failure -> {});
  }

  /**
   * @param onFailure told at once when a stream thread fails (before the application has closed and
   *     {@link #run} throws)
   */
  public AggregatorService(Topology topology, Properties config, Consumer<Throwable> onFailure) {
    this.topology = topology;
    this.config = config;
    this.onFailure = onFailure;
  }

  @Override
  protected void loop() {
    KafkaStreams streams = new KafkaStreams(topology, config);
    streams.setUncaughtExceptionHandler(
        e -> {
          failure.compareAndSet(null, e);
          onFailure.accept(e);
          wake.countDown();
          return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
    KafkaStreamsMetrics metrics =
        new KafkaStreamsMetrics(
            streams, java.util.List.of(), metricsScheduler(), CLIENT_METRICS_REFRESH);
    bindMeters(metrics, metrics);
    try {
      streams.start();
      wake.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      closedCleanly = streams.close(CLOSE_TIMEOUT);
    }
    Throwable failed = failure.get();
    if (failed != null) {
      throw new IllegalStateException(
          "the aggregator's stream thread failed: " + failed.getMessage(), failed);
    }
  }

  @Override
  protected void wakeUp() {
    wake.countDown();
  }

  @Override
  public String describeStop() {
    return closedCleanly
        ? "its last transaction committed, its state flushed"
        : "it did not close within "
            + CLOSE_TIMEOUT.toSeconds()
            + " s; a new instance restores its state";
  }
}
