package io.demlearn.runner;

import io.demlearn.core.cluster.Hierarchy;
import io.demlearn.core.data.AgentData;
import io.demlearn.core.metrics.AgentScore;
import io.demlearn.core.metrics.Evaluator;
import io.demlearn.core.metrics.RoundMetrics;
import io.demlearn.core.model.Model;
import io.demlearn.core.sim.ExperimentSettings;
import io.demlearn.core.sim.HierarchyVersion;
import io.demlearn.core.sim.Simulator;
import io.demlearn.core.sim.Strategy;
import io.demlearn.schemas.ParameterVectors;
import io.demlearn.schemas.avro.AgentEvaluation;
import io.demlearn.schemas.avro.GroupModel;
import io.demlearn.schemas.avro.HierarchyAssignment;
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
import java.util.concurrent.ExecutorService;
import io.demlearn.schemas.service.LoopService;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Builds each round's metrics from the experiment's log, as the simulator defines them.
 *
 * <ul>
 *   <li>In: {@code group-models} (the agents' own evaluations, which the aggregator passes on
 *       with each group: C-SPE and C-GEN; and the group models of the previous round, generalised
 *       top-down and evaluated here: G-SPE, G-GEN, Global) and {@code hierarchy-assignments}; every
 *       partition. Round r's metrics are out when round r is aggregated.
 *   <li>Out: {@code metrics} (key: experiment id, value: RoundMetrics), and a callback per round.
 * </ul>
 */
final class MetricsCollector extends LoopService {
  record Config(String experimentId, ExperimentTopics topics, ExperimentSettings settings, List<AgentData> agents,
      Map<String, Object> kafka, AvroSerdes serdes, ExecutorService pool, int threads) {}

  /** Called on the collector's thread, once per round, in order. */
  interface Listener {
    void onRound(RoundMetrics metrics, double seconds, Map<String, Double> timings);
  }

  private final Config c;
  private final Listener listener;
  private final Strategy strategy;
  private final Evaluator evaluator;
  private final float[] initialModel;
  private final KafkaConsumer<String, byte[]> consumer;
  private final KafkaProducer<String, io.demlearn.schemas.avro.RoundMetrics> producer;
  private final Map<Integer, Map<String, AgentEvaluation>> scores = new HashMap<>();
  private final TreeMap<Integer, HierarchyVersion> versions = new TreeMap<>();
  private final Map<Integer, Map<String, float[]>> raw = new HashMap<>();
  private final Map<Integer, Long> groupsAt = new HashMap<>();
  private final Map<Integer, Long> hierarchyAt = new HashMap<>();
  private volatile int nextRound;
  private long lastRoundAt = System.nanoTime();

  MetricsCollector(Config c, Listener listener) {
    this.c = c;
    this.listener = listener;
    this.strategy = c.settings().strategy();
    Model model = Model.of(c.settings().model());
    this.evaluator = new Evaluator(model, c.agents(), c.pool(), c.threads());
    this.initialModel = Simulator.initialModel(model, c.settings().seed());
    String id = ExperimentTopics.PREFIX + c.experimentId() + ".metrics";
    // group models as soon as they are written: each is a deterministic function of the round's
    // updates, so one from an aborted transaction equals the one written again (see AgentWorker)
    Map<String, Object> config = ClientConfigs.consumer(c.kafka(), id, null);
    config.put(org.apache.kafka.clients.consumer.ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
    this.consumer = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());
    this.producer = new KafkaProducer<>(ClientConfigs.producer(c.kafka(), id),
        c.topics().metrics().keySerde().serializer(), c.topics().metrics().valueSerde(c.serdes()).serializer());
  }

  /** Rounds whose metrics are out. */
  int roundsDone() {
    return nextRound;
  }

