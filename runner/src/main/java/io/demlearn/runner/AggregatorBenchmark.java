package io.demlearn.runner;

import io.demlearn.aggregator.AggregatorService;
import io.demlearn.aggregator.AggregatorTopology;
import io.demlearn.core.data.NonIidPartitioner;
import io.demlearn.core.experiment.Algorithm;
import io.demlearn.core.experiment.ExperimentSettings;
import io.demlearn.core.model.ModelKind;
import io.demlearn.core.strategy.HierarchyVersion;
import io.demlearn.pipeline.clients.ClientConfigs;
import io.demlearn.pipeline.clients.Partitions;
import io.demlearn.pipeline.records.Experiment;
import io.demlearn.pipeline.records.ExperimentSpecs;
import io.demlearn.pipeline.records.Hierarchies;
import io.demlearn.schemas.ParameterVectors;
import io.demlearn.schemas.avro.GroupModel;
import io.demlearn.schemas.avro.ModelUpdate;
import io.demlearn.schemas.serde.AvroSerdes;
import io.demlearn.schemas.topics.ExperimentTopics;
import io.demlearn.schemas.topics.Replication;
import io.demlearn.schemas.topics.SchemaSetup;
import io.demlearn.schemas.topics.TopicAdmin;
import io.demlearn.schemas.topics.TopicSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code demlearn benchmark aggregator}: the aggregator alone on updates written for it (FedAvg's
 * flat hierarchy, known in advance, so nothing waits for a clusterer), against the broker's own
 * rate for the same records: the time to produce them and consume them back with plain clients,
 * measured first on a topic of their own. The aggregator's time runs from the first update written
 * (it is running and idle by then) to the last round's root model.
 */
@Command(
    name = "aggregator",
    mixinStandardHelpOptions = true,
    description =
        "Time the aggregator on pre-written updates against the broker's produce-and-consume rate"
            + " for the same records.")
final class AggregatorBenchmark implements Callable<Integer> {
  @Mixin ConnectionOptions connection;

  @Option(names = "--agents", defaultValue = "1000", paramLabel = "N")
  int agents;

  @Option(names = "--rounds", defaultValue = "5", paramLabel = "R")
  int rounds;

  @Option(names = "--partitions", defaultValue = "1", paramLabel = "P")
  int partitions;

  @Option(names = "--aggregators", defaultValue = "1", paramLabel = "A")
  int aggregators;

