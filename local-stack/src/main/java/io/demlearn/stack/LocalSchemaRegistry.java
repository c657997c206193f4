package io.demlearn.stack;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real schema registry for local runs and tests: Apicurio Registry 2.4.2, packaged by this
 * build's {@code registry-app} module, run as a child JVM on a loopback port; its storage is in
 * memory, or an H2 file when schemas must survive a restart (the background stack). Clients use its
 * Confluent-compatible API at {@link #url()}.
 */
public final class LocalSchemaRegistry implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LocalSchemaRegistry.class);

  /** System property naming the registry's uber-jar. */
  public static final String JAR_PROPERTY = "demlearn.registry.jar";

  /** Environment variable naming the registry's uber-jar. */
  public static final String JAR_ENV = "DEMLEARN_REGISTRY_JAR";

  /** What the registry's command line contains (to recognise its process). */
  public static final String MARKER = "registry-app";

  /** Path of the Confluent-compatible API under the registry's root. */
  public static final String CCOMPAT_PATH = "/apis/ccompat/v7";

  private final Process process;
  private final int port;
  private final Path log;
  private final StackSecurity security;

  private LocalSchemaRegistry(Process process, int port, Path log, StackSecurity security) {
    this.process = process;
    this.port = port;
    this.log = log;
    this.security = security;
  }

  /**
   * Starts the registry and waits until it is ready.
   *
   * @param port HTTP port (0: a free one)
   * @param log file its output is appended to
   * @param store directory of an on-disk store (H2 file) that keeps schemas across restarts, or
   *     null to keep them in memory only
   * @param detached whether it should outlive this JVM (see {@link JavaProcesses#start})
   */
  public static LocalSchemaRegistry start(
      int port, Path log, Path store, boolean detached, Duration timeout) {
    return start(port, log, store, detached, timeout, null);
  }

  /**
   * Starts the registry as {@link #start(int, Path, Path, boolean, Duration)} does; with {@code
   * security}, it serves HTTPS only, to clients with a certificate of the stack's authority.
   */
  public static LocalSchemaRegistry start(
      int port, Path log, Path store, boolean detached, Duration timeout, StackSecurity security) {
    Path jar = detached ? ownCopy(locateJar(), log.toAbsolutePath().getParent()) : locateJar();
    int actualPort = Ports.resolve(port)[0];
    if (Ports.isListening(actualPort)) {
      throw new RegistryStartException(
          "port " + actualPort + " is already in use; choose another registry port", null);
    }
    List<String> command = new ArrayList<>();
    command.add(JavaProcesses.javaExecutable());
    command.add("-Xmx256m");
    if (security == null) {
      command.add("-Dquarkus.http.port=" + actualPort);
    } else {
      command.add("-Dquarkus.http.ssl-port=" + actualPort);
      command.add("-Dquarkus.http.port=0");
      command.addAll(security.registrySystemProperties());
    }
    command.add("-Dquarkus.http.host=127.0.0.1");
    command.add("-Dquarkus.log.level=WARN");
    command.add("-jar");
    command.add(jar.toString());
    Map<String, String> env = new HashMap<>();
    if (store != null) {
      // Apicurio's in-memory storage is H2; pointed at a file, it keeps schemas across restarts
      env.put(
          "REGISTRY_DATASOURCE_URL", "jdbc:h2:file:" + store.toAbsolutePath().resolve("registry"));
    }
    Process process;
    try {
      process = JavaProcesses.start(command, env, log, detached);
    } catch (IOException e) {
      throw new RegistryStartException("cannot start the schema registry (" + jar + "): " + e, e);
    }
    LocalSchemaRegistry registry = new LocalSchemaRegistry(process, actualPort, log, security);
    registry.awaitReady(timeout);
    return registry;
  }

  /** The registry's Confluent-compatible base URL, for {@code schema.registry.url}. */
  public String url() {
    return rootUrl() + CCOMPAT_PATH;
  }

  public String rootUrl() {
    return rootUrl(port, security != null);
  }

  /** The root URL of a local registry on {@code port}. */
  public static String rootUrl(int port, boolean secure) {
    return (secure ? "https" : "http") + "://127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  public long pid() {
    return process.pid();
  }

  /** Whether the registry at {@code rootUrl} answers its readiness probe. */
  public static boolean isReady(String rootUrl) {
    return isReady(rootUrl, null);
  }

  /**
   * Whether the registry at {@code rootUrl} answers its readiness probe; over HTTPS, as the stack's
   * registry itself (a certificate of the stack's authority).
   */
  public static boolean isReady(String rootUrl, StackSecurity security) {
    HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2));
    if (security != null) {
      builder.sslContext(security.sslContext(StackSecurity.REGISTRY));
    }
    HttpClient http = builder.build();
    try {
      HttpResponse<Void> r =
          http.send(
              HttpRequest.newBuilder(URI.create(rootUrl + "/health/ready"))
                  .timeout(Duration.ofSeconds(5))
                  .build(),
              HttpResponse.BodyHandlers.discarding());
      return r.statusCode() == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private void awaitReady(Duration timeout) {
    long t0 = System.nanoTime();
    long deadline = t0 + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new RegistryStartException(
            "the schema registry exited with code "
                + process.exitValue()
                + " while starting; its log ("
                + log
                + ") ends with:\n"
                + JavaProcesses.tail(log, 30),
            null);
      }
      if (isReady(rootUrl(), security)) {
        LOG.info(
            "schema registry ready at {} in {} ms", url(), (System.nanoTime() - t0) / 1_000_000);
        return;
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        close();
        throw new RegistryStartException("interrupted while waiting for the schema registry", e);
      }
    }
    close();
    throw new RegistryStartException(
        "the schema registry did not become ready within "
            + timeout.toSeconds()
            + " s; its log ("
            + log
            + ") ends with:\n"
            + JavaProcesses.tail(log, 30),
        null);
  }

  /**
   * The registry's uber-jar: the system property {@value #JAR_PROPERTY}, the environment variable
   * {@value #JAR_ENV}, or {@code registry-app/target/registry-app-*-runner.jar} in the working
   * directory or one of its parents.
   */
  public static Path locateJar() {
    String given =
        Optional.ofNullable(System.getProperty(JAR_PROPERTY)).orElse(System.getenv(JAR_ENV));
    if (given != null && !given.isBlank()) {
      Path jar = Path.of(given);
      if (!Files.isRegularFile(jar)) {
        throw new RegistryStartException(
            "the schema registry jar "
                + jar
                + " does not exist; build it with"
                + " 'mvn -pl registry-app package', or give --schema-registry-url",
            null);
      }
      return jar;
    }
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path target = dir.resolve("registry-app").resolve("target");
      if (Files.isDirectory(target)) {
        try (Stream<Path> files = Files.list(target)) {
          Optional<Path> jar =
              files
                  .filter(p -> p.getFileName().toString().matches("registry-app-.*-runner\\.jar"))
                  .findFirst();
          if (jar.isPresent()) {
            return jar.get();
          }
        } catch (IOException e) {
          // keep looking further up
        }
      }
    }
    throw new RegistryStartException(
        "cannot find the schema registry jar (registry-app/target/registry-app-*-runner.jar); build"
            + " it with 'mvn -pl registry-app package', set "
            + JAR_PROPERTY
            + ", or give --schema-registry-url",
        null);
  }

  /** A registry that outlives this JVM runs from its own copy of the jar, next to its log. */
  private static Path ownCopy(Path jar, Path dir) {
    try {
      return JavaProcesses.ownCopy(jar, dir, MARKER + ".jar");
    } catch (IOException e) {
      throw new RegistryStartException(
          "cannot copy the schema registry jar " + jar + " to " + dir + ": " + e.getMessage(), e);
    }
  }

  /** Stops the registry (SIGTERM, then SIGKILL after 15 s). */
  @Override
  public void close() {
    JavaProcesses.stop(process.toHandle(), 15);
  }

  /** The registry could not start; the message says why. */
  public static final class RegistryStartException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    RegistryStartException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
