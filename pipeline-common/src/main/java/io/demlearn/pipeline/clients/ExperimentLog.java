package io.demlearn.pipeline.clients;

import io.demlearn.pipeline.records.Experiment;
import io.demlearn.pipeline.records.ExperimentSpecs;
import io.demlearn.schemas.avro.ExperimentSpec;
import io.demlearn.schemas.serde.AvroSerdes;
import io.demlearn.schemas.topics.ExperimentTopics;
import io.demlearn.schemas.topics.Topic;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NavigableSet;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.LongPredicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * An experiment's topics read as a finished log: each topic from its beginning to the end it has
 * when the read starts, committed records only, partition by partition in offset order. No consumer
 * group, nothing committed: reading changes nothing on the cluster.
 *
 * <p>A transaction open when a read starts is waited for (it commits or aborts), so that the read
 * has every record written before it started: a committed read stops at a partition's first open
 * transaction, and one left open by a producer that died (a killed aggregator's) stays open until
 * the broker aborts it after the producer's transaction timeout; a read that ended there would
 * silently miss everything committed after it.
 */
public final class ExperimentLog implements AutoCloseable {
  private static final Duration POLL = Duration.ofMillis(500);

  private final String experimentId;
  private final ExperimentTopics topics;
  private final KafkaConsumer<String, byte[]> consumer;

  /** Reads nothing: asks for partitions' ends including records of open transactions. */
  private final KafkaConsumer<String, byte[]> uncommitted;

  private final Duration timeout;

  /**
   * @param kafka settings every Kafka client gets (bootstrap servers, security)
   * @param timeout how long a read may yield nothing before it fails
   */
  public ExperimentLog(Map<String, Object> kafka, String experimentId, Duration timeout) {
    this.experimentId = experimentId;
    this.topics = ExperimentTopics.of(experimentId);
    this.timeout = timeout;
    this.consumer =
        new KafkaConsumer<>(
            ClientConfigs.consumer(kafka, "demlearn-log-" + experimentId, null),
            new StringDeserializer(),
            new ByteArrayDeserializer());
    Map<String, Object> ends =
        ClientConfigs.consumer(kafka, "demlearn-log-ends-" + experimentId, null);
    ends.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
    this.uncommitted =
        new KafkaConsumer<>(ends, new StringDeserializer(), new ByteArrayDeserializer());
  }

  /** The experiment's topics, named by its id (with the default partition count). */
  public ExperimentTopics topics() {
    return topics;
  }

  /**
   * The experiment as its spec on the {@code experiments} topic describes it.
   *
   * @param threads the reader's own choice of worker threads
   * @throws LogException if the experiment's topics or spec are missing or unusable
   */
  public Experiment experiment(AvroSerdes serdes, int threads) {
    return experimentOf(spec(serdes), threads);
  }

  /**
   * The experiment's spec on the {@code experiments} topic, as it was written.
   *
   * @throws LogException if the experiment's topics or spec are missing
   */
  public ExperimentSpec spec(AvroSerdes serdes) {
    if (partitions(topics.experiments()).isEmpty()) {
      throw new LogException(
          "no experiment '"
              + experimentId
              + "' on this cluster: topic "
              + topics.experiments().name()
              + " does not exist (list the experiments with kafka-topics --list: their topics are"
              + " demlearn.<id>.*)");
    }
    ExperimentSpec spec = readSpec(serdes);
    if (spec == null) {
      throw new LogException(
          "topic "
              + topics.experiments().name()
              + " holds no readable spec of experiment '"
              + experimentId
              + "'");
    }
    return spec;
  }

  /**
   * The experiment as its spec describes it, waiting up to {@code wait} for the topic and the spec
   * to appear (a service may start before the experiment is created).
   *
   * @throws LogException if there is none by then, or it cannot be used
   */
  public Experiment awaitExperiment(AvroSerdes serdes, int threads, Duration wait) {
    long deadline = System.nanoTime() + wait.toNanos();
    boolean refused = false;
    while (true) {
      ExperimentSpec spec = null;
      try {
        spec = partitions(topics.experiments()).isEmpty() ? null : readSpec(serdes);
      } catch (TopicAuthorizationException e) {
        // on a cluster with ACLs a topic this principal may not read yet looks like this: the
        // operator grants the services theirs when it creates the experiment
        refused = true;
      }
      if (spec != null) {
        return experimentOf(spec, threads);
      }
      if (System.nanoTime() > deadline) {
        throw new LogException(
            "no spec of experiment "
                + experimentId
                + " on "
                + topics.experiments().name()
                + " within "
                + wait.toSeconds()
                + " s: is the experiment created (demlearn run) and the broker the right one?"
                + (refused
                    ? " (the cluster refused this client's principal access to it: on a cluster"
                        + " with ACLs, the operator grants them when it creates the experiment)"
                    : ""));
      }
      try {
        Thread.sleep(500);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new LogException(
            "interrupted while waiting for the spec of experiment " + experimentId);
      }
    }
  }

  private ExperimentSpec readSpec(AvroSerdes serdes) {
    var decoder = topics.experiments().valueSerde(serdes).deserializer();
    ExperimentSpec[] found = new ExperimentSpec[1];
    read(
        topics.experiments(),
        r -> {
          if (found[0] == null && experimentId.equals(r.key())) {
            found[0] = decoder.deserializeOrNull(r);
          }
        });
    return found[0];
  }

  /**
   * The experiment a spec of this log describes.
   *
   * @param threads the reader's own choice of worker threads
   * @throws LogException if the spec cannot be used
   */
  public Experiment experimentOf(ExperimentSpec spec, int threads) {
    try {
      return ExperimentSpecs.fromSpec(spec, threads);
    } catch (IllegalArgumentException e) {
      throw new LogException(
          "the spec of experiment " + experimentId + " cannot be used: " + e.getMessage());
    }
  }

  /** The partitions of a topic, in order; none if it does not exist. */
  public List<TopicPartition> partitions(Topic<?> topic) {
    return Partitions.of(consumer, topic.name(), timeout);
  }

  /**
   * Hands every committed record of a topic to {@code each}, partition 0 first, in offset order, up
   * to the end offsets all its partitions have when the call starts.
   *
   * @throws LogException if the records cannot be read within the timeout
   */
  public void read(Topic<?> topic, Consumer<ConsumerRecord<String, byte[]>> each) {
    read(topic.name(), each);
  }

  /** {@link #read(Topic, Consumer)} for a topic by name (the services' internal topics). */
  public void read(String topic, Consumer<ConsumerRecord<String, byte[]>> each) {
    List<TopicPartition> parts = Partitions.of(consumer, topic, timeout);
    // one snapshot of every partition's end, so that what one transaction wrote is read whole
    Map<TopicPartition, Long> ends = settledEnds(parts);
    for (TopicPartition tp : parts) {
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      drain(tp, ends.get(tp), offset -> true, each);
    }
  }

  /** Hands the last committed record of each partition of a topic to {@code each}. */
  public void readLast(Topic<?> topic, Consumer<ConsumerRecord<String, byte[]>> each) {
    List<TopicPartition> parts = Partitions.of(consumer, topic.name(), timeout);
    Map<TopicPartition, Long> ends = settledEnds(parts);
    for (TopicPartition tp : parts) {
      List<ConsumerRecord<String, byte[]>> seen = new ArrayList<>();
      // windows of offsets back from the end: the last ones may be transaction markers
      for (long to = ends.get(tp); to > 0 && seen.isEmpty(); to -= LAST_WINDOW) {
        NavigableSet<Long> window = new TreeSet<>();
        for (long o = Math.max(0, to - LAST_WINDOW); o < to; o++) {
          window.add(o);
        }
        readAt(topic, tp.partition(), window, seen::add);
      }
      if (!seen.isEmpty()) {
        each.accept(seen.get(seen.size() - 1));
      }
    }
  }

  private static final int LAST_WINDOW = 16;

  /**
   * Hands the records of one partition at the given offsets to {@code each} (those that are there),
   * reading from the first offset to the last.
   */
  public void readAt(
      Topic<?> topic,
      int partition,
      NavigableSet<Long> offsets,
      Consumer<ConsumerRecord<String, byte[]>> each) {
    if (offsets.isEmpty()) {
      return;
    }
    TopicPartition tp = new TopicPartition(topic.name(), partition);
    consumer.assign(List.of(tp));
    consumer.seek(tp, offsets.first());
    drain(
        tp,
        Math.min(offsets.last() + 1, consumer.endOffsets(List.of(tp), timeout).get(tp)),
        offsets::contains,
        each);
  }

  /**
   * Polls the assigned partition from its position up to {@code end}, handing on the records
   * wanted.
   */
  private void drain(
      TopicPartition tp,
      long end,
      LongPredicate wanted,
      Consumer<ConsumerRecord<String, byte[]>> each) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (consumer.position(tp, timeout) < end) {
      var records = consumer.poll(POLL);
      if (records.isEmpty() && System.nanoTime() > deadline) {
        throw new LogException(
            "reading "
                + tp
                + " stalled at offset "
                + consumer.position(tp)
                + " of "
                + end
                + " for "
                + timeout.toSeconds()
                + " s");
      }
      for (ConsumerRecord<String, byte[]> r : records) {
        if (r.offset() < end && wanted.test(r.offset())) {
          each.accept(r);
        }
      }
      if (!records.isEmpty()) {
        deadline = System.nanoTime() + timeout.toNanos();
      }
    }
    consumer.assign(List.of());
  }

  /**
   * Every partition's end for a committed read once each transaction open at the call has ended: at
   * least the offset of the last record written before the call.
   *
   * @throws LogException if a transaction stays open longer than the timeout
   */
  private Map<TopicPartition, Long> settledEnds(List<TopicPartition> parts) {
    Map<TopicPartition, Long> written = uncommitted.endOffsets(parts, timeout);
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Map<TopicPartition, Long> stable = consumer.endOffsets(parts, timeout);
      TopicPartition open = null;
      for (TopicPartition tp : parts) {
        if (stable.get(tp) < written.get(tp)) {
          open = tp;
          break;
        }
      }
      if (open == null) {
        return stable;
      }
      if (System.nanoTime() > deadline) {
        throw new LogException(
            String.format(
                Locale.ROOT,
                "%s has a transaction open since offset %d (of %d written) for over %d s: a"
                    + " producer stopped without ending it, and the broker aborts it once the"
                    + " producer's transaction timeout has passed; read again then",
                open,
                stable.get(open),
                written.get(open),
                timeout.toSeconds()));
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new LogException("interrupted while waiting for " + open + "'s open transaction");
      }
    }
  }

  @Override
  public void close() {
    consumer.close(Duration.ofSeconds(5));
    uncommitted.close(Duration.ofSeconds(5));
  }

  /** The log cannot be read as asked; the message says why. */
  public static final class LogException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public LogException(String message) {
      super(message);
    }
  }
}
