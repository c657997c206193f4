package io.demlearn.runner;

import io.demlearn.core.Provenance;
import io.demlearn.core.data.NonIidPartitioner;
import io.demlearn.core.experiment.ExperimentSettings;
import io.demlearn.pipeline.checks.UpdateChecks;
import io.demlearn.pipeline.clients.ClientConfigs;
import io.demlearn.pipeline.clients.Partitions;
import io.demlearn.pipeline.records.Experiment;
import io.demlearn.pipeline.records.ExperimentSpecs;
import io.demlearn.pipeline.records.ModelUpdates;
import io.demlearn.schemas.avro.ExperimentSpec;
import io.demlearn.schemas.avro.ModelUpdate;
import io.demlearn.schemas.serde.AvroSerdes;
import io.demlearn.schemas.topics.ExperimentTopics;
import io.demlearn.schemas.topics.Replication;
import io.demlearn.schemas.topics.SchemaSetup;
import io.demlearn.schemas.topics.Topic;
import io.demlearn.schemas.topics.TopicAdmin;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code demlearn check}: checks a Kafka cluster and schema registry end to end, with timings:
 * start the local stack (unless a cluster and registry are given), create an experiment's topics,
 * register its schemas, publish its spec and one round of model updates (records the pipeline
 * accepts: a one-round experiment of the default model) and read them back, verifying every value
 * bit for bit.
 */
@Command(
    name = "check",
    mixinStandardHelpOptions = true,
    description =
        "Check a Kafka cluster and schema registry: create an experiment's topics, register the"
            + " schemas, publish one round of model updates and read them back bit for bit.")
final class CheckCommand implements Callable<Integer> {
  @Mixin ConnectionOptions connection;

  @Option(
      names = "--experiment",
      paramLabel = "ID",
      description = "Experiment id, part of every topic name (default: check-<date>-<time>).")
  String experiment;

  @Option(
      names = "--agents",
      defaultValue = "50",
      paramLabel = "N",
      description = "Agents (default: ${DEFAULT-VALUE}).")
  int agents;

  @Option(
      names = "--seed",
      defaultValue = "1",
      paramLabel = "S",
      description = "Random seed (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(
      names = "--partitions",
      defaultValue = "6",
      paramLabel = "P",
      description =
          "Partitions of the model-update and group-model topics (default: ${DEFAULT-VALUE}).")
  int partitions;

  @Mixin ReplicationOptions replication;

  @Override
  public Integer call() {
    if (agents < 1) {
      throw new UserException("--agents must be at least 1, got " + agents);
    }
    String id = experiment != null ? experiment : OutputOptions.newId("check");
    ExperimentTopics topics;
    Experiment check;
    try {
      topics =
          new ExperimentTopics(
              id,
              partitions,
              Replication.CLUSTER_DEFAULT,
              ExperimentTopics.DEFAULT_MAX_MESSAGE_BYTES);
      ExperimentSettings settings =
          ExperimentSettings.builder()
              .dataset("synthetic")
              .agents(agents)
              .rounds(1)
              .seed(seed)
              .threads(1)
              .build();
      List<String> agentIds = new ArrayList<>();
      for (int u = 0; u < agents; u++) {
        agentIds.add(NonIidPartitioner.agentId(u));
      }
      check = new Experiment(id, settings, agentIds, Experiment.defaultPolicy());
    } catch (IllegalArgumentException e) {
      throw new UserException(e.getMessage(), e);
    }
    Console console = new Console(System.out);
    console.line("DemLearn on Kafka: pipeline check, experiment " + id);
    int weak;
    try (Connection conn = Connection.open(connection, console)) {
      Replication asked = replication.resolve(conn, console);
      topics = topics.withReplication(asked);
      Console.Stopwatch sw = new Console.Stopwatch();
      try (Admin admin = Admin.create(conn.kafkaConfig())) {
        TopicAdmin.Outcome outcome =
            new TopicAdmin(admin, Duration.ofSeconds(60))
                .ensure(topics.all().stream().map(Topic::spec).toList());
        console.step(
            "topics ready under demlearn."
                + id
                + ".*: "
                + outcome.created().size()
                + " created, "
                + outcome.existing().size()
                + " already there ("
                + sw.text()
                + ")");
      }

      sw = new Console.Stopwatch();
      try (AvroSerdes serdes = new AvroSerdes(conn.registryConfig())) {
        Map<String, Integer> ids = SchemaSetup.registerAll(topics, serdes.registry());
        console.step(
            "registered "
                + ids.size()
                + " value schemas (BACKWARD compatibility) at "
                + conn.registryUrl()
                + ": ids "
                + ids.values()
                + " ("
                + sw.text()
                + ")");

        List<ModelUpdate> sent = publish(conn, serdes, topics, check, console);
        readBack(conn, serdes, topics, sent, console);
      }
      weak = reportWeakTopics(conn, asked, console);
      if (conn.startedLocalParts()) {
        console.step("stopping the local broker and registry ...");
      }
    }
    if (weak > 0) {
      throw new UserException(
          weak
              + " topic"
              + (weak == 1 ? " is" : "s are")
              + " replicated less than asked (listed above): recreate them, or raise their"
              + " min.insync.replicas with kafka-configs, before relying on them");
    }
    console.step("done");
    return 0;
  }

  /** The brokers' topics that experiments rely on, besides the project's own. */
  private static final List<String> BROKER_TOPICS =
      List.of("__consumer_offsets", "__transaction_state");

