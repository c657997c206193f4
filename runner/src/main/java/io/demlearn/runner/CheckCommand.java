package io.demlearn.runner;

import io.demlearn.schemas.ParameterVectors;
import io.demlearn.schemas.avro.ExperimentSpec;
import io.demlearn.schemas.avro.ModelKind;
import io.demlearn.schemas.avro.ModelUpdate;
import io.demlearn.schemas.serde.AvroSerdes;
import io.demlearn.schemas.topics.ExperimentTopics;
import io.demlearn.schemas.topics.SchemaSetup;
import io.demlearn.schemas.topics.Topic;
import io.demlearn.schemas.topics.TopicAdmin;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code demlearn check}: checks a Kafka cluster and schema registry end to end, with timings:
 * start the local stack (unless a cluster and registry are given), create an experiment's topics,
 * register its schemas, publish one round of model updates and read them back, verifying every
 * value bit for bit.
 */
@Command(name = "check", mixinStandardHelpOptions = true,
    description = "Check a Kafka cluster and schema registry: create an experiment's topics, register the schemas,"
        + " publish one round of model updates and read them back bit for bit.")
final class CheckCommand implements Callable<Integer> {
  @Mixin ConnectionOptions connection;

  @Option(names = "--experiment", paramLabel = "ID",
      description = "Experiment id, part of every topic name (default: check-<date>-<time>).")
  String experiment;

  @Option(names = "--agents", defaultValue = "50", paramLabel = "N", description = "Agents (default: ${DEFAULT-VALUE}).")
  int agents;

  @Option(names = "--seed", defaultValue = "1", paramLabel = "S", description = "Random seed (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--partitions", defaultValue = "6", paramLabel = "P",
      description = "Partitions of the model-update and group-model topics (default: ${DEFAULT-VALUE}).")
  int partitions;

  @Option(names = "--replication-factor", defaultValue = "-1", paramLabel = "R",
      description = "Replicas of every topic; -1 takes the cluster's default (default: ${DEFAULT-VALUE}).")
  short replicationFactor;

  /** Parameters of the default model, multinomial logistic regression 784 -> 10. */
  static final int MLR_DIMENSION = 784 * 10 + 10;

  @Override
  public Integer call() {
    if (agents < 1) {
      throw new UserException("--agents must be at least 1, got " + agents);
    }
    String id = experiment != null ? experiment
        : "check-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT));
    ExperimentTopics topics;
    try {
      topics = new ExperimentTopics(id, partitions, replicationFactor, ExperimentTopics.DEFAULT_MAX_MESSAGE_BYTES);
    } catch (IllegalArgumentException e) {
      throw new UserException(e.getMessage());
    }
    Console console = new Console(System.out);
    console.line("DemLearn on Kafka: pipeline check, experiment " + id);
    try (Connection conn = Connection.open(connection, console)) {
      Console.Stopwatch sw = new Console.Stopwatch();
      try (Admin admin = Admin.create(conn.kafkaConfig())) {
        TopicAdmin.Outcome outcome = new TopicAdmin(admin, Duration.ofSeconds(60))
            .ensure(topics.all().stream().map(Topic::spec).toList());
        console.step("topics ready under demlearn." + id + ".*: " + outcome.created().size() + " created, "
            + outcome.existing().size() + " already there (" + sw.text() + ")");
      }

      sw = new Console.Stopwatch();
      try (AvroSerdes serdes = new AvroSerdes(conn.registryConfig())) {
        Map<String, Integer> ids = SchemaSetup.registerAll(topics, serdes.registry());
        console.step("registered " + ids.size() + " value schemas (BACKWARD compatibility) at " + conn.registryUrl()
            + ": ids " + ids.values() + " (" + sw.text() + ")");

        List<ModelUpdate> sent = publish(conn, serdes, topics, id, console);
        readBack(conn, serdes, topics, sent, console);
      }
      if (conn.startedLocalParts()) {
        console.step("stopping the local broker and registry ...");
      }
    }
    console.step("done");
    return 0;
  }

