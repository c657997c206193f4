package io.demlearn.pipeline.service;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.producer.Producer;

/**
 * A service that runs one loop on the thread that calls {@link #run} until {@link #close} is called
 * from another thread; close wakes the loop and waits (up to 30 s) until it has closed its Kafka
 * clients, so that nothing outlives what the service depends on. Its meters go to the registry it
 * is given before it runs ({@link #meters(MeterRegistry)}; none by default).
 */
public abstract class LoopService implements Runnable, AutoCloseable {
  private final CountDownLatch stopped = new CountDownLatch(1);
  private volatile boolean running;
  private volatile boolean closed;
  private volatile MeterRegistry meters = ServiceMeters.none();
  private final List<AutoCloseable> boundMeters = new ArrayList<>();
  private ScheduledExecutorService metricsScheduler;

  /**
   * How often the Kafka clients' metrics are looked at again for new ones (those of a topic appear
   * once the client has used it); Micrometer's default is a minute.
   */
  protected static final Duration CLIENT_METRICS_REFRESH = Duration.ofSeconds(5);

  @Override
  public final void run() {
    running = true;
    try {
      if (closed) {
        return; // closed before it ran: nothing to start
      }
      loop();
    } finally {
      synchronized (boundMeters) {
        for (AutoCloseable m : boundMeters) {
          try {
            m.close();
          } catch (Exception ignored) {
            // stops a refresh task only
          }
        }
        boundMeters.clear();
        if (metricsScheduler != null) {
          metricsScheduler.shutdownNow();
          metricsScheduler = null;
        }
      }
      stopped.countDown();
    }
  }

  /** The service's loop: runs until {@link #closed()} and closes its clients before returning. */
  protected abstract void loop();

  /** Interrupts a blocking wait of the loop (a Kafka consumer's {@code wakeup()}). */
  protected abstract void wakeUp();

  /** What a clean stop leaves behind, for the line a process prints when SIGTERM stopped it. */
  public String describeStop() {
    return "its clients are closed, its work so far committed";
  }

  /** Where the service's meters go; call before {@link #run}. */
  public final void meters(MeterRegistry registry) {
    this.meters = registry;
  }

  /** The registry of the service's meters. */
  protected final MeterRegistry meters() {
    return meters;
  }

  /** The Kafka client's own metrics (records, bytes, lag, latency, by topic) in the registry. */
  protected final void bindClient(Object client) {
    KafkaClientMetrics m;
    if (client instanceof Producer<?, ?> p) {
      m = new KafkaClientMetrics(p, List.of(), metricsScheduler(), CLIENT_METRICS_REFRESH);
    } else if (client instanceof Consumer<?, ?> c) {
      m = new KafkaClientMetrics(c, List.of(), metricsScheduler(), CLIENT_METRICS_REFRESH);
    } else {
      throw new IllegalArgumentException("not a Kafka client: " + client);
    }
    bindMeters(m, m);
  }

  /** Binds meters to the registry; {@code closed} is closed when the loop ends. */
  protected final void bindMeters(MeterBinder binder, AutoCloseable closed) {
    binder.bindTo(meters);
    synchronized (boundMeters) {
      boundMeters.add(closed);
    }
  }

  /** The thread that refreshes the clients' metrics: one per service, stopped with its loop. */
  protected final ScheduledExecutorService metricsScheduler() {
    synchronized (boundMeters) {
      if (metricsScheduler == null) {
        metricsScheduler =
            Executors.newSingleThreadScheduledExecutor(
                r -> {
                  Thread t = new Thread(r, "client-metrics");
                  t.setDaemon(true);
                  return t;
                });
      }
      return metricsScheduler;
    }
  }

  /** Whether {@link #close} has been called. */
  protected final boolean closed() {
    return closed;
  }

  @Override
  public void close() {
    closed = true;
    wakeUp();
    if (running) {
      try {
        stopped.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
