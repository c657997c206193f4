package io.demlearn.runner;

import io.demlearn.aggregator.AggregatorTopology;
import io.demlearn.core.Provenance;
import io.demlearn.core.experiment.Algorithm;
import io.demlearn.core.experiment.ExperimentData;
import io.demlearn.core.experiment.ExperimentSettings;
import io.demlearn.core.strategy.HierarchyVersion;
import io.demlearn.metrics.MetricsCollector;
import io.demlearn.pipeline.records.Experiment;
import io.demlearn.schemas.avro.PipelinePolicy;
import io.demlearn.schemas.serde.AvroSerdes;
import io.demlearn.schemas.topics.ExperimentTopics;
import io.demlearn.schemas.topics.Replication;
import io.demlearn.worker.SlowAgent;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code demlearn run}: an experiment through Kafka. Starts the local stack unless a cluster and
 * registry are given, creates the experiment's topics and publishes its spec, starts the services
 * ({@link Pipeline}) and follows the experiment round by round; writes the same {@code
 * metrics.jsonl} as {@code simulate}, plus the settings and a report.
 */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description =
        "Run an experiment through Kafka: agent workers, the Kafka Streams aggregator and the"
            + " clusterer.")
final class RunCommand implements Callable<Integer> {
  @Mixin ExperimentOptions experiment;

  @Mixin ConnectionOptions connection;

  @Mixin OutputOptions output;

  @Option(
      names = "--partitions",
      paramLabel = "P",
      description =
          "Partitions of the model-update, group-model and aggregation topics: the most agent"
              + " workers, and aggregator instances, that can share the work (default: the number"
              + " of workers or of aggregators, the larger; with --external-services "
              + ExperimentTopics.DEFAULT_PARTITIONS
              + ").")
  Integer partitions;

  @Option(
      names = "--aggregators",
      defaultValue = "1",
      paramLabel = "N",
      description =
          "Aggregator instances (of each tier): they share the partitions of every level; under"
              + " --process-per-service each is a process (default: ${DEFAULT-VALUE}).")
  int aggregators;

  @Option(
      names = "--aggregator-tiers",
      paramLabel = "A-B,...",
      description =
          "Aggregate ranges of levels in separate aggregators, as the paper's tiers: 1-2,3-4 runs"
              + " levels 1-2 (with the agents' intake) in one, as at an edge site, and levels 3-4"
              + " in another, as in the cloud; the ranges cover every level once (default: one"
              + " aggregator for every level).")
  String aggregatorTiers;

  @Mixin ReplicationOptions replication;

  @Option(
      names = "--workers",
      defaultValue = "1",
      paramLabel = "N",
      description =
          "Agent workers: 1 runs in this process; more start that many worker processes, which"
              + " share the agents through the consumer group (default: ${DEFAULT-VALUE}).")
  int workers;

  @Option(
      names = "--stall-timeout",
      defaultValue = "300",
      paramLabel = "SECONDS",
      description = "Give up when no round completes for this long (default: ${DEFAULT-VALUE}).")
  int stallTimeoutSeconds;

  @Option(
      names = "--process-per-service",
      description =
          "Run the aggregator, the clusterer and every agent worker as child processes of their"
              + " own.")
  boolean processPerService;

  @Option(
      names = "--external-services",
      description =
          "Start no service: the aggregator, the clusterer and the agent workers run elsewhere"
              + " (docker/compose.yaml, docker/k8s/), started with this --experiment id; the run"
              + " creates the experiment, follows its rounds and writes the results.")
  boolean externalServices;

  @Option(
      names = "--metrics-port",
      paramLabel = "P",
      description =
          "Serve each service's metrics for Prometheus at http://127.0.0.1:PORT/metrics and print"
              + " one line per service; 0 picks a free port for each, P gives P, P+1, ... in"
              + " order (default: none).")
  Integer metricsPort;

