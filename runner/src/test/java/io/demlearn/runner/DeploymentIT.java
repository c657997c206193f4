package io.demlearn.runner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.demlearn.pipeline.clients.ClientSettings;
import io.demlearn.testkit.Commands;
import io.demlearn.testkit.DockerImages;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Compose deployment (docker/compose.yaml) on the project's images: three KRaft brokers, the
 * registry, the aggregator, the clusterer, two agent workers and the experiment job. A 10-round
 * experiment runs while one broker container is stopped (from round 3 to round 6) and one worker
 * container is killed; its metrics equal {@code simulate}'s bit for bit, audit (from this host,
 * through the brokers' published listeners) passes, and {@code check} finds every topic, Streams'
 * changelogs included, replicated three times with two in sync. Skipped, saying why, where no
 * Docker engine or Compose runs or the images are not built.
 */
@Tag("integration")
class DeploymentIT {
  private static final Path COMPOSE_FILE = Path.of("..", "docker", "compose.yaml");
  private static final Path SECURE_FILE = Path.of("..", "docker", "compose.secure.yaml");

  private static final List<String> EXPERIMENT =
      List.of("--dataset", "synthetic", "--agents", "20", "--rounds", "10", "--seed", "5");

  @TempDir Path dir;

  @Test
  void anExperimentOnThreeBrokersSurvivesABrokerDownAndAWorkerKilled() throws Exception {
    List<String> compose = composeOrSkip();

    String id = "deploy-" + UUID.randomUUID().toString().substring(0, 8);
    Path runs = Files.createDirectories(dir.resolve("runs"));
    int[] ports = freePorts(5);
    Map<String, String> env = environment(id, EXPERIMENT, runs, ports);
    Compose c = new Compose(compose, "dl" + id.replace("-", ""), List.of(COMPOSE_FILE), env);
    Path out = runs.resolve(id);
    List<String> faults = new ArrayList<>();
    try {
      c.run(600, "up", "-d", "--scale", "worker=2");
      String job = c.containers("experiment").get(0);

      faults.add("kafka-2 stopped after round " + (waitForRound(c, job, out, 3) - 1));
      c.run(120, "stop", "kafka-2");
      List<String> workers = c.containers("worker");
      assertThat(workers).hasSize(2);
      faults.add("a worker killed after round " + (waitForRound(c, job, out, 4) - 1));
      Commands.Answer kill = DockerImages.docker("kill", workers.get(1));
      assertThat(kill.exitCode()).as(kill.output()).isZero();
      faults.add("kafka-2 started after round " + (waitForRound(c, job, out, 6) - 1));
      c.run(120, "start", "kafka-2");

      Commands.Answer exit = Commands.run(List.of("docker", "wait", job), 600);
      assertThat(exit.output().strip())
          .as("the experiment job's exit code; its log:\n" + c.logs("experiment"))
          .isEqualTo("0");
      assertThat(RecordedRuns.roundsWritten(out)).isEqualTo(10);
      System.out.println("DeploymentIT faults: " + faults);

      Path sim = dir.resolve("sim");
      List<String> simulate = new ArrayList<>(List.of("simulate", "--out", sim.toString()));
      simulate.addAll(EXPERIMENT);
      SimulateCommandTest.Result simulated =
          SimulateCommandTest.run(simulate.toArray(String[]::new));
      assertThat(simulated.exitCode()).as(simulated.err()).isZero();
      assertThat(RecordedRuns.metrics(out))
          .as("the deployment's metrics against simulate's, with " + faults)
          .isEqualTo(RecordedRuns.metrics(sim));

      String bootstrap =
          "127.0.0.1:" + ports[0] + ",127.0.0.1:" + ports[1] + ",127.0.0.1:" + ports[2];
      String registry = "http://127.0.0.1:" + ports[3] + "/apis/ccompat/v7";
      SimulateCommandTest.Result audit =
          SimulateCommandTest.run(
              "audit",
              "--experiment",
              id,
              "--bootstrap-servers",
              bootstrap,
              "--schema-registry-url",
              registry);
      assertThat(audit.exitCode()).as(audit.out() + audit.err()).isZero();
      assertThat(audit.out()).contains("audit passed");

      SimulateCommandTest.Result check =
          SimulateCommandTest.run(
              "check", "--bootstrap-servers", bootstrap, "--schema-registry-url", registry);
      assertThat(check.exitCode()).as(check.out() + check.err()).isZero();
      assertThat(check.out())
          .contains("topics replicated: 3 replicas, 2 in sync (3 brokers)")
          .containsPattern(
              "replication of \\d+ topics checked against 3 replicas, 2 in sync:" + " none weaker");
      SimulateCommandTest.Result stricter =
          SimulateCommandTest.run(
              "check",
              "--bootstrap-servers",
              bootstrap,
              "--schema-registry-url",
              registry,
              "--min-insync-replicas",
              "3");
      assertThat(stricter.exitCode()).isEqualTo(1);
      assertThat(stricter.out())
          .contains(
              "weaker than asked: demlearn."
                  + id
                  + ".model-updates: 3 replicas,"
                  + " min.insync.replicas 2")
          .contains("weaker than asked: demlearn." + id + ".aggregator");
      assertThat(stricter.err()).contains("replicated less than asked");

      // Prometheus has scraped every service: each one's own series are there
      JsonNode seen =
          prometheusQuery(
              ports[4], "count by (compose_service, service) ({__name__=~\"demlearn_.+\"})");
      Set<String> services = new TreeSet<>();
      seen.forEach(
          s ->
              services.add(
                  s.path("metric").path("compose_service").asText()
                      + "/"
                      + s.path("metric").path("service").asText()));
      assertThat(services)
          .containsExactly("aggregator/aggregator", "clusterer/clusterer", "worker/agent-worker");
      assertThat(
              prometheusQuery(ports[4], "sum(demlearn_group_models_total)")
                  .get(0)
                  .path("value")
                  .get(1)
                  .asDouble())
          .as("group models the aggregator counted")
          .isPositive();
    } catch (AssertionError | RuntimeException e) {
      System.err.println("faults: " + faults);
      for (String service : List.of("experiment", "aggregator", "clusterer", "worker")) {
        System.err.println("---- " + service + " ----\n" + c.logs(service));
      }
      throw e;
    } finally {
      c.run(300, "down", "-v", "--timeout", "5");
    }
  }

