package io.demlearn.runner;

import io.demlearn.aggregator.AggregatorMain;
import io.demlearn.aggregator.AggregatorTopology;
import io.demlearn.clusterer.ClustererMain;
import io.demlearn.clusterer.ClustererService;
import io.demlearn.core.data.DataException;
import io.demlearn.core.metrics.RoundMetrics;
import io.demlearn.core.sim.Algorithm;
import io.demlearn.core.sim.ExperimentData;
import io.demlearn.core.sim.ExperimentSettings;
import io.demlearn.schemas.avro.ExperimentSpec;
import io.demlearn.schemas.avro.PipelinePolicy;
import io.demlearn.schemas.convert.Experiment;
import io.demlearn.schemas.convert.ExperimentSpecs;
import io.demlearn.schemas.serde.AvroSerdes;
import io.demlearn.schemas.topics.ClientConfigs;
import io.demlearn.schemas.topics.ExperimentTopics;
import io.demlearn.schemas.topics.SchemaSetup;
import io.demlearn.schemas.topics.Topic;
import io.demlearn.schemas.topics.TopicAdmin;
import io.demlearn.worker.AgentWorker;
import io.demlearn.worker.AgentWorkerMain;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code demlearn run}: an experiment through Kafka. Starts the local stack unless a cluster and
 * registry are given, creates the experiment's topics and publishes its spec, starts the services
 * (aggregator, clusterer, agent workers, metrics) and follows the experiment round by round; writes
 * the same {@code metrics.jsonl} as {@code simulate}, plus the settings and a report.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
    description = "Run an experiment through Kafka: agent workers, the Kafka Streams aggregator and the clusterer.")
final class RunCommand implements Callable<Integer> {
  @Mixin ExperimentOptions experiment;

  @Mixin ConnectionOptions connection;

  @Option(names = "--experiment", paramLabel = "ID", description = "Experiment id, part of every topic name (default: <algorithm>-<date>-<time>).")
  String experimentId;

  @Option(names = "--out", paramLabel = "DIR", description = "Output folder (default: runs/<experiment id>).")
  Path out;

  @Option(names = "--overwrite", description = "Replace the results already in the output folder.")
  boolean overwrite;

  @Option(names = "--partitions", paramLabel = "P",
      description = "Partitions of the model-update and group-model topics: the most agent workers that can share"
          + " the work. One partition saves the aggregator a hop per round (default: the number of workers).")
  Integer partitions;

  @Option(names = "--replication-factor", defaultValue = "-1", paramLabel = "R",
      description = "Replicas of every topic; -1 takes the cluster's default (default: ${DEFAULT-VALUE}).")
  short replicationFactor;

  @Option(names = "--workers", defaultValue = "1", paramLabel = "N",
      description = "Agent workers: 1 runs in this process; more start that many worker processes, which share the"
          + " agents through the consumer group (default: ${DEFAULT-VALUE}).")
  int workers;

  @Option(names = "--stall-timeout", defaultValue = "300", paramLabel = "SECONDS",
      description = "Give up when no round completes for this long (default: ${DEFAULT-VALUE}).")
  int stallTimeoutSeconds;

  @Option(names = "--process-per-service",
      description = "Run the aggregator, the clusterer and every agent worker as child processes of their own.")
  boolean processPerService;

  @Option(names = "--restarts", defaultValue = "3", paramLabel = "N",
      description = "How many times a service process that dies is started again before the run fails"
          + " (default: ${DEFAULT-VALUE}).")
  int restarts;

  @Option(names = "--straggler-timeout", defaultValue = "0", paramLabel = "SECONDS",
      description = "Close a round without the agents that have not reported this long after its first update,"
          + " if a quorum has; 0 waits for every agent (default: ${DEFAULT-VALUE}).")
  double stragglerTimeoutSeconds;

  @Option(names = "--quorum", defaultValue = "0.8", paramLabel = "FRACTION",
      description = "With --straggler-timeout: the fraction of agents a round needs to close early (default: ${DEFAULT-VALUE}).")
  double quorum;

