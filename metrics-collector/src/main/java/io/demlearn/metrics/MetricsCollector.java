package io.demlearn.metrics;

import io.demlearn.core.data.AgentData;
import io.demlearn.core.metrics.Evaluator;
import io.demlearn.core.metrics.RoundMetrics;
import io.demlearn.core.metrics.RoundTraffic;
import io.demlearn.core.model.Model;
import io.demlearn.core.sim.Simulator;
import io.demlearn.core.strategy.HierarchyVersion;
import io.demlearn.pipeline.clients.AgentKeysLog;
import io.demlearn.pipeline.clients.ClientConfigs;
import io.demlearn.pipeline.clients.Partitions;
import io.demlearn.pipeline.records.Experiment;
import io.demlearn.pipeline.service.LoopService;
import io.demlearn.pipeline.signing.SignatureCheck;
import io.demlearn.schemas.avro.HierarchyAssignment;
import io.demlearn.schemas.serde.AvroSerdes;
import io.demlearn.schemas.serde.WireFormat;
import io.demlearn.schemas.topics.ExperimentTopics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Publishes each round's metrics, as the simulator defines them, built from the experiment's log by
 * {@link RoundMetricsAssembler}; this class reads and writes Kafka.
 *
 * <ul>
 *   <li>In: {@code group-models} (key: group id, value: GroupModel; with the agents' own
 *       evaluations, which the aggregator passes on) and {@code hierarchy-assignments} (key:
 *       version, value: HierarchyAssignment); every partition. Round r's metrics are out when round
 *       r is aggregated.
 *   <li>In, for the traffic only (sizes, rounds and timestamps; nothing else is decoded): {@code
 *       model-updates} and {@code clustering-features} (key: agent id), the aggregator's level
 *       topics (key: group id, value: GroupContribution); every partition. Before a round is out,
 *       what they held when it was complete is read (and the round's clustering features, which
 *       travel on their own, are awaited for up to {@link #FEATURES_WAIT}).
 *   <li>Out: {@code metrics} (key: experiment id, value: RoundMetrics), and a callback per round.
 * </ul>
 */
public final class MetricsCollector extends LoopService {
  /**
   * What the collector needs; {@code agents} is every agent's data (their test data scores the
   * group models), {@code pool} and {@code threads} evaluate them.
   */
  public record Config(
      Experiment experiment,
      ExperimentTopics topics,
      List<AgentData> agents,
      Map<String, Object> kafka,
      AvroSerdes serdes,
      ExecutorService pool,
      int threads) {}

  /** Called on the collector's thread, once per round, in order. */
  public interface Listener {
    void onRound(
        RoundMetrics metrics, double seconds, Map<String, Double> timings, RoundTraffic traffic);
  }

  /** How long a round's metrics wait for clustering features its updates announce. */
  static final Duration FEATURES_WAIT = Duration.ofSeconds(5);

  private final Config c;
  private final Listener listener;
  private final RoundMetricsAssembler assembler;
  private final KafkaConsumer<String, byte[]> consumer;
  private final KafkaConsumer<String, byte[]> traffic;
  private final KafkaProducer<String, io.demlearn.schemas.avro.RoundMetrics> producer;

  /** What the assembler knows, for other threads. */
  private volatile int roundsDone;

  private volatile HierarchyVersion latestVersion;

  public MetricsCollector(Config c, Listener listener) {
    this.c = c;
    this.listener = listener;
    Model model = Model.of(c.experiment().settings().architecture());
    this.assembler =
        new RoundMetricsAssembler(
            c.experiment(),
            new Evaluator(model, c.agents(), c.pool(), c.threads()),
            Simulator.initialModel(model, c.experiment().settings().seed()),
            System::nanoTime);
    String id = ExperimentTopics.PREFIX + c.experiment().id() + ".metrics";
    this.consumer =
        new KafkaConsumer<>(
            ClientConfigs.groupModelConsumer(c.kafka(), id, c.experiment()),
            new StringDeserializer(),
            new ByteArrayDeserializer());
    this.traffic =
        new KafkaConsumer<>(
            ClientConfigs.consumer(c.kafka(), id + ".traffic", null),
            new StringDeserializer(),
            new ByteArrayDeserializer());
    this.producer =
        new KafkaProducer<>(
            ClientConfigs.producer(c.kafka(), id),
            c.topics().metrics().keySerde().serializer(),
            c.topics().metrics().valueSerde(c.serdes()).serializer());
  }

  /** The latest hierarchy version read, or null. */
  public HierarchyVersion latestVersion() {
    return latestVersion;
  }

  /** Rounds whose metrics are out. */
  public int roundsDone() {
    return roundsDone;
  }

  @Override
  protected void loop() {
    var groupDecoder = c.topics().groupModels().valueSerde(c.serdes()).deserializer();
    var hierarchyDecoder = c.topics().hierarchyAssignments().valueSerde(c.serdes()).deserializer();
    String groupTopic = c.topics().groupModels().name();
    int rounds = c.experiment().settings().rounds();
    try (consumer;
        traffic;
        SignatureCheck signatures = AgentKeysLog.checkFor(c.experiment(), c.kafka(), c.serdes())) {
      List<TopicPartition> parts =
          Partitions.of(consumer, groupTopic, c.topics().hierarchyAssignments().name());
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      List<TopicPartition> trafficParts = Partitions.of(traffic, trafficTopics());
      traffic.assign(trafficParts);
      traffic.seekToBeginning(trafficParts);
      while (!closed() && roundsDone() < rounds) {
        // a whole batch first: a round's hierarchy may come after its group models in it
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          if (r.topic().equals(groupTopic)) {
            assembler.groupModel(groupDecoder.deserializeOrNull(r), size(r));
          } else {
            HierarchyAssignment h = hierarchyDecoder.deserializeOrNull(r);
            if (h != null && signatures != null && signatures.check(h) != null) {
              h = null; // not signed by the clusterer: the aggregator refuses it too
            }
            assembler.hierarchy(h, size(r));
          }
        }
        readTraffic(Duration.ZERO);
        latestVersion = assembler.latestVersion();
        while (assembler.ready()) {
          readTrafficOf(assembler.nextRound(), trafficParts);
          publish(assembler.next());
        }
        roundsDone = assembler.roundsDone();
      }
    } catch (WakeupException e) {
      if (!closed()) {
        throw e;
      }
    } finally {
      producer.close(Duration.ofSeconds(5));
    }
  }

  /** The topics whose records are the hops of a round's traffic, but the group models'. */
  private String[] trafficTopics() {
    List<String> names = new ArrayList<>();
    names.add(c.topics().modelUpdates().name());
    if (c.experiment().clustersPublishedFeatures()) {
      names.add(c.topics().clusteringFeatures().name());
    }
    for (int level = 1; level <= c.experiment().topLevel(); level++) {
      names.add(c.topics().aggregationLevel(level).name());
    }
    return names.toArray(String[]::new);
  }

  /**
   * Reads the traffic topics up to what they held when {@code round} was complete, and then, for a
   * while, the round's clustering features its updates announce.
   */
  private void readTrafficOf(int round, List<TopicPartition> parts) {
    Map<TopicPartition, Long> end = traffic.endOffsets(parts);
    while (!closed() && !Partitions.reached(traffic, end)) {
      readTraffic(Duration.ofMillis(100));
    }
    long deadline = System.nanoTime() + FEATURES_WAIT.toNanos();
    while (!closed() && assembler.awaitsFeatures(round) && System.nanoTime() - deadline < 0) {
      readTraffic(Duration.ofMillis(50));
    }
  }

  private void readTraffic(Duration timeout) {
    String updates = c.topics().modelUpdates().name();
    String features = c.topics().clusteringFeatures().name();
    for (ConsumerRecord<String, byte[]> r : traffic.poll(timeout)) {
      int round = WireFormat.round(r.value());
      if (round < 0) {
        continue; // not an experiment's record: refused by the pipeline, part of no round
      }
      if (r.topic().equals(updates)) {
        assembler.update(r.key(), round, size(r), r.timestamp());
      } else if (r.topic().equals(features)) {
        assembler.features(r.key(), round, size(r), r.timestamp());
      } else {
        String topic = r.topic();
        int level = Integer.parseInt(topic.substring(topic.lastIndexOf('-') + 1));
        assembler.contribution(level, round, size(r));
      }
    }
  }

  /** A record's size as written: key and value bytes. */
  static long size(ConsumerRecord<?, ?> r) {
    return Math.max(0, r.serializedKeySize()) + (long) Math.max(0, r.serializedValueSize());
  }

  private void publish(RoundMetricsAssembler.Round round) {
    RoundMetrics m = round.metrics();
    producer.send(
        new ProducerRecord<>(
            c.topics().metrics().name(),
            c.experiment().id(),
            io.demlearn.schemas.avro.RoundMetrics.newBuilder()
                .setExperimentId(c.experiment().id())
                .setRound(m.round())
                .setHierarchyVersion(m.hierarchyVersion())
                .setScoredAgents(m.scoredAgents())
                .setCSpe(m.cSpe())
                .setCGen(m.cGen())
                .setGlobal(m.global())
                .setGSpe(m.gSpe())
                .setGGen(m.gGen())
                .setGroupMembers(m.groupMembers())
                .setSeconds(round.seconds())
                .setTimings(round.timings())
                .setBytes(round.traffic().flat())
                .build()));
    listener.onRound(m, round.seconds(), round.timings(), round.traffic());
  }

  @Override
  protected void wakeUp() {
    consumer.wakeup();
    traffic.wakeup();
  }
}