  /**
   * The secure variant (docker/compose.secure.yaml) with certificates made by {@code stack
   * certificates}: every service runs as its role over mutual TLS; the experiment's metrics equal
   * {@code simulate}'s; from this host, audit passes with the operator's client config, while a
   * client without a certificate and a worker's principal writing a hierarchy version are refused
   * and write nothing.
   */
  @Test
  void theSecureVariantRunsEveryServiceAsItsRole() throws Exception {
    List<String> compose = composeOrSkip();
    List<String> experiment =
        List.of("--dataset", "synthetic", "--agents", "10", "--rounds", "5", "--seed", "3");
    String id = "secure-" + UUID.randomUUID().toString().substring(0, 8);
    Path runs = Files.createDirectories(dir.resolve("runs"));
    int[] ports = freePorts(5);
    Path security = dir.resolve("security");
    SimulateCommandTest.Result containers =
        SimulateCommandTest.run(
            "stack",
            "certificates",
            "--out",
            security.toString(),
            "--stores-at",
            "/etc/demlearn/security",
            "--host",
            "kafka-1",
            "--host",
            "kafka-2",
            "--host",
            "kafka-3",
            "--host",
            "registry",
            "--bootstrap-servers",
            "kafka-1:9092,kafka-2:9092,kafka-3:9092",
            "--schema-registry-url",
            "https://registry:8080/apis/ccompat/v7");
    assertThat(containers.exitCode()).as(containers.out() + containers.err()).isZero();
    String bootstrap =
        "127.0.0.1:" + ports[0] + ",127.0.0.1:" + ports[1] + ",127.0.0.1:" + ports[2];
    SimulateCommandTest.Result host =
        SimulateCommandTest.run(
            "stack",
            "certificates",
            "--out",
            security.toString(),
            "--config-dir",
            dir.resolve("host").toString(),
            "--bootstrap-servers",
            bootstrap,
            "--schema-registry-url",
            "https://127.0.0.1:" + ports[3] + "/apis/ccompat/v7");
    assertThat(host.exitCode()).as(host.out() + host.err()).isZero();
    Map<String, String> env = environment(id, experiment, runs, ports);
    env.put("SECURITY_DIR", security.toAbsolutePath().toString());
    Compose c =
        new Compose(compose, "dl" + id.replace("-", ""), List.of(COMPOSE_FILE, SECURE_FILE), env);
    Path out = runs.resolve(id);
    try {
      c.run(600, "up", "-d");
      String job = c.containers("experiment").get(0);
      Commands.Answer exit = Commands.run(List.of("docker", "wait", job), 600);
      assertThat(exit.output().strip())
          .as("the experiment job's exit code; its log:\n" + c.logs("experiment"))
          .isEqualTo("0");
      assertThat(c.logs("experiment")).contains("granted the services' 18 ACLs");

      Path sim = dir.resolve("sim");
      List<String> simulate = new ArrayList<>(List.of("simulate", "--out", sim.toString()));
      simulate.addAll(experiment);
      SimulateCommandTest.Result simulated =
          SimulateCommandTest.run(simulate.toArray(String[]::new));
      assertThat(simulated.exitCode()).as(simulated.err()).isZero();
      assertThat(RecordedRuns.metrics(out)).isEqualTo(RecordedRuns.metrics(sim));

      Path operator = dir.resolve("host").resolve("operator.properties");
      SimulateCommandTest.Result audit =
          SimulateCommandTest.run(
              "audit", "--experiment", id, "--client-config", operator.toString());
      assertThat(audit.exitCode()).as(audit.out() + audit.err()).isZero();
      assertThat(audit.out()).contains("audit passed");

      SecurityChecks.refusesStrangersAndWorkersWritingHierarchies(
          ClientSettings.load(operator).kafka(),
          ClientSettings.load(dir.resolve("host").resolve("worker.properties")).kafka(),
          id);
    } catch (AssertionError | RuntimeException e) {
      for (String service :
          List.of("experiment", "aggregator", "clusterer", "worker", "registry")) {
        System.err.println("---- " + service + " ----\n" + c.logs(service));
      }
      throw e;
    } finally {
      c.run(300, "down", "-v", "--timeout", "5");
    }
  }