  @Override
  protected void loop() {
    var groupDecoder = c.topics().groupModels().valueSerde(c.serdes()).deserializer();
    var hierarchyDecoder = c.topics().hierarchyAssignments().valueSerde(c.serdes()).deserializer();
    String groupTopic = c.topics().groupModels().name();
    try (consumer) {
      List<TopicPartition> parts = new ArrayList<>();
      for (String topic : List.of(groupTopic, c.topics().hierarchyAssignments().name())) {
        consumer.partitionsFor(topic).forEach(p -> parts.add(new TopicPartition(topic, p.partition())));
      }
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      while (!closed() && nextRound < c.settings().rounds()) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          if (r.value() == null) {
            continue;
          }
          if (r.topic().equals(groupTopic)) {
            GroupModel g = groupDecoder.deserialize(r);
            if (c.experimentId().equals(g.getExperimentId())) {
              Map<String, AgentEvaluation> roundScores = scores.computeIfAbsent(g.getRound(), k -> new HashMap<>());
              g.getMemberEvaluations().forEach(roundScores::putIfAbsent);
              raw.computeIfAbsent(g.getRound(), k -> new HashMap<>()).put(g.getGroupId(), ParameterVectors.toFloats(g.getParameters()));
              groupsAt.merge(g.getRound(), g.getProducedAtMs(), Math::max);
            }
          } else {
            HierarchyAssignment h = hierarchyDecoder.deserialize(r);
            if (c.experimentId().equals(h.getExperimentId())) {
              HierarchyVersion hv = Hierarchies.fromRecord(h);
              versions.put(hv.effectiveFromRound(), hv);
              hierarchyAt.merge(hv.effectiveFromRound(), h.getCreatedAtMs(), Math::max);
            }
          }
        }
        while (nextRound < c.settings().rounds() && emit(nextRound)) {
          scores.remove(nextRound);
          raw.remove(nextRound - 1);
          nextRound++;
        }
      }
    } catch (WakeupException e) {
      if (!closed()) {
        throw e;
      }
    } finally {
      producer.close(Duration.ofSeconds(5));
    }
  }

  private boolean emit(int round) {
    Map<String, AgentEvaluation> got = scores.get(round);
    if (got == null || got.size() < c.agents().size()) {
      return false; // round r is not aggregated yet
    }
    Evaluator.GroupScores groupScores;
    int version;
    if (round == 0) {
      HierarchyVersion initial = strategy.initialHierarchy(c.agents().size());
      Map<String, float[]> initialGroups = strategy.initialGroups(initialModel);
      version = initial == null ? -1 : initial.version();
      groupScores = initial == null ? Evaluator.GroupScores.NONE
          : evaluator.groups(initial.tree(), initialGroups, initialGroups.get(Hierarchy.ROOT));
    } else {
      HierarchyVersion hv = strategy.versionFor(round - 1, versions);
      Map<String, float[]> models = raw.get(round - 1);
      if (hv == null || models == null || models.size() < hv.tree().topDown().size()) {
        return false;
      }
      version = hv.version();
      groupScores = evaluator.groups(hv.tree(), strategy.generalise(hv.tree(), models, null), models.get(Hierarchy.ROOT));
    }
    List<AgentScore> agentScores = new ArrayList<>(c.agents().size());
    for (AgentData a : c.agents()) {
      AgentEvaluation e = got.get(a.id());
      agentScores.add(new AgentScore(e.getOwnCorrect(), e.getOwnTotal(), e.getAllCorrect(), e.getAllTotal()));
    }
    RoundMetrics m = Evaluator.combine(round, version, agentScores, groupScores);
    long now = System.nanoTime();
    double seconds = (now - lastRoundAt) / 1e9;
    lastRoundAt = now;
    Map<String, Double> timings = timings(round);
    producer.send(new ProducerRecord<>(c.topics().metrics().name(), c.experimentId(),
        toAvro(c.experimentId(), m, seconds, timings)));
    listener.onRound(m, seconds, timings);
    return true;
  }

  /**
   * Where round r's time went, from the records' own timestamps: from the group models of round
   * r-1 to the hierarchy of round r (the agents' evaluation and training, then clustering), and on
   * to round r's group models (aggregation, after the last update arrived).
   */
  private Map<String, Double> timings(int round) {
    Map<String, Double> t = new java.util.LinkedHashMap<>();
    Long before = groupsAt.get(round - 1);
    Long hierarchy = hierarchyAt.get(round);
    Long after = groupsAt.get(round);
    if (before != null && hierarchy != null) {
      t.put("trainAndCluster", (hierarchy - before) / 1e3);
    }
    if (before != null && after != null) {
      t.put("round", (after - before) / 1e3);
    }
    return t;
  }

  static io.demlearn.schemas.avro.RoundMetrics toAvro(String experimentId, RoundMetrics m, double seconds,
      Map<String, Double> timings) {
    return io.demlearn.schemas.avro.RoundMetrics.newBuilder()
        .setExperimentId(experimentId).setRound(m.round()).setHierarchyVersion(m.hierarchyVersion())
        .setCSpe(m.cSpe()).setCGen(m.cGen()).setGlobal(m.global()).setGSpe(m.gSpe()).setGGen(m.gGen())
        .setGroupMembers(m.groupMembers()).setSeconds(seconds).setTimings(timings)
        .build();
  }

  @Override
  protected void wakeUp() {
    consumer.wakeup();
  }
}
