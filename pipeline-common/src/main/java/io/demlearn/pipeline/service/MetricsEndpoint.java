package io.demlearn.pipeline.service;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Executors;

/**
 * A service's metrics in Prometheus' text format at {@code http://HOST:PORT/metrics}: the JVM's
 * (memory, garbage collection, threads, classes, CPU, uptime) and whatever the service registers in
 * {@link #registry()}, every series tagged with the service and the experiment. Served by the JDK's
 * own HTTP server on one daemon thread; {@link #close} stops it.
 */
public final class MetricsEndpoint implements AutoCloseable {
  /** Prometheus' text exposition format. */
  static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private final PrometheusMeterRegistry registry;
  private final JvmGcMetrics gc;
  private final HttpServer server;

  private MetricsEndpoint(PrometheusMeterRegistry registry, JvmGcMetrics gc, HttpServer server) {
    this.registry = registry;
    this.gc = gc;
    this.server = server;
  }

  /**
   * Starts serving on {@code host:port} (port 0: a free one).
   *
   * @param service the service's name, tag {@code service} of every series
   * @param experiment the experiment's id, tag {@code experiment}
   * @throws UncheckedIOException naming the address if it cannot be bound
   */
  public static MetricsEndpoint start(String host, int port, String service, String experiment) {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    registry
        .config()
        .commonTags(List.of(Tag.of("service", service), Tag.of("experiment", experiment)));
    new ClassLoaderMetrics().bindTo(registry);
    new JvmMemoryMetrics().bindTo(registry);
    JvmGcMetrics gc = new JvmGcMetrics();
    gc.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress(host, port), 0);
    } catch (IOException e) {
      gc.close();
      registry.close();
      throw new UncheckedIOException(
          "cannot serve metrics at " + host + ":" + port + " (--metrics-port): " + e.getMessage(),
          e);
    }
    server.createContext(
        "/metrics",
        exchange -> {
          try (exchange) {
            byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
              out.write(body);
            }
          }
        });
    server.setExecutor(
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "metrics-endpoint");
              t.setDaemon(true);
              return t;
            }));
    server.start();
    return new MetricsEndpoint(registry, gc, server);
  }

  /** Where the service registers its own meters. */
  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** The port it serves on (the one picked, for port 0). */
  public int port() {
    return server.getAddress().getPort();
  }

  /** {@code http://HOST:PORT/metrics}. */
  public String url() {
    String host = server.getAddress().getHostString();
    return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port() + "/metrics";
  }

  @Override
  public void close() {
    server.stop(0);
    gc.close();
    registry.close();
  }
}
