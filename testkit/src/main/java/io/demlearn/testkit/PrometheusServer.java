package io.demlearn.testkit;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.demlearn.stack.Ports;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real Prometheus server (Debian's {@code prometheus}) on loopback, scraping the targets a test
 * gives it every second, and its HTTP query API. {@link #assumeAvailable()} skips a test, saying
 * why, where it is not installed.
 */
public final class PrometheusServer implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final Process process;
  private final String url;
  private final HttpClient http = HttpClient.newHttpClient();

  private PrometheusServer(Process process, String url) {
    this.process = process;
    this.url = url;
  }

  /** Skips the calling test, saying why, where there is no prometheus command. */
  public static void assumeAvailable() {
    Commands.Answer a = Commands.run(List.of("prometheus", "--version"), 30);
    assumeTrue(
        a.exitCode() == 0,
        "skipped: no Prometheus server ('prometheus --version' fails; Debian's package"
            + " prometheus provides it)");
  }

  /**
   * Starts a server in {@code dir} (its configuration, data and log) scraping {@code targets}
   * (HOST:PORT, path /metrics) every second, and waits until it is ready.
   */
  public static PrometheusServer start(Path dir, List<String> targets) throws Exception {
    int port = Ports.resolve(0)[0];
    StringBuilder config =
        new StringBuilder("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n")
            .append("scrape_configs:\n  - job_name: demlearn\n    static_configs:\n")
            .append("      - targets:\n");
    for (String t : targets) {
      config.append("          - '").append(t).append("'\n");
    }
    Path file = Files.writeString(dir.resolve("prometheus.yml"), config);
    Path log = dir.resolve("prometheus.log");
    Process p =
        new ProcessBuilder(
                "prometheus",
                "--config.file=" + file,
                "--storage.tsdb.path=" + Files.createDirectories(dir.resolve("data")),
                "--web.listen-address=127.0.0.1:" + port)
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    PrometheusServer server = new PrometheusServer(p, "http://127.0.0.1:" + port);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      if (!p.isAlive()) {
        throw new IOException("prometheus stopped as it started:\n" + Files.readString(log));
      }
      try {
        if (server.get("/-/ready").statusCode() == 200) {
          return server;
        }
      } catch (IOException e) {
        // not listening yet
      }
      Thread.sleep(200);
    }
    server.close();
    throw new IOException("prometheus was not ready in 60 s:\n" + Files.readString(log));
  }

  /** The {@code data.result} of an instant query. */
  public JsonNode query(String expression) throws Exception {
    HttpResponse<String> r =
        get("/api/v1/query?query=" + URLEncoder.encode(expression, StandardCharsets.UTF_8));
    JsonNode body = JSON.readTree(r.body());
    if (r.statusCode() != 200 || !"success".equals(body.path("status").asText())) {
      throw new IOException("query " + expression + " failed: " + r.body());
    }
    return body.path("data").path("result");
  }

  /** The value of the single sample an instant query gives, or NaN if it gives none. */
  public double value(String expression) throws Exception {
    JsonNode result = query(expression);
    return result.isEmpty() ? Double.NaN : result.get(0).path("value").get(1).asDouble();
  }

  private HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