  private List<ModelUpdate> publish(Connection conn, AvroSerdes serdes, ExperimentTopics topics, String id, Console console) {
    Console.Stopwatch sw = new Console.Stopwatch();
    Map<String, Object> config = conn.kafkaConfig();
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    config.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    config.put(ProducerConfig.BATCH_SIZE_CONFIG, 512 * 1024);
    config.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, ExperimentTopics.DEFAULT_MAX_MESSAGE_BYTES);
    SplittableRandom random = new SplittableRandom(seed);
    List<ModelUpdate> updates = new ArrayList<>();
    for (int a = 0; a < agents; a++) {
      float[] params = new float[MLR_DIMENSION];
      for (int i = 0; i < params.length; i++) {
        params[i] = (float) (random.nextDouble() * 0.02 - 0.01);
      }
      updates.add(ModelUpdate.newBuilder()
          .setExperimentId(id).setRound(0).setHierarchyVersion(-1)
          .setAgentId(String.format(Locale.ROOT, "agent-%03d", a)).setTrainSamples(0)
          .setParameters(ParameterVectors.of(ModelKind.MLR, params)).setTrainLoss(null)
          .setProducedAtMs(System.currentTimeMillis()).build());
    }
    Topic<ExperimentSpec> specs = topics.experiments();
    Topic<ModelUpdate> updatesTopic = topics.modelUpdates();
    long bytes = 0;
    try (KafkaProducer<String, ExperimentSpec> specProducer =
            new KafkaProducer<>(config, specs.keySerde().serializer(), specs.valueSerde(serdes).serializer());
        KafkaProducer<String, ModelUpdate> producer =
            new KafkaProducer<>(config, updatesTopic.keySerde().serializer(), updatesTopic.valueSerde(serdes).serializer())) {
      specProducer.send(new ProducerRecord<>(specs.name(), id, spec(id))).get();
      List<java.util.concurrent.Future<org.apache.kafka.clients.producer.RecordMetadata>> acks = new ArrayList<>();
      for (ModelUpdate u : updates) {
        acks.add(producer.send(new ProducerRecord<>(updatesTopic.name(), u.getAgentId(), u)));
      }
      for (var ack : acks) {
        bytes += ack.get().serializedValueSize();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UserException("interrupted while publishing", e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new UserException("publishing to " + conn.bootstrapServers() + " failed: " + e.getCause().getMessage(), e.getCause());
    }
    console.step(String.format(Locale.ROOT,
        "published the experiment spec and %d model updates (%,d floats each, %.1f MB) in %s",
        agents, MLR_DIMENSION, bytes / 1e6, sw.text()));
    return updates;
  }

  private void readBack(Connection conn, AvroSerdes serdes, ExperimentTopics topics, List<ModelUpdate> sent, Console console) {
    Console.Stopwatch sw = new Console.Stopwatch();
    Topic<ModelUpdate> topic = topics.modelUpdates();
    Map<String, Object> config = conn.kafkaConfig();
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    config.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, ExperimentTopics.DEFAULT_MAX_MESSAGE_BYTES);
    Map<String, ModelUpdate> received = new HashMap<>();
    try (KafkaConsumer<String, ModelUpdate> consumer =
        new KafkaConsumer<>(config, topic.keySerde().deserializer(), topic.valueSerde(serdes).deserializer())) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (PartitionInfo p : consumer.partitionsFor(topic.name())) {
        partitions.add(new TopicPartition(p.topic(), p.partition()));
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (!reached(consumer, end) && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, ModelUpdate> r : consumer.poll(Duration.ofMillis(200))) {
          if (r.value() != null && r.value().getRound() == 0) {
            received.put(r.key(), r.value());
          }
        }
      }
      int mismatched = 0;
      for (ModelUpdate u : sent) {
        ModelUpdate got = received.get(u.getAgentId());
        if (got == null || !Arrays.equals(ParameterVectors.toFloats(got.getParameters()),
            ParameterVectors.toFloats(u.getParameters())) || !got.equals(u)) {
          mismatched++;
        }
      }
      if (mismatched > 0) {
        throw new UserException(mismatched + " of " + sent.size() + " model updates did not come back as sent");
      }
      console.step("read back " + sent.size() + " model updates from " + partitions.size()
          + " partitions; every one equal to what was sent, bit for bit (" + sw.text() + ")");
    }
  }

  private static boolean reached(KafkaConsumer<?, ?> consumer, Map<TopicPartition, Long> end) {
    for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
      if (consumer.position(e.getKey()) < e.getValue()) {
        return false;
      }
    }
    return true;
  }

  private ExperimentSpec spec(String id) {
    return ExperimentSpec.newBuilder()
        .setExperimentId(id).setCreatedAtMs(System.currentTimeMillis())
        .setAlgorithm("demlearn-p").setModelKind(ModelKind.MLR).setDataset("synthetic").setPartitionFile(null)
        .setAgents(agents).setRounds(0).setSeed(seed)
        .setLearningRate(0.05).setBatchSize(10).setLocalEpochs(2).setMu(0.002).setAlpha(0.7)
        .setLevels(3).setReclusterEvery(1).setAmplify(1.0)
        .setDistanceMetric("euclidean").setLinkage("average").setWeighting("agents")
        .setExtra(Map.of("purpose", "pipeline check"))
        .build();
  }
}