  @Override
  public Integer call() throws Exception {
    Console console = new Console(System.out);
    String id = "bench-agg-" + UUID.randomUUID().toString().substring(0, 8);
    List<String> agentIds = new ArrayList<>();
    for (int u = 0; u < agents; u++) {
      agentIds.add(NonIidPartitioner.agentId(u));
    }
    ExperimentSettings settings =
        ExperimentSettings.builder()
            .algorithm(Algorithm.FEDAVG)
            .dataset("synthetic")
            .agents(agents)
            .rounds(rounds)
            .threads(1)
            .build();
    Experiment experiment = new Experiment(id, settings, agentIds, Experiment.defaultPolicy());
    ExperimentTopics topics =
        new ExperimentTopics(
            id,
            partitions,
            Replication.CLUSTER_DEFAULT,
            ExperimentTopics.DEFAULT_MAX_MESSAGE_BYTES);
    String raw = topics.name(io.demlearn.schemas.topics.TopicKind.MODEL_UPDATES) + "-raw";
    try (Connection conn = Connection.open(connection, console);
        AvroSerdes serdes = new AvroSerdes(conn.registryConfig())) {
      Map<String, Object> kafka = conn.kafkaConfig();
      List<TopicSpec> specs = new ArrayList<>();
      topics.all().forEach(t -> specs.add(t.spec()));
      AggregatorTopology.topics(experiment, topics).forEach(t -> specs.add(t.spec()));
      specs.add(new TopicSpec(raw, partitions, (short) -1, topics.modelUpdates().spec().configs()));
      try (Admin admin = Admin.create(kafka)) {
        new TopicAdmin(admin, Duration.ofSeconds(60)).ensure(specs);
      }
      SchemaSetup.registerAll(topics, serdes.registry());
      SchemaSetup.register(AggregatorTopology.topics(experiment, topics), serdes.registry());

      List<ProducerRecord<byte[], byte[]>> records = updates(experiment, topics, serdes);
      long bytes = records.stream().mapToLong(r -> r.key().length + r.value().length).sum();
      console.step(
          String.format(
              Locale.ROOT,
              "%d updates of %d agents x %d rounds written in memory: %.1f MB",
              records.size(),
              agents,
              rounds,
              bytes / 1e6));

      // the broker alone: produce the same records to a topic of their own, consume them back
      long t0 = System.nanoTime();
      send(kafka, records, raw, id + "-raw");
      long t1 = System.nanoTime();
      consume(kafka, raw, records.size());
      long t2 = System.nanoTime();
      double produce = (t1 - t0) / 1e9;
      double consume = (t2 - t1) / 1e9;

      // the aggregator: running and idle, then the same records, until the last round's root
      HierarchyVersion flat = settings.strategy().initialHierarchy(agents);
      try (KafkaProducer<String, io.demlearn.schemas.avro.HierarchyAssignment> h =
          new KafkaProducer<>(
              ClientConfigs.producer(kafka, id + "-hierarchy"),
              new StringSerializer(),
              topics.hierarchyAssignments().valueSerde(serdes).serializer())) {
        h.send(
                new ProducerRecord<>(
                    topics.hierarchyAssignments().name(),
                    ExperimentTopics.hierarchyKey(0),
                    Hierarchies.toRecord(id, flat, agentIds, settings, 0)))
            .get();
      }
      Path state = Files.createTempDirectory("bench-agg-state");
      List<AggregatorService> services = new ArrayList<>();
      List<Thread> threads = new ArrayList<>();
      for (int k = 1; k <= aggregators; k++) {
        var config = new AggregatorTopology.Config(experiment, topics, serdes);
        AggregatorService s =
            new AggregatorService(
                AggregatorTopology.build(config),
                AggregatorTopology.streamsConfig(
                    config, kafka, state.resolve("a" + k).toString(), Integer.toString(k)));
        services.add(s);
        Thread t = new Thread(s, "bench-aggregator-" + k);
        t.setDaemon(true);
        t.start();
        threads.add(t);
      }
      Thread.sleep(5000); // started, its tasks assigned and idle
      long t3 = System.nanoTime();
      send(kafka, records, topics.modelUpdates().name(), id + "-updates");
      awaitRoots(kafka, experiment, topics, serdes);
      long t4 = System.nanoTime();
      services.forEach(AggregatorService::close);
      for (Thread t : threads) {
        t.join(30_000);
      }
      try (var walk = Files.walk(state)) {
        walk.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
      double agg = (t4 - t3) / 1e9;
      console.line(
          String.format(
              Locale.ROOT,
              "broker alone: produce %.1f MB/s, consume %.1f MB/s, produce then consume %.1f MB/s%n"
                  + "aggregator (%d instance(s), %d partition(s)): %.0f updates/s, %.1f MB/s from"
                  + " the first update written to the last round's root model: %.2f of the"
                  + " broker's produce-then-consume rate",
              bytes / 1e6 / produce,
              bytes / 1e6 / consume,
              bytes / 1e6 / (produce + consume),
              aggregators,
              partitions,
              records.size() / agg,
              bytes / 1e6 / agg,
              (produce + consume) / agg));
      return 0;
    }
  }

  /** Every update of every round, serialized as a worker writes it (key: agent id). */
  private List<ProducerRecord<byte[], byte[]>> updates(
      Experiment e, ExperimentTopics topics, AvroSerdes serdes) {
    var serializer = topics.modelUpdates().valueSerde(serdes).serializer();
    ModelKind kind = e.settings().model();
    SplittableRandom random = new SplittableRandom(1);
    List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>();
    for (int r = 0; r < rounds; r++) {
      for (String agent : e.agentIds()) {
        float[] x = new float[e.settings().architecture().dimension()];
        for (int k = 0; k < x.length; k++) {
          x[k] = (float) (random.nextGaussian() * 0.05);
        }
        ModelUpdate u =
            ModelUpdate.newBuilder()
                .setExperimentId(e.id())
                .setRound(r)
                .setHierarchyVersion(0)
                .setAgentId(agent)
                .setTrainSamples(10)
                .setParameters(ParameterVectors.of(ExperimentSpecs.toAvro(kind), x))
                .setProducedAtMs(System.currentTimeMillis())
                .build();
        out.add(
            new ProducerRecord<>(
                topics.modelUpdates().name(),
                agent.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                serializer.serialize(topics.modelUpdates().name(), u)));
      }
    }
    return out;
  }

  private static void send(
      Map<String, Object> kafka,
      List<ProducerRecord<byte[], byte[]>> records,
      String topic,
      String id)
      throws Exception {
    try (KafkaProducer<byte[], byte[]> p =
        new KafkaProducer<>(
            ClientConfigs.producer(kafka, id),
            new ByteArraySerializer(),
            new ByteArraySerializer())) {
      for (ProducerRecord<byte[], byte[]> r : records) {
        p.send(new ProducerRecord<>(topic, r.key(), r.value()));
      }
      p.flush();
    }
  }

  private static void consume(Map<String, Object> kafka, String topic, int count) {
    try (KafkaConsumer<byte[], byte[]> c =
        new KafkaConsumer<>(
            ClientConfigs.consumer(kafka, "bench-raw", "bench-raw-" + UUID.randomUUID()),
            new ByteArrayDeserializer(),
            new ByteArrayDeserializer())) {
      c.subscribe(List.of(topic));
      int seen = 0;
      while (seen < count) {
        seen += c.poll(Duration.ofMillis(200)).count();
      }
    }
  }

  private void awaitRoots(
      Map<String, Object> kafka,
      Experiment experiment,
      ExperimentTopics topics,
      AvroSerdes serdes) {
    try (KafkaConsumer<String, GroupModel> c =
        new KafkaConsumer<>(
            ClientConfigs.groupModelConsumer(kafka, "bench-roots", experiment),
            topics.groupModels().keySerde().deserializer(),
            topics.groupModels().valueSerde(serdes).deserializer())) {
      c.assign(Partitions.of(c, topics.groupModels().name()));
      Set<Integer> roots = new HashSet<>();
      long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
      while (roots.size() < rounds) {
        if (System.nanoTime() > deadline) {
          throw new UserException("the aggregator did not finish within 10 minutes");
        }
        for (ConsumerRecord<String, GroupModel> r : c.poll(Duration.ofMillis(50))) {
          if (r.value() != null && r.value().getGroupsInRound() > 0) {
            roots.add(r.value().getRound());
          }
        }
      }
    }
  }
}