  /**
   * Lists every topic of the project (every experiment's, and their aggregators' internal ones) and
   * the brokers' offsets and transaction topics whose replication is weaker than asked.
   *
   * @return how many there are
   */
  private static int reportWeakTopics(Connection conn, Replication asked, Console console) {
    try (Admin admin = Admin.create(conn.kafkaConfig())) {
      TopicAdmin topicAdmin = new TopicAdmin(admin, Duration.ofSeconds(60));
      List<String> names = new ArrayList<>(topicAdmin.names(ExperimentTopics.PREFIX));
      names.addAll(BROKER_TOPICS);
      Map<String, TopicAdmin.Replicas> found = topicAdmin.replication(names);
      int weak = 0;
      for (Map.Entry<String, TopicAdmin.Replicas> e : found.entrySet()) {
        TopicAdmin.Replicas r = e.getValue();
        if (r.weakerThan(asked)) {
          weak++;
          console.line(
              "  weaker than asked: "
                  + e.getKey()
                  + ": "
                  + r.factor()
                  + " replicas, min.insync.replicas "
                  + r.minInsync()
                  + " (asked "
                  + asked.describe()
                  + ")");
        }
      }
      console.step(
          "replication of "
              + found.size()
              + " topics checked against "
              + asked.describe()
              + ": "
              + (weak == 0 ? "none weaker" : weak + " weaker"));
      return weak;
    }
  }

  /** One round of updates of the default model, each one the pipeline accepts. */
  private List<ModelUpdate> updates(Experiment check) {
    SplittableRandom random = new SplittableRandom(seed);
    UpdateChecks checks = new UpdateChecks(check);
    List<ModelUpdate> updates = new ArrayList<>();
    for (String agent : check.agentIds()) {
      float[] params = new float[check.settings().architecture().dimension()];
      for (int i = 0; i < params.length; i++) {
        params[i] = (float) (random.nextDouble() * 0.02 - 0.01);
      }
      ModelUpdate u =
          ModelUpdates.of(
              check,
              agent,
              0,
              -1,
              1 + random.nextInt(100),
              params,
              null,
              System.currentTimeMillis());
      UpdateChecks.Refusal refusal = checks.check(agent, u);
      if (refusal != null) {
        throw new IllegalStateException(
            "the check's own update of " + agent + " would be refused: " + refusal);
      }
      updates.add(u);
    }
    return updates;
  }

  private List<ModelUpdate> publish(
      Connection conn,
      AvroSerdes serdes,
      ExperimentTopics topics,
      Experiment check,
      Console console) {
    Console.Stopwatch sw = new Console.Stopwatch();
    List<ModelUpdate> updates = updates(check);
    Map<String, Object> config = ClientConfigs.producer(conn.kafkaConfig(), check.id() + "-check");
    Topic<ExperimentSpec> specs = topics.experiments();
    Topic<ModelUpdate> updatesTopic = topics.modelUpdates();
    long bytes = 0;
    try (KafkaProducer<String, ExperimentSpec> specProducer =
            new KafkaProducer<>(
                config, specs.keySerde().serializer(), specs.valueSerde(serdes).serializer());
        KafkaProducer<String, ModelUpdate> producer =
            new KafkaProducer<>(
                config,
                updatesTopic.keySerde().serializer(),
                updatesTopic.valueSerde(serdes).serializer())) {
      specProducer
          .send(
              new ProducerRecord<>(
                  specs.name(),
                  check.id(),
                  ExperimentSpecs.toSpec(check, System.currentTimeMillis(), Provenance.machine())))
          .get();
      List<Future<RecordMetadata>> acks = new ArrayList<>();
      for (ModelUpdate u : updates) {
        acks.add(producer.send(new ProducerRecord<>(updatesTopic.name(), u.getAgentId(), u)));
      }
      for (Future<RecordMetadata> ack : acks) {
        bytes += ack.get().serializedValueSize();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UserException("interrupted while publishing", e);
    } catch (ExecutionException e) {
      throw new UserException(
          "publishing to " + conn.bootstrapServers() + " failed: " + e.getCause().getMessage(),
          e.getCause());
    }
    console.step(
        String.format(
            Locale.ROOT,
            "published the experiment spec and %d model updates (%,d floats each, %.1f MB) in %s",
            agents,
            check.settings().architecture().dimension(),
            bytes / 1e6,
            sw.text()));
    return updates;
  }

  private void readBack(
      Connection conn,
      AvroSerdes serdes,
      ExperimentTopics topics,
      List<ModelUpdate> sent,
      Console console) {
    Console.Stopwatch sw = new Console.Stopwatch();
    Topic<ModelUpdate> topic = topics.modelUpdates();
    Map<String, ModelUpdate> received = new HashMap<>();
    try (KafkaConsumer<String, ModelUpdate> consumer =
        new KafkaConsumer<>(
            ClientConfigs.consumer(conn.kafkaConfig(), topics.experimentId() + "-check", null),
            topic.keySerde().deserializer(),
            topic.valueSerde(serdes).deserializer())) {
      List<TopicPartition> parts = Partitions.of(consumer, topic.name());
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      Map<TopicPartition, Long> end = consumer.endOffsets(parts);
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (!Partitions.reached(consumer, end) && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, ModelUpdate> r : consumer.poll(Duration.ofMillis(200))) {
          if (r.value() != null && r.value().getRound() == 0) {
            received.put(r.key(), r.value());
          }
        }
      }
      long mismatched = sent.stream().filter(u -> !u.equals(received.get(u.getAgentId()))).count();
      if (mismatched > 0) {
        throw new UserException(
            mismatched + " of " + sent.size() + " model updates did not come back as sent");
      }
      console.step(
          "read back "
              + sent.size()
              + " model updates from "
              + parts.size()
              + " partitions; every one equal to what was sent, bit for bit ("
              + sw.text()
              + ")");
    }
  }
}