  @Option(
      names = "--restarts",
      defaultValue = "3",
      paramLabel = "N",
      description =
          "How many times a service process that dies is started again before the run fails"
              + " (default: ${DEFAULT-VALUE}).")
  int restarts;

  @Option(
      names = "--straggler-timeout",
      defaultValue = "0",
      paramLabel = "SECONDS",
      description =
          "Close a round without the agents that have not reported this long after its first"
              + " update, if a quorum has; 0 waits for every agent (default: ${DEFAULT-VALUE}).")
  double stragglerTimeoutSeconds;

  @Option(
      names = "--quorum",
      defaultValue = "0.8",
      paramLabel = "FRACTION",
      description =
          "With --straggler-timeout: the fraction of agents a round needs to close early"
              + " (default: ${DEFAULT-VALUE}).")
  double quorum;

  @Option(
      names = "--max-update-norm",
      defaultValue = "1e6",
      paramLabel = "NORM",
      description =
          "Refuse model updates whose parameters have a larger Euclidean norm (default:"
              + " ${DEFAULT-VALUE}).")
  double maxUpdateNorm;

  @Option(
      names = "--sign",
      description =
          "Require every update, clustering features record and hierarchy version to be signed"
              + " by its owner's Ed25519 key: issues a key per agent and one for the clusterer"
              + " (public keys on agent-keys, private keys under --key-dir); an unsigned or forged"
              + " record is refused (dead letter BAD_SIGNATURE).")
  boolean sign;

  @Option(
      names = "--key-dir",
      paramLabel = "DIR",
      description = "Where --sign puts the private keys (default: .demlearn/keys).")
  Path keyDir;

  @Option(
      names = "--slow-agent",
      paramLabel = "ID=SECONDS[@FROM-TO]",
      description =
          "Hold back an agent's updates this long (in every round, or in rounds FROM to TO), to"
              + " try a straggler policy (repeatable).")
  Map<String, String> slowAgents = new LinkedHashMap<>();

