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
import io.demlearn.schemas.checks.HierarchyChecks;
import io.demlearn.schemas.ParameterVectors;
import io.demlearn.schemas.avro.AgentEvaluation;
import io.demlearn.schemas.avro.GroupModel;
import io.demlearn.schemas.avro.HierarchyAssignment;
import io.demlearn.schemas.convert.Experiment;
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
  record Config(Experiment experiment, ExperimentTopics topics, List<AgentData> agents, Map<String, Object> kafka,
      AvroSerdes serdes, ExecutorService pool, int threads) {
    ExperimentSettings settings() {
      return experiment.settings();
    }

    String experimentId() {
      return experiment.id();
    }
  }

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
  /** Per round: agents averaged into each group, and how many group models the round has. */
  private final Map<Integer, Map<String, Integer>> averaged = new HashMap<>();
  private final Map<Integer, Integer> groupsInRound = new HashMap<>();
  private volatile HierarchyVersion latestVersion;
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
    // updates, so one from an aborted transaction equals the one written again (see AgentWorker);
    // under a straggler policy, committed ones only
    Map<String, Object> config = ClientConfigs.consumer(c.kafka(), id, null);
    if (!c.experiment().closesEarly()) {
      config.put(org.apache.kafka.clients.consumer.ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
    }
    this.consumer = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());
    this.producer = new KafkaProducer<>(ClientConfigs.producer(c.kafka(), id),
        c.topics().metrics().keySerde().serializer(), c.topics().metrics().valueSerde(c.serdes()).serializer());
  }

  /** The latest hierarchy version read, or null. */
  HierarchyVersion latestVersion() {
    return latestVersion;
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
          if (r.topic().equals(groupTopic)) {
            GroupModel g = groupDecoder.deserializeOrNull(r);
            if (g != null && c.experimentId().equals(g.getExperimentId())) {
              Map<String, AgentEvaluation> roundScores = scores.computeIfAbsent(g.getRound(), k -> new HashMap<>());
              g.getMemberEvaluations().forEach(roundScores::putIfAbsent);
              raw.computeIfAbsent(g.getRound(), k -> new HashMap<>()).put(g.getGroupId(), ParameterVectors.toFloats(g.getParameters()));
              groupsAt.merge(g.getRound(), g.getProducedAtMs(), Math::max);
              averaged.computeIfAbsent(g.getRound(), k -> new HashMap<>()).put(g.getGroupId(), g.getAgentCount());
              groupsInRound.put(g.getRound(), g.getGroupsInRound());
            }
          } else {
            HierarchyAssignment h = hierarchyDecoder.deserializeOrNull(r);
            HierarchyVersion hv = HierarchyChecks.usable(c.experiment(), h, versions);
            if (hv != null) {
              versions.put(hv.effectiveFromRound(), hv);
              if (latestVersion == null || hv.version() > latestVersion.version()) {
                latestVersion = hv;
              }
              hierarchyAt.merge(hv.effectiveFromRound(), h.getCreatedAtMs(), Math::max);
            }
          }
        }
        while (nextRound < c.settings().rounds() && emit(nextRound)) {
          scores.remove(nextRound);
          raw.remove(nextRound - 1);
          averaged.remove(nextRound - 1);
          groupsInRound.remove(nextRound - 1);
          while (versions.size() > 1 && versions.higherKey(versions.firstKey()) <= nextRound) {
            versions.pollFirstEntry(); // a later version is in force for every round still to come
          }
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

  /** Whether every group model of a round is here. */
  private boolean aggregated(int round) {
    Map<String, float[]> models = raw.get(round);
    HierarchyVersion hv = strategy.versionFor(round, versions);
    if (models == null || hv == null) {
      return false;
    }
    int expected = groupsInRound.getOrDefault(round, 0);
    return models.size() >= (expected > 0 ? expected : hv.tree().topDown().size());
  }

  private boolean emit(int round) {
    if (!aggregated(round) || (round > 0 && !aggregated(round - 1))) {
      return false; // round r is not aggregated yet
    }
    Map<String, AgentEvaluation> got = scores.getOrDefault(round, Map.of());
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
      version = hv.version();
      groupScores = evaluator.groups(hv.tree(), strategy.generalise(hv.tree(), models, null), models.get(Hierarchy.ROOT));
      // the agents each group model averaged (fewer than the tree's under a straggler policy)
      Map<String, Integer> members = new java.util.LinkedHashMap<>();
      groupScores.members().keySet().forEach(g -> members.put(g, averaged.get(round - 1).getOrDefault(g, 0)));
      groupScores = new Evaluator.GroupScores(groupScores.gSpe(), groupScores.gGen(), members, groupScores.global());
    }
    // C-SPE and C-GEN over the agents whose updates the round averaged
    List<AgentScore> agentScores = new ArrayList<>(c.agents().size());
    for (AgentData a : c.agents()) {
      AgentEvaluation e = got.get(a.id());
      if (e != null) {
        agentScores.add(new AgentScore(e.getOwnCorrect(), e.getOwnTotal(), e.getAllCorrect(), e.getAllTotal()));
      }
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
