package io.demlearn.metrics;

import io.demlearn.core.data.AgentData;
import io.demlearn.core.metrics.Evaluator;
import io.demlearn.core.metrics.RoundMetrics;
import io.demlearn.core.model.Model;
import io.demlearn.core.sim.Simulator;
import io.demlearn.core.strategy.HierarchyVersion;
import io.demlearn.pipeline.clients.ClientConfigs;
import io.demlearn.pipeline.clients.Partitions;
import io.demlearn.pipeline.records.Experiment;
import io.demlearn.pipeline.service.LoopService;
import io.demlearn.schemas.serde.AvroSerdes;
import io.demlearn.schemas.topics.ExperimentTopics;
import java.time.Duration;
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
    void onRound(RoundMetrics metrics, double seconds, Map<String, Double> timings);
  }

  private final Config c;
  private final Listener listener;
  private final RoundMetricsAssembler assembler;
  private final KafkaConsumer<String, byte[]> consumer;
  private final KafkaProducer<String, io.demlearn.schemas.avro.RoundMetrics> producer;

  /** What the assembler knows, for other threads. */
  private volatile int roundsDone;

  private volatile HierarchyVersion latestVersion;

  public MetricsCollector(Config c, Listener listener) {
    this.c = c;
    this.listener = listener;
    Model model = Model.of(c.experiment().settings().model());
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
    try (consumer) {
      List<TopicPartition> parts =
          Partitions.of(consumer, groupTopic, c.topics().hierarchyAssignments().name());
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      while (!closed() && roundsDone() < rounds) {
        // a whole batch first: a round's hierarchy may come after its group models in it
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          if (r.topic().equals(groupTopic)) {
            assembler.groupModel(groupDecoder.deserializeOrNull(r));
          } else {
            assembler.hierarchy(hierarchyDecoder.deserializeOrNull(r));
          }
        }
        latestVersion = assembler.latestVersion();
        assembler.complete().forEach(this::publish);
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
                .build()));
    listener.onRound(m, round.seconds(), round.timings());
  }

  @Override
  protected void wakeUp() {
    consumer.wakeup();
  }
}
