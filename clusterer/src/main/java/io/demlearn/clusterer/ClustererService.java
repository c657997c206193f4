package io.demlearn.clusterer;

import io.demlearn.core.model.Model;
import io.demlearn.core.sim.HierarchyVersion;
import io.demlearn.core.sim.Simulator;
import io.demlearn.core.sim.Strategy;
import io.demlearn.schemas.checks.HierarchyChecks;
import io.demlearn.schemas.ParameterVectors;
import io.demlearn.schemas.avro.HierarchyAssignment;
import io.demlearn.schemas.avro.ModelUpdate;
import io.demlearn.schemas.checks.UpdateChecks;
import io.demlearn.schemas.convert.Experiment;
import io.demlearn.schemas.convert.Hierarchies;
import io.demlearn.schemas.serde.AvroDeserializer;
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
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
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
 * It uses the updates the aggregator counts ({@link UpdateChecks}: each agent's first update per
 * round, in round order; records that fail a check are skipped, the aggregator reports them).
 * Under a straggler policy, a round is clustered once the policy's timeout has passed since its
 * first update and a quorum has reported; an agent missing then is placed by its latest earlier
 * model (the initial model before its first update).
 *
 * <p>Its state is in the log: after a restart it re-reads both topics and carries on from the last
 * version it published. Clustering is deterministic, so a version published twice is the same.
 * One instance runs per experiment.
 */
public final class ClustererService extends LoopService {
  private static final Logger LOG = LoggerFactory.getLogger(ClustererService.class);

  /** What the service needs. */
  public record Config(Experiment experiment, ExperimentTopics topics, Map<String, Object> kafka, AvroSerdes serdes) {}

  private final Config c;
  private final Experiment experiment;
  private final Strategy strategy;
  private final UpdateChecks checks;
  private final AvroDeserializer<ModelUpdate> decoder;
  private final KafkaConsumer<String, byte[]> updates;
  private final KafkaProducer<String, HierarchyAssignment> producer;
  private final Map<String, Integer> lastRound = new HashMap<>();
  private final TreeMap<Integer, Map<String, ModelUpdate>> pending = new TreeMap<>();
  /** Under a straggler policy: when each pending round's first update was read, and each agent's latest model. */
  private final Map<Integer, Long> firstSeenAt = new HashMap<>();
  private final Map<String, ModelUpdate> latestOf = new HashMap<>();
  private volatile HierarchyVersion latest;
  private float[] initialModel;

  public ClustererService(Config c) {
    this.c = c;
    this.experiment = c.experiment();
    this.strategy = experiment.settings().strategy();
    this.checks = new UpdateChecks(experiment);
    this.decoder = c.topics().modelUpdates().valueSerde(c.serdes()).deserializer();
    String id = ExperimentTopics.PREFIX + experiment.id() + ".clusterer";
    this.updates = new KafkaConsumer<>(ClientConfigs.consumer(c.kafka(), id, null), new StringDeserializer(),
        new ByteArrayDeserializer());
    this.producer = new KafkaProducer<>(ClientConfigs.producer(c.kafka(), id),
        c.topics().hierarchyAssignments().keySerde().serializer(),
        c.topics().hierarchyAssignments().valueSerde(c.serdes()).serializer());
  }

  @Override
  protected void loop() {
    try {
      latest = readPublished();
      if (latest == null && strategy.initialHierarchy(agents()) != null) {
        publish(strategy.initialHierarchy(agents()));
      }
      List<TopicPartition> parts = partitions(updates, c.topics().modelUpdates().name());
      updates.assign(parts);
      updates.seekToBeginning(parts);
      while (!closed()) {
        for (ConsumerRecord<String, byte[]> r : updates.poll(Duration.ofMillis(100))) {
          ModelUpdate u = decoder.deserializeOrNull(r);
          if (u != null && checks.check(r.key(), u) == null) {
            accept(u);
          }
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
    String id = ExperimentTopics.PREFIX + experiment.id() + ".clusterer-recovery";
    AvroDeserializer<HierarchyAssignment> hierarchies = c.topics().hierarchyAssignments().valueSerde(c.serdes()).deserializer();
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(ClientConfigs.consumer(c.kafka(), id, null),
        new StringDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = partitions(consumer, c.topics().hierarchyAssignments().name());
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      Map<TopicPartition, Long> end = consumer.endOffsets(parts);
      HierarchyVersion found = null;
      while (!reached(consumer, end) && !closed()) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
          HierarchyAssignment h = hierarchies.deserializeOrNull(r);
          HierarchyVersion hv = h == null ? null : HierarchyChecks.check(experiment, h).version();
          if (hv != null) {
            if (found == null || hv.version() > found.version()) {
              found = hv;
            }
          }
        }
      }
      return found;
    }
  }

  private int agents() {
    return experiment.agentIds().size();
  }

  private void accept(ModelUpdate u) {
    String agent = u.getAgentId();
    int round = u.getRound();
    if (!UpdateChecks.followsOn(lastRound.getOrDefault(agent, -1), round)) {
      return; // not counted: sent again, conflicting, or skipping rounds
    }
    lastRound.put(agent, round);
    if (experiment.closesEarly()) {
      latestOf.put(agent, u);
    }
    if (latest != null && round <= latest.effectiveFromRound() && strategy.rebuildsIn(round)) {
      return; // decided before
    }
    if (!strategy.rebuildsIn(round) && !(latest == null && round == 0)) {
      return; // nothing to decide in this round
    }
    pending.computeIfAbsent(round, r -> new HashMap<>()).put(agent, u);
    firstSeenAt.putIfAbsent(round, System.currentTimeMillis());
  }

  private void decide() {
    while (!pending.isEmpty()) {
      Map.Entry<Integer, Map<String, ModelUpdate>> first = pending.firstEntry();
      int round = first.getKey();
      Map<String, ModelUpdate> got = first.getValue();
      if (got.size() < agents() && !closesEarly(round, got.size())) {
        return;
      }
      List<float[]> trained = new ArrayList<>(agents());
      for (String id : experiment.agentIds()) {
        ModelUpdate u = got.get(id);
        if (u == null) {
          u = latestOf.get(id);
        }
        trained.add(u != null ? ParameterVectors.toFloats(u.getParameters()) : initialModel());
      }
      long t0 = System.nanoTime();
      HierarchyVersion hv = strategy.hierarchy(round, trained, latest);
      if (hv != null && hv != latest) {
        publish(hv);
        LOG.debug("round {}: hierarchy version {} in {} ms{}", round, hv.version(), (System.nanoTime() - t0) / 1_000_000,
            got.size() < agents() ? " (" + (agents() - got.size()) + " agents placed by earlier models)" : "");
      }
      pending.pollFirstEntry();
      firstSeenAt.remove(round);
    }
  }

  private boolean closesEarly(int round, int present) {
    return experiment.closesEarly() && present >= experiment.quorumOf(agents())
        && System.currentTimeMillis() - firstSeenAt.get(round) >= experiment.policy().getStragglerTimeoutMs();
  }

  private float[] initialModel() {
    if (initialModel == null) {
      initialModel = Simulator.initialModel(Model.of(experiment.settings().model()), experiment.settings().seed());
    }
    return initialModel;
  }

  private void publish(HierarchyVersion hv) {
    HierarchyAssignment record = Hierarchies.toRecord(experiment.id(), hv, experiment.agentIds(), experiment.settings(),
        System.currentTimeMillis());
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
