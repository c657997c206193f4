package io.demlearn.schemas.service;

import io.demlearn.schemas.avro.ExperimentSpec;
import io.demlearn.schemas.convert.Experiment;
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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * What every service process starts from: its command line ({@code --experiment ID
 * --bootstrap-servers HOST:PORT --schema-registry-url URL [--client-config FILE]} and the
 * service's own options; with {@code --parent-pid} it stops when that process ends), the
 * experiment as its spec on the {@code experiments} topic describes it, the experiment's topics as they exist, and a SIGTERM hook that closes the service cleanly.
 * A wrong command line prints the problem and the usage and exits with code 2.
 */
public final class ServiceProcess {
  private static final List<String> REQUIRED = List.of("experiment", "bootstrap-servers", "schema-registry-url");
  private static final List<String> OPTIONAL = List.of("client-config", "parent-pid");

  private final String usage;
  private final Map<String, String> options;
  private final Map<String, Object> kafka = new HashMap<>();
  private final Map<String, Object> registry = new HashMap<>();

  private ServiceProcess(String usage, Map<String, String> options) {
    this.usage = usage;
    this.options = options;
  }

  /**
   * Parses a service's command line.
   *
   * @param name the main class, for the usage line
   * @param own the service's own options ({@code --name VALUE}), with their usage text
   */
  public static ServiceProcess parse(String name, String[] args, Map<String, String> own) {
    StringBuilder usage = new StringBuilder("usage: " + name
        + " --experiment ID --bootstrap-servers HOST:PORT --schema-registry-url URL [--client-config FILE]"
        + " [--parent-pid PID]");
    own.forEach((option, text) -> usage.append(" [--").append(option).append(' ').append(text).append(']'));
    Map<String, String> options = new LinkedHashMap<>();
    ServiceProcess p = new ServiceProcess(usage.toString(), options);
    for (int i = 0; i < args.length; i += 2) {
      String option = args[i].startsWith("--") ? args[i].substring(2) : null;
      if (option == null || (!REQUIRED.contains(option) && !OPTIONAL.contains(option) && !own.containsKey(option))) {
        p.fail("unexpected argument " + args[i]);
      }
      if (i + 1 >= args.length) {
        p.fail("--" + option + " needs a value");
      }
      if (options.put(option, args[i + 1]) != null) {
        p.fail("--" + option + " given twice");
      }
    }
    for (String required : REQUIRED) {
      if (!options.containsKey(required)) {
        p.fail("missing --" + required);
      }
    }
    if (options.containsKey("client-config")) {
      Properties props = new Properties();
      try (Reader in = Files.newBufferedReader(Path.of(options.get("client-config")))) {
        props.load(in);
      } catch (IOException e) {
        p.fail("cannot read --client-config " + options.get("client-config") + ": " + e.getMessage());
      }
      for (String k : props.stringPropertyNames()) {
        (k.startsWith("schema.registry.") || k.startsWith("basic.auth.") ? p.registry : p.kafka).put(k, props.getProperty(k));
      }
    }
    p.kafka.put("bootstrap.servers", options.get("bootstrap-servers"));
    p.registry.put(SchemaRegistryConfig.URL, options.get("schema-registry-url"));
    if (options.containsKey("parent-pid")) {
      p.exitWithParent(name, p.intOption("parent-pid", -1));
    }
    return p;
  }

  /**
   * Stops this process (through its SIGTERM path: the service closes cleanly) when the process
   * that started it ends, so that no service outlives a supervisor that was killed.
   */
  private void exitWithParent(String name, long pid) {
    var parent = ProcessHandle.of(pid);
    Runnable stop = () -> {
      System.out.println(name + ": the process that started it (pid " + pid + ") has ended; stopping");
      System.exit(0);
    };
    if (parent.isEmpty()) {
      stop.run();
    }
    parent.get().onExit().thenRun(stop);
  }

  /** Prints the problem and the usage, and exits with code 2. */
  public void fail(String problem) {
    System.err.println("error: " + problem + "\n" + usage);
    System.exit(2);
  }

  public String experimentId() {
    return options.get("experiment");
  }

  /** A service option, or {@code otherwise}. */
  public String option(String name, String otherwise) {
    return options.getOrDefault(name, otherwise);
  }

  /** A whole-number option, or {@code otherwise}; a value that is not one fails with the usage. */
  public int intOption(String name, int otherwise) {
    String v = options.get(name);
    try {
      return v == null ? otherwise : Integer.parseInt(v);
    } catch (NumberFormatException e) {
      fail("--" + name + " must be a whole number, got '" + v + "'");
      return otherwise;
    }
  }

  /** Settings every Kafka client of the service gets. */
  public Map<String, Object> kafka() {
    return new HashMap<>(kafka);
  }

  /** Settings of the schema registry client. */
  public Map<String, Object> registry() {
    return new HashMap<>(registry);
  }

  /**
   * The experiment as its spec describes it, waiting up to {@code timeout} for the spec to appear;
   * if there is none by then, or it cannot be used, the process says why and exits with code 1.
   */
  public Experiment experiment(AvroSerdes serdes, int threads, Duration timeout) {
    String id = experimentId();
    ExperimentTopics topics = ExperimentTopics.of(id);
    var decoder = topics.experiments().valueSerde(serdes).deserializer();
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(ClientConfigs.consumer(kafka, id + "-spec", null),
        new StringDeserializer(), new ByteArrayDeserializer())) {
      long deadline = System.nanoTime() + timeout.toNanos();
      List<TopicPartition> parts = partitions(consumer, topics.experiments().name());
      while (parts.isEmpty() && System.nanoTime() < deadline) {
        sleep(Duration.ofMillis(500)); // the topic is not there (yet)
        parts = partitions(consumer, topics.experiments().name());
      }
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      while (!parts.isEmpty() && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          ExperimentSpec spec = decoder.deserializeOrNull(r);
          if (id.equals(r.key()) && spec != null) {
            try {
              return ExperimentSpecs.fromSpec(spec, threads);
            } catch (IllegalArgumentException e) {
              throw stop("the spec of experiment " + id + " cannot be used: " + e.getMessage());
            }
          }
        }
      }
    }
    throw stop("no spec of experiment " + id + " on " + topics.experiments().name() + " within "
        + timeout.toSeconds() + " s: is the experiment created (demlearn run) and the broker the right one?");
  }

  /** The experiment's topics as they exist (the partition count read from the broker). */
  public ExperimentTopics topics() {
    String id = experimentId();
    String updates = ExperimentTopics.of(id).modelUpdates().name();
    try (KafkaConsumer<String, byte[]> probe = new KafkaConsumer<>(ClientConfigs.consumer(kafka, id + "-probe", null),
        new StringDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = partitions(probe, updates);
      if (parts.isEmpty()) {
        throw stop("topic " + updates + " does not exist: is the experiment id right, and the broker the one it runs on?");
      }
      return new ExperimentTopics(id, parts.size(), (short) -1, ExperimentTopics.DEFAULT_MAX_MESSAGE_BYTES);
    }
  }

  /** The service cannot start: prints why and exits with code 1 (the exception is never seen). */
  private static IllegalStateException stop(String problem) {
    System.err.println("error: " + problem);
    System.exit(1);
    return new IllegalStateException(problem);
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private static List<TopicPartition> partitions(KafkaConsumer<?, ?> consumer, String topic) {
    List<TopicPartition> parts = new ArrayList<>();
    consumer.partitionsFor(topic).forEach(p -> parts.add(new TopicPartition(topic, p.partition())));
    return parts;
  }

  /**
   * Runs a service on this thread until it ends or the process gets SIGTERM; then the hook closes
   * it and waits until its loop has closed its clients.
   */
  public static void runUntilTerminated(LoopService service, String name) {
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      service.close();
      try {
        stopped.await();
        System.out.println(name + " stopped on SIGTERM: its clients are closed, its work so far committed");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, name + "-shutdown"));
    try {
      service.run();
    } finally {
      stopped.countDown();
    }
  }
}