  @Override
  public Integer call() throws Exception {
    ExperimentSettings settings = experiment.settings();
    if (settings.algorithm() == Algorithm.LOCAL || settings.algorithm() == Algorithm.CENTRALISED) {
      throw new UserException(
          "--algorithm "
              + settings.algorithm().label()
              + " has nothing to aggregate through Kafka; run it with 'demlearn simulate'");
    }
    String id = output.id(settings.algorithm().label());
    if (workers < 1) {
      throw new UserException("--workers must be at least 1, got " + workers);
    }
    if (aggregators < 1) {
      throw new UserException("--aggregators must be at least 1, got " + aggregators);
    }
    if (externalServices
        && (processPerService
            || workers != 1
            || aggregators != 1
            || aggregatorTiers != null
            || !slowAgents.isEmpty())) {
      throw new UserException(
          "--external-services starts no service: --process-per-service, --workers,"
              + " --aggregators, --aggregator-tiers and --slow-agent belong to the services'"
              + " own command lines");
    }
    if (externalServices && output.experimentId == null) {
      throw new UserException(
          "--external-services needs --experiment ID: the services started elsewhere wait for"
              + " that id");
    }
    if (metricsPort != null && (metricsPort < 0 || metricsPort > 65535)) {
      throw new UserException("--metrics-port must be a port (0-65535), got " + metricsPort);
    }
    if (externalServices && metricsPort != null) {
      throw new UserException(
          "--external-services starts no service: give --metrics-port to the services");
    }
    if (restarts < 0) {
      throw new UserException("--restarts must be >= 0, got " + restarts);
    }
    ExperimentTopics topics;
    PipelinePolicy policy;
    try {
      policy = Experiment.policy(maxUpdateNorm, Math.round(stragglerTimeoutSeconds * 1000), quorum);
      policy.setRequireSignatures(sign);
      topics =
          new ExperimentTopics(
              id,
              partitions != null
                  ? partitions
                  : externalServices
                      ? ExperimentTopics.DEFAULT_PARTITIONS
                      : Math.max(workers, aggregators),
              Replication.CLUSTER_DEFAULT,
              ExperimentTopics.DEFAULT_MAX_MESSAGE_BYTES);
    } catch (IllegalArgumentException e) {
      throw new UserException(e.getMessage(), e);
    }
    RunOutput out = output.output(id);

    Console console = new Console(System.out);
    console.line(Console.describe("DemLearn on Kafka: experiment", id, settings));
    ExperimentData.Loaded data = ExperimentOptions.load(settings, console);
    console.step("data: " + data.source());
    List<String> agentIds = data.agents().stream().map(a -> a.id()).toList();
    Experiment run = new Experiment(id, settings, agentIds, policy);
    Pipeline.Layout layout =
        new Pipeline.Layout(
            workers,
            aggregators,
            tiers(run),
            processPerService,
            restarts,
            slowAgentDelays(agentIds),
            metricsPort,
            sign ? (keyDir != null ? keyDir : KeysCommand.defaultKeyDir()).toAbsolutePath() : null);

    SimulateCommand.Progress progress =
        new SimulateCommand.Progress(settings.rounds(), System.console() != null);
    boolean temporaryLog;
    try (out;
        Connection conn = Connection.open(connection, console);
        AvroSerdes serdes = new AvroSerdes(conn.registryConfig())) {
      temporaryLog = conn.startedLocalParts();
      if (externalServices && temporaryLog) {
        throw new UserException(
            "--external-services: the services run elsewhere and need a cluster they can reach;"
                + " give --bootstrap-servers and --schema-registry-url, or start the background"
                + " stack (demlearn stack start)");
      }
      drive(
          run,
          topics.withReplication(replication.resolve(conn, console)),
          data,
          layout,
          out,
          conn,
          serdes,
          console,
          progress);
    } finally {
      progress.done();
    }
    console.line(out.summary());
    console.line("results: " + out.metricsFile() + ", report: " + out.dir().resolve("report.html"));
    if (temporaryLog) {
      console.line(
          "the experiment's log was on a temporary broker and is gone; to keep one to replay and"
              + " audit, start the background stack first ('demlearn stack start'; see the"
              + " README)");
    }
    return 0;
  }

  /**
   * Creates the topics, starts the services, follows the rounds; stops the services before
   * returning.
   */
  private static List<String> describeTiers(Pipeline.Layout layout) {
    return layout.tiers().stream().map(t -> t[0] + "-" + t[1]).toList();
  }

  private static String describeAggregators(Pipeline.Layout layout) {
    String instances =
        layout.aggregators() == 1 ? "" : " (" + layout.aggregators() + " instances each)";
    return layout.tiers().size() == 1
        ? (layout.aggregators() == 1 ? "the aggregator" : layout.aggregators() + " aggregators")
        : "aggregators for levels " + String.join(", ", describeTiers(layout)) + instances;
  }

  /** The level ranges of --aggregator-tiers, checked to cover every level once. */
  private List<int[]> tiers(Experiment run) {
    List<int[]> tiers = new ArrayList<>();
    try {
      if (aggregatorTiers == null) {
        tiers.add(AggregatorTopology.levels(run, null));
        return tiers;
      }
      for (String range : aggregatorTiers.split(",")) {
        tiers.add(AggregatorTopology.levels(run, range));
      }
    } catch (IllegalArgumentException e) {
      throw new UserException(e.getMessage().replace("--levels", "--aggregator-tiers: range"), e);
    }
    int next = 1;
    for (int[] t : tiers) {
      if (t[0] != next) {
        throw new UserException(
            "--aggregator-tiers "
                + aggregatorTiers
                + ": the ranges must follow each other from level 1 to "
                + run.topLevel()
                + " (level "
                + next
                + " is next)");
      }
      next = t[1] + 1;
    }
    if (next != run.topLevel() + 1) {
      throw new UserException(
          "--aggregator-tiers "
              + aggregatorTiers
              + ": the ranges stop at level "
              + (next - 1)
              + "; this experiment's root is at level "
              + run.topLevel());
    }
    return tiers;
  }

