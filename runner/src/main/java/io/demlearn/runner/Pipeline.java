package io.demlearn.runner;

import io.demlearn.aggregator.AggregatorMain;
import io.demlearn.aggregator.AggregatorService;
import io.demlearn.aggregator.AggregatorTopology;
import io.demlearn.clusterer.ClustererMain;
import io.demlearn.clusterer.ClustererService;
import io.demlearn.core.data.AgentData;
import io.demlearn.core.experiment.ExperimentData;
import io.demlearn.core.experiment.ExperimentSettings;
import io.demlearn.metrics.MetricsCollector;
import io.demlearn.pipeline.clients.ClientConfigs;
import io.demlearn.pipeline.records.Experiment;
import io.demlearn.pipeline.records.ExperimentSpecs;
import io.demlearn.pipeline.service.LoopService;
import io.demlearn.pipeline.service.MetricsEndpoint;
import io.demlearn.pipeline.service.ServiceMeters;
import io.demlearn.pipeline.signing.KeyFiles;
import io.demlearn.pipeline.signing.Signer;
import io.demlearn.schemas.avro.ExperimentSpec;
import io.demlearn.schemas.security.ExperimentAcls;
import io.demlearn.schemas.security.Role;
import io.demlearn.schemas.serde.AvroSerdes;
import io.demlearn.schemas.topics.ExperimentTopics;
import io.demlearn.schemas.topics.SchemaSetup;
import io.demlearn.schemas.topics.Topic;
import io.demlearn.schemas.topics.TopicAdmin;
import io.demlearn.worker.AgentWorker;
import io.demlearn.worker.AgentWorkerMain;
import io.demlearn.worker.SlowAgent;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The services of one experiment on a cluster: its topics and spec, then the aggregator, the
 * clusterer and the agent workers, each in this process or in a child process of its own
 * (supervised: one that dies is started again), and the metrics collector. {@link #close} stops
 * them all, latest first, before the cluster they depend on goes away.
 */
final class Pipeline implements AutoCloseable {
  /**
   * How a run places its services.
   *
   * @param aggregators instances of each aggregator tier
   * @param tiers the level ranges each aggregator tier aggregates, from level 1 up
   * @param metricsPort the first port of the services' metrics endpoints (0: free ports), or null
   *     for none
   */
  record Layout(
      int workers,
      int aggregators,
      List<int[]> tiers,
      boolean processPerService,
      int restarts,
      Map<String, SlowAgent> slowAgents,
      Integer metricsPort,
      Path keyDir) {
    Layout {
      tiers = List.copyOf(tiers);
      slowAgents = Map.copyOf(slowAgents);
    }
  }

  private final Experiment experiment;
  private final ExperimentTopics topics;
  private final Connection conn;
  private final AvroSerdes serdes;
  private final Console console;
  private final List<AutoCloseable> services = new ArrayList<>();
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private ServiceProcesses children;
  private Integer nextMetricsPort;

  /** Where a signed experiment's private keys are; else null. */
  private Path keyDir;

  Pipeline(
      Experiment experiment,
      ExperimentTopics topics,
      Connection conn,
      AvroSerdes serdes,
      Console console) {
    this.experiment = experiment;
    this.topics = topics;
    this.conn = conn;
    this.serdes = serdes;
    this.console = console;
  }

  /**
   * Creates the experiment's topics, registers their schemas and publishes the spec.
   *
   * @param provenance the machine and software creating the experiment, recorded in the spec
   */
  void create(Map<String, String> provenance) throws InterruptedException, ExecutionException {
    try (Admin admin = Admin.create(conn.kafkaConfig())) {
      TopicAdmin.Outcome outcome =
          new TopicAdmin(admin, Duration.ofSeconds(60))
              .ensure(
                  Stream.concat(
                          topics.all().stream(),
                          AggregatorTopology.topics(experiment, topics).stream())
                      .map(Topic::spec)
                      .toList());
      if (!outcome.existing().isEmpty()) {
        throw new UserException(
            "experiment "
                + experiment.id()
                + " already has topics ("
                + outcome.existing().size()
                + "); choose another --experiment");
      }
      int acls;
      try {
        acls = ExperimentAcls.grant(admin, experiment.id());
      } catch (IllegalStateException e) {
        throw new UserException(e.getMessage(), e);
      }
      if (acls > 0) {
        console.step(
            "granted the services' "
                + acls
                + " ACLs on the experiment's topics (workers, aggregator, clusterer)");
      }
    }
    SchemaSetup.registerAll(topics, serdes.registry());
    SchemaSetup.register(AggregatorTopology.topics(experiment, topics), serdes.registry());
    try (KafkaProducer<String, ExperimentSpec> specs =
        new KafkaProducer<>(
            ClientConfigs.producer(conn.kafkaConfig(), experiment.id() + "-runner"),
            topics.experiments().keySerde().serializer(),
            topics.experiments().valueSerde(serdes).serializer())) {
      specs
          .send(
              new ProducerRecord<>(
                  topics.experiments().name(),
                  experiment.id(),
                  ExperimentSpecs.toSpec(experiment, System.currentTimeMillis(), provenance)))
          .get();
    }
  }

  /** Every instance of every aggregator tier, each with a state directory of its own. */
  private void startAggregators(Layout layout, Path stateDir, List<String> common)
      throws IOException {
    for (int[] tier : layout.tiers()) {
      for (int k = 1; k <= layout.aggregators(); k++) {
        String name =
            "aggregator"
                + (layout.tiers().size() > 1 ? "-levels-" + tier[0] + "-" + tier[1] : "")
                + (layout.aggregators() > 1 ? "-" + k : "");
        Path dir = Files.createDirectories(stateDir.resolve(name));
        if (layout.processPerService()) {
          List<String> args = new ArrayList<>(common);
          args.addAll(clientConfigArgs(Role.AGGREGATOR));
          args.addAll(
              List.of(
                  "--state-dir",
                  dir.toString(),
                  "--levels",
                  tier[0] + "-" + tier[1],
                  "--instance",
                  Integer.toString(k)));
          args.addAll(metricsArgs());
          // RocksDB unpacks its native library at every start, by default into /tmp, where a
          // killed process leaves it (14 MB each): the run's state folder, deleted at the end,
          // holds it instead
          children.start(
              new ServiceProcesses.Service(
                  name,
                  AggregatorMain.class.getName(),
                  args,
                  "1g",
                  Map.of(
                      "ROCKSDB_SHAREDLIB_DIR",
                      Files.createDirectories(stateDir.resolve("rocksdb-native")).toString()),
                  quickCompiler()));
        } else {
          MeterRegistry meters = serveMetrics(name);
          var config =
              new AggregatorTopology.Config(experiment, topics, serdes, tier[0], tier[1])
                  .withMeters(meters);
          inThisProcess(
              meters,
              name,
              new AggregatorService(
                  AggregatorTopology.build(config),
                  AggregatorTopology.streamsConfig(
                      config,
                      conn.kafkaConfig(Role.AGGREGATOR),
                      dir.toString(),
                      Integer.toString(k)),
                  e -> failure.compareAndSet(null, failed(name, e))));
        }
      }
    }
  }

  /** Starts the aggregator, the clusterer and the agent workers. */
  void start(Layout layout, ExperimentData.Loaded data) throws IOException {
    String id = experiment.id();
    nextMetricsPort = layout.metricsPort();
    // the aggregator's state is changelogged in Kafka: its local copy lives only as long as the run
    Path stateRoot = Files.createDirectories(DemlearnHome.dir().resolve("state"));
    Path stateDir = Files.createTempDirectory(stateRoot, id + "-");
    services.add(() -> deleteTree(stateDir));
    children =
        new ServiceProcesses(
            id,
            DemlearnHome.dir().resolve("logs"),
            layout.restarts(),
            line -> console.line("  " + line),
            console::line);
    services.add(children);
    List<String> common =
        new ArrayList<>(
            List.of(
                "--experiment",
                id,
                "--bootstrap-servers",
                conn.bootstrapServers(),
                "--schema-registry-url",
                conn.registryUrl()));
    if (layout.keyDir() != null) {
      common.addAll(List.of("--key-dir", layout.keyDir().toString()));
      keyDir = layout.keyDir();
    }
    startAggregators(layout, stateDir, common);
    if (layout.processPerService()) {
      List<String> args = new ArrayList<>(common);
      args.addAll(clientConfigArgs(Role.CLUSTERER));
      args.addAll(metricsArgs());
      children.start(
          new ServiceProcesses.Service(
              "clusterer",
              ClustererMain.class.getName(),
              args,
              clustererHeapMb(experiment.settings()) + "m",
              quickCompiler()));
    } else {
      inThisProcess(
          serveMetrics("clusterer"),
          "clusterer",
          new ClustererService(
              new ClustererService.Config(
                  experiment, topics, conn.kafkaConfig(Role.CLUSTERER), serdes, signer())));
    }
    int threads = experiment.settings().threads();
    if (layout.workers() == 1 && !layout.processPerService()) {
      inThisProcess(
          serveMetrics("agent-worker"),
          "agent-worker",
          new AgentWorker(
              new AgentWorker.Config(
                  experiment,
                  topics,
                  data.agents(),
                  conn.kafkaConfig(Role.WORKER),
                  serdes,
                  threads,
                  "1",
                  layout.slowAgents(),
                  signer())));
      return;
    }
    for (int k = 1; k <= layout.workers(); k++) {
      List<String> args = new ArrayList<>(common);
      args.addAll(clientConfigArgs(Role.WORKER));
      args.addAll(
          List.of(
              "--worker-id",
              Integer.toString(k),
              "--threads",
              Integer.toString(Math.max(1, threads / layout.workers()))));
      args.addAll(metricsArgs());
      if (!layout.slowAgents().isEmpty()) {
        StringBuilder slow = new StringBuilder();
        layout
            .slowAgents()
            .forEach(
                (agent, delay) ->
                    slow.append(slow.length() == 0 ? "" : ",")
                        .append(agent)
                        .append('=')
                        .append(delay.toMillisText()));
        args.addAll(List.of("--slow-agents", slow.toString()));
      }
      children.start(
          new ServiceProcesses.Service(
              "worker-" + k,
              AgentWorkerMain.class.getName(),
              args,
              workerHeapMb(experiment.settings(), data, layout.workers()) + "m",
              quickCompiler()));
    }
  }

  /** The next metrics port: 0 stays 0 (a free one each), P counts up; null: none. */
  private Integer takeMetricsPort() {
    Integer port = nextMetricsPort;
    if (port != null && port > 0) {
      nextMetricsPort = port + 1;
    }
    return port;
  }

  /**
   * A signer of its own for a service in this process (each follows key rotations as it reaches
   * rounds), or null if the experiment is not signed.
   */
  private Signer signer() {
    return keyDir == null ? null : KeyFiles.read(keyDir, experiment.id());
  }

  /** {@code --client-config FILE} of a service of {@code role}, if there is one. */
  private List<String> clientConfigArgs(Role role) {
    Path file = conn.clientConfigFile(role);
    return file == null ? List.of() : List.of("--client-config", file.toString());
  }

  private List<String> metricsArgs() {
    Integer port = takeMetricsPort();
    return port == null ? List.of() : List.of("--metrics-port", "127.0.0.1:" + port);
  }

  /**
   * An endpoint of its own for a service in this process, printed as a child's would be; the
   * registry of its meters (one that keeps nothing without {@code --metrics-port}).
   */
  private MeterRegistry serveMetrics(String name) {
    Integer port = takeMetricsPort();
    if (port == null) {
      return ServiceMeters.none();
    }
    MetricsEndpoint endpoint;
    try {
      endpoint = MetricsEndpoint.start("127.0.0.1", port, name, experiment.id());
    } catch (UncheckedIOException e) {
      throw new UserException(e.getMessage(), e);
    }
    services.add(endpoint);
    console.line("metrics endpoint: " + name + " " + endpoint.url());
    return endpoint.registry();
  }

  /**
   * Above this many agents, and over TLS, child processes keep the C2 compiler (as the launcher
   * does).
   */
  static final int QUICK_COMPILER_UP_TO_AGENTS = 1000;

  private boolean quickCompiler() {
    return experiment.settings().agents() <= QUICK_COMPILER_UP_TO_AGENTS && !conn.overTls();
  }

  /**
   * A worker process's heap: every agent's data (each worker loads the experiment's data) and, for
   * the agents it hosts, three models each (start, trained, mixed), with room for the clients; at
   * least 2 GB.
   */
  static long workerHeapMb(ExperimentSettings s, ExperimentData.Loaded data, int workers) {
    long dataBytes = 0;
    for (AgentData a : data.agents()) {
      dataBytes += 4L * (a.train().features().length + a.test().features().length);
    }
    long models = 3L * s.agents() * s.architecture().dimension() * Float.BYTES / workers;
    return Math.max(2048, (dataBytes + models) / (1 << 20) + 768);
  }

  /**
   * The clusterer's heap: each agent's latest model, twice over (as read and as clustered), and the
   * condensed distances; at least 1 GB.
   */
  static long clustererHeapMb(ExperimentSettings s) {
    long n = s.agents();
    long models = 2L * n * s.architecture().dimension() * Float.BYTES;
    long distances = n * (n - 1) / 2 * Double.BYTES;
    return Math.max(1024, (models + distances) / (1 << 20) + 512);
  }

  /** Starts the metrics collector, which calls {@code listener} once per round, in order. */
  MetricsCollector collect(MetricsCollector.Config config, MetricsCollector.Listener listener) {
    MetricsCollector metrics = new MetricsCollector(config, listener);
    inThisProcess(ServiceMeters.none(), "metrics", metrics);
    return metrics;
  }

  /**
   * Follows the run until {@code rounds} rounds are done: restarts child processes that died, and
   * fails when a service failed or no round completed for {@code stallTimeout}.
   *
   * @param partial where the rounds done so far are, for the message of a stall
   */
  void await(MetricsCollector metrics, int rounds, Duration stallTimeout, Path partial)
      throws InterruptedException {
    long lastProgress = System.nanoTime();
    int lastDone = 0;
    while (metrics.roundsDone() < rounds) {
      if (children != null) {
        children.supervise();
      }
      Throwable failed = failure.get();
      if (failed != null) {
        throw new UserException("the experiment failed: " + failed.getMessage(), failed);
      }
      if (metrics.roundsDone() != lastDone) {
        lastDone = metrics.roundsDone();
        lastProgress = System.nanoTime();
      } else if (System.nanoTime() - lastProgress > stallTimeout.toNanos()) {
        throw new UserException(
            "no round completed for "
                + stallTimeout.toSeconds()
                + " s (round "
                + lastDone
                + " is waiting); the rounds before are in "
                + partial
                + (children == null
                    ? " (the services run elsewhere: do an aggregator, the clusterer and agent"
                        + " workers run, with --experiment "
                        + experiment.id()
                        + ", on this cluster?)"
                    : ""));
      }
      Thread.sleep(20);
    }
  }

  /** Runs a service on a thread of this process; a failure ends the run (see {@link #await}). */
  private void inThisProcess(MeterRegistry meters, String name, LoopService service) {
    service.meters(meters);
    services.add(service);
    Thread t =
        new Thread(
            () -> {
              try {
                service.run();
              } catch (Throwable e) {
                failure.compareAndSet(null, failed(name, e));
              }
            },
            "demlearn-" + name);
    t.setDaemon(true);
    t.start();
  }

  /** Stops every service, the latest started first. */
  @Override
  public void close() {
    for (int i = services.size() - 1; i >= 0; i--) {
      try {
        services.get(i).close();
      } catch (Exception e) {
        // closing the rest matters more
      }
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  /** A service's failure, named (an error without a message, such as a stack overflow, by type). */
  private static IllegalStateException failed(String name, Throwable e) {
    return new IllegalStateException(
        name + ": " + (e.getMessage() != null ? e.getMessage() : e.toString()), e);
  }
}
