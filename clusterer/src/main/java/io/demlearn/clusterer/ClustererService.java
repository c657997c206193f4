package io.demlearn.clusterer;

import io.demlearn.core.sim.ExperimentSettings;
import io.demlearn.core.sim.HierarchyVersion;
import io.demlearn.core.sim.Strategy;
import io.demlearn.schemas.ParameterVectors;
import io.demlearn.schemas.avro.HierarchyAssignment;
import io.demlearn.schemas.avro.ModelUpdate;
import io.demlearn.schemas.convert.Hierarchies;
import io.demlearn.schemas.serde.AvroSerdes;
import io.demlearn.schemas.topics.ClientConfigs;
import io.demlearn.schemas.topics.ExperimentTopics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import io.demlearn.schemas.service.LoopService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The clusterer: re-forms the hierarchy from the agents' trained models.
 *
 * <ul>
 *   <li>In: {@code model-updates} (key: agent id, value: ModelUpdate), every partition from the
 *       start, and {@code hierarchy-assignments} to learn what it published before a restart.
 *   <li>Out: {@code hierarchy-assignments} (key: version, zero-padded; value:
 *       HierarchyAssignment), one new version each round the strategy rebuilds the tree (DemLearn:
 *       every T rounds), with its linkage matrix and settings; the flat tree before round 0 for
 *       FedAvg.
 * </ul>
 *
 * Its state is in the log: after a restart it re-reads both topics and carries on from the last
 * version it published. Clustering is deterministic, so a version published twice is the same.
 * One instance runs per experiment.
 */
public final class ClustererService extends LoopService {
  private static final Logger LOG = LoggerFactory.getLogger(ClustererService.class);

  /** What the service needs. */
  public record Config(String experimentId, ExperimentTopics topics, ExperimentSettings settings, List<String> agentIds,
      Map<String, Object> kafka, AvroSerdes serdes) {}

  private final Config c;
  private final Strategy strategy;
  private final Map<String, Integer> agentIndex = new HashMap<>();
  private final KafkaConsumer<String, ModelUpdate> updates;
  private final KafkaProducer<String, HierarchyAssignment> producer;
  private final TreeMap<Integer, Map<String, ModelUpdate>> pending = new TreeMap<>();
  private volatile HierarchyVersion latest;

  public ClustererService(Config c) {
    this.c = c;
    this.strategy = c.settings().strategy();
    for (int i = 0; i < c.agentIds().size(); i++) {
      agentIndex.put(c.agentIds().get(i), i);
    }
    String id = ExperimentTopics.PREFIX + c.experimentId() + ".clusterer";
    this.updates = new KafkaConsumer<>(ClientConfigs.consumer(c.kafka(), id, null),
        c.topics().modelUpdates().keySerde().deserializer(), c.topics().modelUpdates().valueSerde(c.serdes()).deserializer());
    this.producer = new KafkaProducer<>(ClientConfigs.producer(c.kafka(), id),
        c.topics().hierarchyAssignments().keySerde().serializer(),
        c.topics().hierarchyAssignments().valueSerde(c.serdes()).serializer());
  }

  @Override
  protected void loop() {
    try {
      latest = readPublished();
      if (latest == null && strategy.initialHierarchy(c.agentIds().size()) != null) {
        publish(strategy.initialHierarchy(c.agentIds().size()));
      }
      List<TopicPartition> parts = partitions(updates, c.topics().modelUpdates().name());
      updates.assign(parts);
      updates.seekToBeginning(parts);
      while (!closed()) {
        for (ConsumerRecord<String, ModelUpdate> r : updates.poll(Duration.ofMillis(100))) {
          accept(r.value());
        }
        decide();
      }
    } catch (WakeupException e) {
      if (!closed()) {
        throw e;
      }
    } finally {
      updates.close();
      producer.close(Duration.ofSeconds(5));
    }
  }

  /** The latest version already on the topic (after a restart), or null. */
  private HierarchyVersion readPublished() {
    String id = ExperimentTopics.PREFIX + c.experimentId() + ".clusterer-recovery";
    try (KafkaConsumer<String, HierarchyAssignment> consumer = new KafkaConsumer<>(ClientConfigs.consumer(c.kafka(), id, null),
        c.topics().hierarchyAssignments().keySerde().deserializer(),
        c.topics().hierarchyAssignments().valueSerde(c.serdes()).deserializer())) {
      List<TopicPartition> parts = partitions(consumer, c.topics().hierarchyAssignments().name());
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      Map<TopicPartition, Long> end = consumer.endOffsets(parts);
      HierarchyVersion found = null;
      while (!reached(consumer, end) && !closed()) {
        for (ConsumerRecord<String, HierarchyAssignment> r : consumer.poll(Duration.ofMillis(100))) {
          if (r.value() != null && c.experimentId().equals(r.value().getExperimentId())) {
            HierarchyVersion hv = Hierarchies.fromRecord(r.value());
            if (found == null || hv.version() > found.version()) {
              found = hv;
            }
          }
        }
      }
      return found;
    }
  }

  private void accept(ModelUpdate u) {
    if (u == null || !c.experimentId().equals(u.getExperimentId()) || !agentIndex.containsKey(u.getAgentId())) {
      return;
    }
    int round = u.getRound();
    if (latest != null && round <= latest.effectiveFromRound() && strategy.rebuildsIn(round)) {
      return; // decided before
    }
    if (!strategy.rebuildsIn(round) && !(latest == null && round == 0)) {
      return; // nothing to decide in this round
    }
    pending.computeIfAbsent(round, r -> new HashMap<>()).putIfAbsent(u.getAgentId(), u);
  }

  private void decide() {
    while (!pending.isEmpty()) {
      Map.Entry<Integer, Map<String, ModelUpdate>> first = pending.firstEntry();
      if (first.getValue().size() < c.agentIds().size()) {
        return;
      }
      int round = first.getKey();
      List<float[]> trained = new ArrayList<>(c.agentIds().size());
      for (String id : c.agentIds()) {
        trained.add(ParameterVectors.toFloats(first.getValue().get(id).getParameters()));
      }
      long t0 = System.nanoTime();
      HierarchyVersion hv = strategy.hierarchy(round, trained, latest);
      if (hv != null && hv != latest) {
        publish(hv);
        LOG.debug("round {}: hierarchy version {} in {} ms", round, hv.version(), (System.nanoTime() - t0) / 1_000_000);
      }
      pending.pollFirstEntry();
    }
  }

  private void publish(HierarchyVersion hv) {
    HierarchyAssignment record = Hierarchies.toRecord(c.experimentId(), hv, c.agentIds(), c.settings(), System.currentTimeMillis());
    try {
      producer.send(new ProducerRecord<>(c.topics().hierarchyAssignments().name(), ExperimentTopics.hierarchyKey(hv.version()),
          record)).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while publishing hierarchy version " + hv.version(), e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot publish hierarchy version " + hv.version() + ": " + e.getCause(), e.getCause());
    }
    latest = hv;
  }

  static List<TopicPartition> partitions(KafkaConsumer<?, ?> consumer, String topic) {
    return consumer.partitionsFor(topic).stream().map(p -> new TopicPartition(topic, p.partition())).toList();
  }

  static boolean reached(KafkaConsumer<?, ?> consumer, Map<TopicPartition, Long> end) {
    for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
      if (consumer.position(e.getKey()) < e.getValue()) {
        return false;
      }
    }
    return true;
  }

  /** The latest version published, or null. */
  public HierarchyVersion latest() {
    return latest;
  }

  @Override
  protected void wakeUp() {
    updates.wakeup();
  }
}