  @Option(names = "--max-update-norm", defaultValue = "1e6", paramLabel = "NORM",
      description = "Refuse model updates whose parameters have a larger Euclidean norm (default: ${DEFAULT-VALUE}).")
  double maxUpdateNorm;

  @Option(names = "--slow-agent", paramLabel = "ID=SECONDS",
      description = "Hold back an agent's every update this long, to try a straggler policy (repeatable).")
  Map<String, Double> slowAgents = new java.util.LinkedHashMap<>();

  @Override
  public Integer call() throws Exception {
    ExperimentSettings settings = experiment.settings();
    if (settings.algorithm() == Algorithm.LOCAL || settings.algorithm() == Algorithm.CENTRALISED) {
      throw new UserException("--algorithm " + settings.algorithm().label()
          + " has nothing to aggregate through Kafka; run it with 'demlearn simulate'");
    }
    String id = experimentId != null ? experimentId : settings.algorithm().label() + "-"
        + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT));
    ExperimentTopics topics;
    PipelinePolicy policy;
    try {
      if (workers < 1) {
        throw new UserException("--workers must be at least 1, got " + workers);
      }
      if (restarts < 0) {
        throw new UserException("--restarts must be >= 0, got " + restarts);
      }
      policy = Experiment.policy(maxUpdateNorm, Math.round(stragglerTimeoutSeconds * 1000), quorum);
      slowAgents.forEach((agent, seconds) -> {
        if (!(seconds >= 0)) {
          throw new UserException("--slow-agent " + agent + "=" + seconds + ": the delay must be >= 0 seconds");
        }
      });
      topics = new ExperimentTopics(id, partitions != null ? partitions : workers, replicationFactor,
          ExperimentTopics.DEFAULT_MAX_MESSAGE_BYTES);
    } catch (IllegalArgumentException e) {
      throw new UserException(e.getMessage(), e);
    }
    RunOutput output = new RunOutput(out != null ? out : Path.of("runs", id), overwrite);

    Console console = new Console(System.out);
    console.line("DemLearn on Kafka: experiment " + id + ": " + settings.algorithm().label() + ", "
        + settings.model().label() + ", " + settings.agents() + " agents, " + settings.rounds() + " rounds, seed "
        + settings.seed());
    ExperimentData.Loaded data;
    try {
      data = ExperimentData.load(settings);
    } catch (DataException e) {
      throw new UserException(e.getMessage(), e);
    }
    console.step("data: " + data.source());
    List<String> agentIds = data.agents().stream().map(a -> a.id()).toList();
    for (String slow : slowAgents.keySet()) {
      if (!agentIds.contains(slow)) {
        throw new UserException("--slow-agent " + slow + ": no such agent (agents are " + agentIds.get(0) + " to "
            + agentIds.get(agentIds.size() - 1) + ")");
      }
    }
    Experiment experiment = new Experiment(id, settings, agentIds, policy);

    SimulateCommand.Progress progress = new SimulateCommand.Progress(settings.rounds(), System.console() != null);
    boolean temporaryLog;
    try (output; Connection conn = Connection.open(connection, console); AvroSerdes serdes = new AvroSerdes(conn.registryConfig())) {
      temporaryLog = conn.startedLocalParts();
      drive(experiment, topics, data, output, conn, serdes, console, progress);
    } finally {
      progress.done();
    }
    RoundMetrics last = output.rounds().get(output.rounds().size() - 1);
    console.line(String.format(Locale.ROOT, "round %d: C-SPE %.4f  C-GEN %.4f  Global %s;  median %.3f s/round",
        last.round(), last.cSpe(), last.cGen(),
        last.global() == null ? "-" : String.format(Locale.ROOT, "%.4f", last.global()), output.medianSeconds()));
    console.line("results: " + output.metricsFile() + ", report: " + output.dir().resolve("report.html"));
    if (temporaryLog) {
      console.line("the experiment's log was on a temporary broker and is gone; to keep one to replay and audit,"
          + " start the background stack first ('demlearn stack start'; see the README)");
    }
    return 0;
  }

  /** Creates the topics, starts the services, follows the rounds; stops the services before returning. */
  private void drive(Experiment experiment, ExperimentTopics topics, ExperimentData.Loaded data, RunOutput output,
      Connection conn, AvroSerdes serdes, Console console, SimulateCommand.Progress progress) throws Exception {
    String id = experiment.id();
    ExperimentSettings settings = experiment.settings();
    ExecutorService pool = Executors.newFixedThreadPool(settings.threads());
    List<AutoCloseable> services = new ArrayList<>();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    List<Runnable> watchdogs = new ArrayList<>();
    try {
      try (Admin admin = Admin.create(conn.kafkaConfig())) {
        TopicAdmin.Outcome outcome = new TopicAdmin(admin, Duration.ofSeconds(60))
            .ensure(topics.all().stream().map(Topic::spec).toList());
        if (!outcome.existing().isEmpty()) {
          throw new UserException("experiment " + id + " already has topics (" + outcome.existing().size()
              + "); choose another --experiment");
        }
      }
      SchemaSetup.registerAll(topics, serdes.registry());
      Map<String, Object> kafka = conn.kafkaConfig();
      try (KafkaProducer<String, ExperimentSpec> specs = new KafkaProducer<>(ClientConfigs.producer(kafka, id + "-runner"),
          topics.experiments().keySerde().serializer(), topics.experiments().valueSerde(serdes).serializer())) {
        specs.send(new ProducerRecord<>(topics.experiments().name(), id,
            ExperimentSpecs.toSpec(experiment, System.currentTimeMillis()))).get();
      }
      boolean inProcess = !processPerService;
      console.step("topics demlearn." + id + ".* created, spec published; starting the aggregator, the clusterer and "
          + (workers == 1 ? "an agent worker" : workers + " agent workers")
          + (processPerService ? ", each in a process of its own" : workers > 1 ? " (worker processes)" : ""));

      // the aggregator's state is changelogged in Kafka: its local copy lives only as long as the run
      Path stateRoot = java.nio.file.Files.createDirectories(DemlearnHome.dir().resolve("state"));
      Path stateDir = java.nio.file.Files.createTempDirectory(stateRoot, id + "-");
      services.add(() -> deleteTree(stateDir));
      ServiceProcesses children = new ServiceProcesses(id, DemlearnHome.dir().resolve("logs"), restarts,
          line -> console.line("  " + line));
      services.add(children);
      watchdogs.add(children::supervise);
      List<String> common = new ArrayList<>(List.of("--experiment", id, "--bootstrap-servers", conn.bootstrapServers(),
          "--schema-registry-url", conn.registryUrl()));
      if (connection.clientConfig != null) {
        common.addAll(List.of("--client-config", connection.clientConfig.toAbsolutePath().toString()));
      }

      if (inProcess) {
        KafkaStreams aggregator = new KafkaStreams(
            AggregatorTopology.build(new AggregatorTopology.Config(experiment, topics, serdes)),
            AggregatorTopology.streamsConfig(id, kafka, stateDir.toString()));
        aggregator.setUncaughtExceptionHandler(e -> {
          failure.compareAndSet(null, e);
          return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
        services.add(() -> aggregator.close(Duration.ofSeconds(30)));
        aggregator.start();
        ClustererService clusterer = new ClustererService(new ClustererService.Config(experiment, topics, kafka, serdes));
        services.add(clusterer);
        start("clusterer", clusterer, failure);
      } else {
        List<String> args = new ArrayList<>(common);
        args.addAll(List.of("--state-dir", stateDir.toString()));
        // RocksDB unpacks its native library at every start, by default into /tmp, where a killed
        // process leaves it (14 MB each): the run's state folder, deleted at the end, holds it instead
        children.start(new ServiceProcesses.Service("aggregator", AggregatorMain.class.getName(), args, "1g",
            Map.of("ROCKSDB_SHAREDLIB_DIR",
                java.nio.file.Files.createDirectories(stateDir.resolve("rocksdb-native")).toString())));
        children.start(new ServiceProcesses.Service("clusterer", ClustererMain.class.getName(), common, "1g"));
      }

      if (workers == 1 && inProcess) {
        AgentWorker worker = new AgentWorker(new AgentWorker.Config(experiment, topics, data.agents(), kafka, serdes,
            settings.threads(), "1", slowAgentDelays()));
        services.add(worker);
        start("agent-worker", worker, failure);
      } else {
        int threads = Math.max(1, settings.threads() / workers);
        for (int k = 1; k <= workers; k++) {
          List<String> args = new ArrayList<>(common);
          args.addAll(List.of("--worker-id", Integer.toString(k), "--threads", Integer.toString(threads)));
          if (!slowAgents.isEmpty()) {
            StringBuilder slow = new StringBuilder();
            slowAgentDelays().forEach((agent, delay) -> slow.append(slow.length() == 0 ? "" : ",").append(agent).append('=')
                .append(delay.toMillis()));
            args.addAll(List.of("--slow-agents", slow.toString()));
          }
          children.start(new ServiceProcesses.Service("worker-" + k, AgentWorkerMain.class.getName(), args, "2g"));
        }
      }

      output.open(id, settings, data.source(), Map.of("mode", "run", "bootstrapServers", conn.bootstrapServers(),
          "schemaRegistryUrl", conn.registryUrl(), "partitions", topics.partitions(), "pipeline", describe(experiment)));
      progress.header();
      MetricsCollector metrics = new MetricsCollector(new MetricsCollector.Config(experiment, topics, data.agents(), kafka,
          serdes, pool, settings.threads()), (m, secs, timings) -> {
            output.round(m, secs, timings);
            progress.round(m, secs);
          });
      services.add(metrics);
      start("metrics", metrics, failure);

      long lastProgress = System.nanoTime();
      int lastDone = 0;
      while (metrics.roundsDone() < settings.rounds()) {
        watchdogs.forEach(Runnable::run);
        if (failure.get() != null) {
          throw new UserException("the experiment failed: " + failure.get().getMessage(), failure.get());
        }
        if (metrics.roundsDone() != lastDone) {
          lastDone = metrics.roundsDone();
          lastProgress = System.nanoTime();
        } else if (System.nanoTime() - lastProgress > TimeUnit.SECONDS.toNanos(stallTimeoutSeconds)) {
          throw new UserException("no round completed for " + stallTimeoutSeconds + " s (round " + lastDone
              + " is waiting); the rounds before are in " + output.partialFile());
        }
        Thread.sleep(20);
      }
      progress.done();
      var latest = metrics.latestVersion();
      if (latest != null && latest.dendrogram() != null) {
        output.dendrogram(latest.dendrogram(), experiment.agentIds());
      }
      output.complete();
    } finally {
      // the services stop before the local broker does
      for (int i = services.size() - 1; i >= 0; i--) {
        try {
          services.get(i).close();
        } catch (Exception e) {
          // closing the rest matters more
        }
      }
      pool.shutdownNow();
    }
  }

  private Map<String, Duration> slowAgentDelays() {
    Map<String, Duration> out = new java.util.LinkedHashMap<>();
    slowAgents.forEach((agent, seconds) -> out.put(agent, Duration.ofMillis(Math.round(seconds * 1000))));
    return out;
  }

  /** The pipeline's policy, for the run's settings file. */
  static Map<String, Object> describe(Experiment e) {
    Map<String, Object> m = new java.util.LinkedHashMap<>();
    m.put("maxUpdateNorm", e.policy().getMaxUpdateNorm());
    m.put("stragglerTimeoutSeconds", e.policy().getStragglerTimeoutMs() / 1000.0);
    m.put("quorum", e.policy().getQuorum());
    return m;
  }

  private static void deleteTree(Path dir) throws java.io.IOException {
    try (var paths = java.nio.file.Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  private static void start(String name, Runnable service, AtomicReference<Throwable> failure) {
    Thread t = new Thread(() -> {
      try {
        service.run();
      } catch (Throwable e) {
        failure.compareAndSet(null, new IllegalStateException(name + ": " + e.getMessage(), e));
      }
    }, "demlearn-" + name);
    t.setDaemon(true);
    t.start();
  }

}
