package io.demlearn.worker;

import io.demlearn.core.sim.ExperimentData;
import io.demlearn.core.sim.ExperimentSettings;
import io.demlearn.schemas.avro.ExperimentSpec;
import io.demlearn.schemas.convert.ExperimentSpecs;
import io.demlearn.schemas.registry.SchemaRegistryConfig;
import io.demlearn.schemas.serde.AvroSerdes;
import io.demlearn.schemas.topics.ClientConfigs;
import io.demlearn.schemas.topics.ExperimentTopics;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * An agent worker as a process of its own ({@code demlearn run --workers N} starts N of them):
 * {@code AgentWorkerMain --experiment ID --bootstrap-servers HOST:PORT --schema-registry-url URL
 * --worker-id K [--threads T] [--client-config FILE]}. It reads the experiment's settings from its
 * {@code experiments} topic, loads the data, and works until SIGTERM, which stops it cleanly.
 */
public final class AgentWorkerMain {
  private AgentWorkerMain() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> opts = new HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      if (!args[i].startsWith("--")) {
        usage("unexpected argument " + args[i]);
      }
      opts.put(args[i].substring(2), args[i + 1]);
    }
    for (String required : List.of("experiment", "bootstrap-servers", "schema-registry-url", "worker-id")) {
      if (!opts.containsKey(required)) {
        usage("missing --" + required);
      }
    }
    String id = opts.get("experiment");
    Map<String, Object> kafka = new HashMap<>();
    Map<String, Object> registry = new HashMap<>();
    if (opts.containsKey("client-config")) {
      Properties props = new Properties();
      try (Reader in = Files.newBufferedReader(Path.of(opts.get("client-config")))) {
        props.load(in);
      } catch (IOException e) {
        usage("cannot read --client-config " + opts.get("client-config") + ": " + e.getMessage());
      }
      for (String k : props.stringPropertyNames()) {
        (k.startsWith("schema.registry.") || k.startsWith("basic.auth.") ? registry : kafka).put(k, props.getProperty(k));
      }
    }
    kafka.put("bootstrap.servers", opts.get("bootstrap-servers"));
    registry.put(SchemaRegistryConfig.URL, opts.get("schema-registry-url"));
    int threads = Integer.parseInt(opts.getOrDefault("threads", Integer.toString(Runtime.getRuntime().availableProcessors())));

    try (AvroSerdes serdes = new AvroSerdes(registry)) {
      ExperimentTopics base = ExperimentTopics.of(id);
      ExperimentSpec spec = readSpec(id, base, kafka, serdes);
      ExperimentSettings settings = ExperimentSpecs.fromSpec(spec, threads);
      int partitions;
      try (KafkaConsumer<String, byte[]> probe = new KafkaConsumer<>(ClientConfigs.consumer(kafka, id + "-probe", null),
          new org.apache.kafka.common.serialization.StringDeserializer(),
          new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
        partitions = probe.partitionsFor(base.modelUpdates().name()).size();
      }
      ExperimentTopics topics = new ExperimentTopics(id, partitions, (short) -1, ExperimentTopics.DEFAULT_MAX_MESSAGE_BYTES);
      ExperimentData.Loaded data = ExperimentData.load(settings);
      AgentWorker worker = new AgentWorker(new AgentWorker.Config(id, topics, settings, data.agents(), kafka, serdes,
          threads, opts.get("worker-id")));
      CountDownLatch stopped = new CountDownLatch(1);
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        worker.close();
        try {
          stopped.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }, "agent-worker-shutdown"));
      System.out.println("agent worker " + opts.get("worker-id") + " of experiment " + id + " started (" + threads
          + " threads, " + data.source() + ")");
      try {
        worker.run();
      } finally {
        stopped.countDown();
      }
    }
  }

  private static ExperimentSpec readSpec(String id, ExperimentTopics topics, Map<String, Object> kafka, AvroSerdes serdes) {
    try (KafkaConsumer<String, ExperimentSpec> consumer = new KafkaConsumer<>(ClientConfigs.consumer(kafka, id + "-spec", null),
        topics.experiments().keySerde().deserializer(), topics.experiments().valueSerde(serdes).deserializer())) {
      List<TopicPartition> parts = consumer.partitionsFor(topics.experiments().name()).stream()
          .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (System.nanoTime() < deadline) {
        for (ConsumerRecord<String, ExperimentSpec> r : consumer.poll(Duration.ofMillis(200))) {
          if (id.equals(r.key()) && r.value() != null) {
            return r.value();
          }
        }
      }
    }
    throw new IllegalStateException("no spec of experiment " + id + " on " + topics.experiments().name() + " within 60 s");
  }

  private static void usage(String problem) {
    System.err.println("error: " + problem + "\nusage: AgentWorkerMain --experiment ID --bootstrap-servers HOST:PORT"
        + " --schema-registry-url URL --worker-id K [--threads T] [--client-config FILE]");
    System.exit(2);
  }
}