  private void drive(
      Experiment run,
      ExperimentTopics topics,
      ExperimentData.Loaded data,
      Pipeline.Layout layout,
      RunOutput out,
      Connection conn,
      AvroSerdes serdes,
      Console console,
      SimulateCommand.Progress progress)
      throws Exception {
    ExperimentSettings settings = run.settings();
    ExecutorService pool = Executors.newFixedThreadPool(settings.threads());
    Map<String, String> machine = Provenance.withNumerics();
    try (Pipeline pipeline = new Pipeline(run, topics, conn, serdes, console)) {
      pipeline.create(machine);
      if (run.signed()) {
        int keys = KeysCommand.issue(conn.kafkaConfig(), serdes, run, layout.keyDir());
        console.step(
            keys
                + " keys issued (--sign): public keys on "
                + topics.agentKeys().name()
                + ", private keys in "
                + layout.keyDir().resolve(run.id()));
      } else if (conn.overTls()) {
        console.step(
            "note: the cluster's ACLs say who may write updates, not for which agents; --sign"
                + " makes every update carry its agent's signature");
      }
      if (externalServices) {
        console.step(
            "topics demlearn."
                + run.id()
                + ".* created, spec published; the aggregator, the clusterer and the agent"
                + " workers run elsewhere (--external-services): waiting for their rounds");
      } else {
        console.step(
            "topics demlearn."
                + run.id()
                + ".* created, spec published; starting "
                + describeAggregators(layout)
                + ", the clusterer and "
                + (workers == 1 ? "an agent worker" : workers + " agent workers")
                + (processPerService
                    ? ", each in a process of its own"
                    : workers > 1 ? " (worker processes)" : ""));
        pipeline.start(layout, data);
      }
      out.open(
          run.id(),
          settings,
          data.source(),
          Map.of(
              "mode",
              externalServices ? "run with external services" : "run",
              "bootstrapServers",
              conn.bootstrapServers(),
              "schemaRegistryUrl",
              conn.registryUrl(),
              "partitions",
              topics.partitions(),
              "aggregators",
              Map.of("instances", aggregators, "tiers", describeTiers(layout)),
              "pipeline",
              run.describePolicy(),
              "machine",
              machine));
      progress.header();
      MetricsCollector metrics =
          pipeline.collect(
              new MetricsCollector.Config(
                  run, topics, data.agents(), conn.kafkaConfig(), serdes, pool, settings.threads()),
              (m, secs, timings, traffic) -> {
                out.round(m, secs, timings, traffic);
                progress.round(m, secs);
              });
      pipeline.await(
          metrics, settings.rounds(), Duration.ofSeconds(stallTimeoutSeconds), out.partialFile());
      progress.done();
      HierarchyVersion latest = metrics.latestVersion();
      if (latest != null && latest.dendrogram() != null) {
        out.dendrogram(latest.dendrogram(), run.agentIds());
      }
      out.complete();
    } finally {
      pool.shutdownNow();
    }
  }

  /** The --slow-agent delays, checked against the experiment's agents. */
  private Map<String, SlowAgent> slowAgentDelays(List<String> agentIds) {
    Map<String, SlowAgent> out = new LinkedHashMap<>();
    slowAgents.forEach(
        (agent, text) -> {
          if (!agentIds.contains(agent)) {
            throw new UserException(
                "--slow-agent "
                    + agent
                    + ": no such agent (agents are "
                    + agentIds.get(0)
                    + " to "
                    + agentIds.get(agentIds.size() - 1)
                    + ")");
          }
          try {
            out.put(agent, SlowAgent.parse(text, Duration.ofSeconds(1)));
          } catch (IllegalArgumentException e) {
            throw new UserException("--slow-agent " + agent + "=" + text + ": " + e.getMessage());
          }
        });
    return out;
  }
}