  /** The Compose variables of a deployment on these ports running experiment {@code id}. */
  private static Map<String, String> environment(
      String id, List<String> experiment, Path runs, int[] ports) {
    Map<String, String> env = new LinkedHashMap<>();
    String app = DockerImages.app(); // PREFIX/demlearn:TAG
    env.put("IMAGE_PREFIX", app.substring(0, app.lastIndexOf("/demlearn:")));
    env.put("DEMLEARN_VERSION", app.substring(app.lastIndexOf(':') + 1));
    env.put("EXPERIMENT", id);
    env.put("EXPERIMENT_OPTIONS", String.join(" ", experiment));
    env.put("RUNS_DIR", runs.toAbsolutePath().toString());
    env.put("KAFKA_1_PORT", Integer.toString(ports[0]));
    env.put("KAFKA_2_PORT", Integer.toString(ports[1]));
    env.put("KAFKA_3_PORT", Integer.toString(ports[2]));
    env.put("REGISTRY_PORT", Integer.toString(ports[3]));
    env.put("PROMETHEUS_PORT", Integer.toString(ports[4]));
    return env;
  }

  /** The result of an instant query to the deployment's Prometheus. */
  private static JsonNode prometheusQuery(int port, String query) throws Exception {
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create(
                            "http://127.0.0.1:"
                                + port
                                + "/api/v1/query?query="
                                + URLEncoder.encode(query, StandardCharsets.UTF_8)))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new ObjectMapper().readTree(r.body()).path("data").path("result");
  }

  /**
   * Waits until the job has written {@code rounds} rounds; returns how many it has.
   *
   * @throws AssertionError if the job ends first, or after five minutes
   */
  private static int waitForRound(Compose c, String job, Path out, int rounds) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
    while (true) {
      int written = RecordedRuns.roundsWritten(out);
      if (written >= rounds) {
        return written;
      }
      String state =
          DockerImages.docker("inspect", "--format", "{{.State.Status}}", job).output().strip();
      if (state.equals("exited") || System.nanoTime() > deadline) {
        throw new AssertionError(
            "the experiment job has written "
                + written
                + " rounds, waiting for "
                + rounds
                + " (state "
                + state
                + "); its log:\n"
                + c.logs("experiment"));
      }
      Thread.sleep(100);
    }
  }

  /** The Compose command, once the images are there; skips the test, saying why, if not. */
  private static List<String> composeOrSkip() {
    DockerImages.assumePresent(
        DockerImages.app(),
        DockerImages.kafka(),
        DockerImages.registry(),
        DockerImages.prometheus());
    List<String> compose = composeCommand();
    assumeTrue(
        compose != null, "skipped: neither docker-compose nor 'docker compose' is installed");
    return compose;
  }

  /** docker-compose (1.x), or Docker's compose plugin, whichever answers; null if none. */
  private static List<String> composeCommand() {
    for (List<String> candidate :
        List.of(List.of("docker-compose"), List.of("docker", "compose"))) {
      List<String> version = new ArrayList<>(candidate);
      version.add("version");
      if (Commands.run(version, 30).exitCode() == 0) {
        return candidate;
      }
    }
    return null;
  }

  private static int[] freePorts(int n) throws IOException {
    List<ServerSocket> sockets = new ArrayList<>();
    try {
      int[] ports = new int[n];
      for (int i = 0; i < n; i++) {
        ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        sockets.add(s);
        ports[i] = s.getLocalPort();
      }
      return ports;
    } finally {
      for (ServerSocket s : sockets) {
        s.close();
      }
    }
  }

  /** One Compose project of docker/compose.yaml (and overrides), with its own name and settings. */
  private record Compose(
      List<String> command, String project, List<Path> files, Map<String, String> env) {
    void run(int seconds, String... args) {
      Commands.Answer a = exec(seconds, args);
      if (a.exitCode() != 0) {
        throw new AssertionError(
            "compose " + String.join(" ", args) + " failed (" + a.exitCode() + "):\n" + a.output());
      }
    }

    List<String> containers(String service) {
      Commands.Answer a = exec(60, "ps", "-q", service);
      return a.output().lines().map(String::strip).filter(l -> !l.isEmpty()).sorted().toList();
    }

    String logs(String service) {
      Commands.Answer a = exec(60, "logs", "--no-color", "--tail", "60", service);
      return a.output();
    }

    private Commands.Answer exec(int seconds, String... args) {
      List<String> cmd = new ArrayList<>(command);
      cmd.addAll(List.of("-p", project));
      files.forEach(f -> cmd.addAll(List.of("-f", f.toString())));
      cmd.addAll(List.of(args));
      return Commands.run(cmd, env, seconds);
    }
  }
}
