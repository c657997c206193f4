package io.demlearn.worker;

import io.demlearn.core.data.AgentData;
import io.demlearn.core.metrics.AgentScore;
import io.demlearn.core.metrics.Evaluator;
import io.demlearn.core.model.Model;
import io.demlearn.core.model.TrainingPool;
import io.demlearn.core.sim.AgentStart;
import io.demlearn.core.sim.ExperimentSettings;
import io.demlearn.core.sim.HierarchyVersion;
import io.demlearn.core.sim.Simulator;
import io.demlearn.core.sim.Strategy;
import io.demlearn.schemas.checks.HierarchyChecks;
import io.demlearn.schemas.ParameterVectors;
import io.demlearn.schemas.avro.AgentEvaluation;
import io.demlearn.schemas.avro.GroupModel;
import io.demlearn.schemas.avro.HierarchyAssignment;
import io.demlearn.schemas.avro.ModelUpdate;
import io.demlearn.schemas.checks.UpdateChecks;
import io.demlearn.schemas.convert.Experiment;
import io.demlearn.schemas.convert.ExperimentSpecs;
import io.demlearn.schemas.serde.AvroDeserializer;
import io.demlearn.schemas.serde.AvroSerdes;
import io.demlearn.schemas.topics.ClientConfigs;
import io.demlearn.schemas.topics.ExperimentTopics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.utils.Utils;
import io.demlearn.schemas.service.LoopService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An agent worker: hosts the agents whose ids hash to the {@code model-updates} partitions the
 * consumer group gives it, and runs their rounds.
 *
 * <ul>
 *   <li>In: {@code model-updates} (key: agent id, value: ModelUpdate), its own partitions from the
 *       start: an agent's latest update is its state; {@code hierarchy-assignments} (key: version,
 *       value: HierarchyAssignment) and {@code group-models} (key: group id, value: GroupModel),
 *       every partition.
 *   <li>Out: {@code model-updates}: one update per agent and round, with the evaluation of the
 *       model the agent started the round with.
 * </ul>
 *
 * An agent acts when it has its update of round r, the hierarchy version in force for r and the
 * group models of r on its path: it mixes top-down, evaluates, trains round r+1 (its randomness
 * comes from (seed, agent, round), so any worker computes the same update) and publishes. A worker
 * that takes an agent over re-reads its partition and continues from its latest update.
 */
public final class AgentWorker extends LoopService {
  private static final Logger LOG = LoggerFactory.getLogger(AgentWorker.class);

  /**
   * What the worker needs; {@code agents} is every agent's data (hosted ones train, all test data
   * scores); {@code slowAgents} delays the updates of some agents by a time each (to try a
   * straggler policy), usually empty.
   */
  public record Config(Experiment experiment, ExperimentTopics topics, List<AgentData> agents, Map<String, Object> kafka,
      AvroSerdes serdes, int threads, String workerId, Map<String, Duration> slowAgents) {
    public Config {
      slowAgents = Map.copyOf(slowAgents);
    }

    ExperimentSettings settings() {
      return experiment.settings();
    }

    String experimentId() {
      return experiment.id();
    }
  }

  private static final class AgentState {
    final int index;
    int lastRound = -1;
    float[] trained;
    int inFlightRound = -1;
    boolean recovering = true;

    AgentState(int index) {
      this.index = index;
    }
  }

  private record Trained(AgentState agent, int round, int hierarchyVersion, float[] params, AgentScore score, long dueAtNanos) {}

  private final Config c;
  private final Strategy strategy;
  private final Model model;
  private final Evaluator evaluator;
  private final float[] initialModel;
  private final Map<String, Integer> indexOf = new HashMap<>();
  private final Map<String, AgentState> hosted = new HashMap<>();
  private final TreeMap<Integer, HierarchyVersion> versions = new TreeMap<>();
  private final TreeMap<Integer, Map<String, float[]>> groupModels = new TreeMap<>();
  /** Per round, how many group models the aggregator wrote (when the records say). */
  private final Map<Integer, Integer> groupsInRound = new HashMap<>();
  private final UpdateChecks checks;
  private final AvroDeserializer<ModelUpdate> updateDecoder;
  private final Map<TopicPartition, Long> recoverUntil = new HashMap<>();
  private final KafkaConsumer<String, byte[]> own;
  /** Group models and hierarchy versions, read by their own thread and handed over as events. */
  private final KafkaConsumer<String, byte[]> shared;
  private final ConcurrentLinkedQueue<Object> sharedEvents = new ConcurrentLinkedQueue<>();
  private volatile boolean rereadShared;
  /** Trained updates of slow agents, held back until they are due. */
  private final List<Trained> heldBack = new java.util.ArrayList<>();
  private final KafkaProducer<String, ModelUpdate> producer;
  private final TrainingPool trainingPool;
  private final ConcurrentLinkedQueue<Object> done = new ConcurrentLinkedQueue<>();
  private final int partitions;
  private volatile boolean finished;

  public AgentWorker(Config c) {
    this.c = c;
    this.strategy = c.settings().strategy();
    this.model = Model.of(c.settings().model());
    this.evaluator = new Evaluator(model, c.agents(), null, 1);
    this.initialModel = Simulator.initialModel(model, c.settings().seed());
    for (int i = 0; i < c.agents().size(); i++) {
      indexOf.put(c.agents().get(i).id(), i);
    }
    String prefix = ExperimentTopics.PREFIX + c.experimentId() + ".worker-" + c.workerId();
    this.checks = new UpdateChecks(c.experiment());
    this.updateDecoder = c.topics().modelUpdates().valueSerde(c.serdes()).deserializer();
    Map<String, Object> ownConfig = ClientConfigs.consumer(c.kafka(), prefix + "-own",
        ExperimentTopics.PREFIX + c.experimentId() + ".agent-workers");
    // static membership: a restarted worker (same --worker-id) takes its agents back at once
    ownConfig.put(org.apache.kafka.clients.consumer.ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, prefix);
    this.own = new KafkaConsumer<>(ownConfig, new StringDeserializer(), new ByteArrayDeserializer());
    // Group models are read as soon as they are written, before the aggregator's transaction
    // commits: each is a deterministic function of the round's updates, so one from an aborted
    // transaction equals the one written again, and nothing read early can differ from the truth.
    // Not so under a straggler policy, where which updates a round averages depends on timing:
    // then only committed group models are read.
    Map<String, Object> sharedConfig = ClientConfigs.consumer(c.kafka(), prefix + "-shared", null);
    if (!c.experiment().closesEarly()) {
      sharedConfig.put(org.apache.kafka.clients.consumer.ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
    }
    this.shared = new KafkaConsumer<>(sharedConfig, new StringDeserializer(), new ByteArrayDeserializer());
    this.producer = new KafkaProducer<>(ClientConfigs.producer(c.kafka(), prefix),
        c.topics().modelUpdates().keySerde().serializer(), c.topics().modelUpdates().valueSerde(c.serdes()).serializer());
    this.trainingPool = new TrainingPool(model, c.threads(), "agent-trainer-" + c.workerId() + "-");
    this.partitions = own.partitionsFor(c.topics().modelUpdates().name()).size();
  }

  /** The partition an agent's updates go to (Kafka's default partitioner for string keys). */
  static int partitionOf(String agentId, int partitions) {
    return Utils.toPositive(Utils.murmur2(agentId.getBytes(StandardCharsets.UTF_8))) % partitions;
  }

  @Override
  protected void loop() {
    Thread reader = new Thread(this::readShared, "agent-worker-" + c.workerId() + "-reader");
    reader.setDaemon(true);
    reader.start();
    try {
      own.subscribe(List.of(c.topics().modelUpdates().name()), new ConsumerRebalanceListener() {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
          release(revoked);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> lost) {
          release(lost);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> assigned) {
          host(assigned);
        }
      });
      while (!closed()) {
        org.apache.kafka.clients.consumer.ConsumerRecords<String, byte[]> records;
        try {
          records = own.poll(Duration.ofMillis(200));
        } catch (WakeupException e) {
          // new group models, a finished training, or close(): handle them now
          records = org.apache.kafka.clients.consumer.ConsumerRecords.empty();
        }
        try {
          for (ConsumerRecord<String, byte[]> r : records) {
            ModelUpdate u = updateDecoder.deserializeOrNull(r);
            if (u != null && checks.check(r.key(), u) == null) {
              seen(u);
            }
          }
          drainShared();
          checkRecovered();
          publishDone();
          startReady();
          forgetOldGroupModels();
          finished = !hosted.isEmpty() && hosted.values().stream().allMatch(s -> s.lastRound >= c.settings().rounds() - 1);
        } catch (WakeupException e) {
          // woken while busy: the next pass picks up whatever is pending
        }
      }
    } finally {
      trainingPool.executor().shutdownNow();
      shared.wakeup();
      try {
        reader.join(5000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      own.close();
      producer.close(Duration.ofSeconds(10));
      trainingPool.close();
    }
  }

  /** The reader thread: group models and hierarchy versions from every partition, from the start. */
  private void readShared() {
    var groupDecoder = c.topics().groupModels().valueSerde(c.serdes()).deserializer();
    var hierarchyDecoder = c.topics().hierarchyAssignments().valueSerde(c.serdes()).deserializer();
    String groupTopic = c.topics().groupModels().name();
    try (shared) {
      List<TopicPartition> all = new java.util.ArrayList<>(partitions(shared, groupTopic));
      all.addAll(partitions(shared, c.topics().hierarchyAssignments().name()));
      shared.assign(all);
      shared.seekToBeginning(all);
      while (!closed()) {
        if (rereadShared) {
          rereadShared = false;
          shared.seekToBeginning(all);
        }
        boolean any = false;
        for (ConsumerRecord<String, byte[]> r : shared.poll(Duration.ofMillis(200))) {
          Object event = r.topic().equals(groupTopic) ? groupDecoder.deserializeOrNull(r) : hierarchyDecoder.deserializeOrNull(r);
          if (event != null) {
            sharedEvents.add(event);
            any = true;
          }
        }
        if (any) {
          own.wakeup();
        }
      }
    } catch (WakeupException e) {
      // closing
    } catch (RuntimeException e) {
      done.add(e);
      own.wakeup();
    }
  }

  private void drainShared() {
    Object event;
    while ((event = sharedEvents.poll()) != null) {
      if (event instanceof HierarchyAssignment h) {
        HierarchyVersion hv = HierarchyChecks.usable(c.experiment(), h, versions);
        if (hv != null) {
          versions.put(hv.effectiveFromRound(), hv); // a refused or conflicting version is skipped, as the aggregator does
        }
      } else if (event instanceof GroupModel g && c.experimentId().equals(g.getExperimentId())) {
        groupModels.computeIfAbsent(g.getRound(), k -> new HashMap<>())
            .put(g.getGroupId(), ParameterVectors.toFloats(g.getParameters()));
        if (g.getGroupsInRound() > 0) {
          groupsInRound.put(g.getRound(), g.getGroupsInRound());
        }
      }
    }
  }

  private static List<TopicPartition> partitions(KafkaConsumer<?, ?> consumer, String topic) {
    return consumer.partitionsFor(topic).stream().map(p -> new TopicPartition(topic, p.partition())).toList();
  }

  private void host(Collection<TopicPartition> assigned) {
    Set<Integer> mine = new HashSet<>();
    for (TopicPartition tp : assigned) {
      mine.add(tp.partition());
    }
    // the agents first: whatever happens below, they are hosted and wait for their recovery
    for (AgentData a : c.agents()) {
      if (mine.contains(partitionOf(a.id(), partitions))) {
        hosted.computeIfAbsent(a.id(), id -> new AgentState(indexOf.get(id))).recovering = true;
      }
    }
    own.resume(assigned);
    own.seekToBeginning(assigned);
    Map<TopicPartition, Long> end = null;
    while (end == null) {
      try {
        end = own.endOffsets(assigned);
      } catch (WakeupException e) {
        // the reader or a trainer woke us: ask again, this answer is needed
      }
    }
    recoverUntil.putAll(end);
    // agents taken over may need group models and hierarchy versions this worker has already forgotten
    rereadShared = true;
    LOG.debug("worker {} hosts {} agents on partitions {}", c.workerId(), hosted.size(), mine);
  }

  private void release(Collection<TopicPartition> revoked) {
    Set<Integer> gone = new HashSet<>();
    for (TopicPartition tp : revoked) {
      gone.add(tp.partition());
      recoverUntil.remove(tp);
    }
    hosted.values().removeIf(s -> gone.contains(partitionOf(c.agents().get(s.index).id(), partitions)));
  }

  /** An update of an agent read back from its partition: the agent's state if it follows on (the aggregator's rule). */
  private void seen(ModelUpdate u) {
    AgentState s = hosted.get(u.getAgentId());
    if (s != null && UpdateChecks.followsOn(s.lastRound, u.getRound())) {
      s.lastRound = u.getRound();
      s.trained = ParameterVectors.toFloats(u.getParameters());
    }
  }

  private void checkRecovered() {
    if (recoverUntil.isEmpty()) {
      return;
    }
    recoverUntil.entrySet().removeIf(e -> own.position(e.getKey()) >= e.getValue());
    if (recoverUntil.isEmpty()) {
      hosted.values().forEach(s -> s.recovering = false);
      // from now on this worker knows its agents' updates first-hand: no need to read them back
      own.pause(own.assignment());
    }
  }

  private void startReady() {
    if (!recoverUntil.isEmpty()) {
      return;
    }
    for (AgentState s : hosted.values()) {
      int round = s.lastRound + 1;
      if (s.recovering || s.inFlightRound >= 0 || round >= c.settings().rounds()) {
        continue;
      }
      AgentStart start;
      int version;
      if (s.lastRound < 0) {
        start = strategy.initial(initialModel);
        HierarchyVersion initial = strategy.initialHierarchy(c.agents().size());
        version = initial == null ? -1 : initial.version();
      } else {
        HierarchyVersion hv = strategy.versionFor(s.lastRound, versions);
        Map<String, float[]> raw = groupModels.get(s.lastRound);
        if (hv == null || raw == null) {
          continue;
        }
        List<String> path = Strategy.pathOf(hv.tree(), s.index);
        if (!raw.keySet().containsAll(path) && raw.size() < groupsInRound.getOrDefault(s.lastRound, Integer.MAX_VALUE)) {
          continue; // the models on its path are not all here, and the round may have them
        }
        start = strategy.next(s.index, s.trained, hv.tree(), strategy.generalise(hv.tree(), raw, path));
        version = hv.version();
      }
      s.inFlightRound = round;
      AgentStart from = start;
      trainingPool.executor().submit(() -> {
        try {
          AgentScore score = evaluator.score(s.index, from.evalModel());
          float[] params = from.startModel().clone();
          trainingPool.trainer().train(params, c.agents().get(s.index).train(), from.proxTarget(), c.settings().training(),
              Simulator.trainingStream(c.settings().seed(), s.index, round));
          Duration delay = c.slowAgents().getOrDefault(c.agents().get(s.index).id(), Duration.ZERO);
          done.add(new Trained(s, round, version, params, score, System.nanoTime() + delay.toNanos()));
        } catch (RuntimeException e) {
          done.add(e);
        }
        own.wakeup();
      });
    }
  }

  private void publishDone() {
    Object next;
    while ((next = done.poll()) != null) {
      if (next instanceof IllegalStateException e) {
        throw e;
      }
      if (next instanceof RuntimeException e) {
        throw new IllegalStateException("local training failed: " + e, e);
      }
      heldBack.add((Trained) next);
    }
    long now = System.nanoTime();
    for (java.util.Iterator<Trained> it = heldBack.iterator(); it.hasNext(); ) {
      Trained t = it.next();
      if (t.dueAtNanos() - now <= 0) {
        it.remove();
        publish(t);
      }
    }
  }

  private void publish(Trained t) {
    AgentData agent = c.agents().get(t.agent().index);
    for (float v : t.params()) {
      if (!Float.isFinite(v)) {
        throw new IllegalStateException("agent " + agent.id() + "'s model holds " + v + " after round " + t.round()
            + "'s local training: training diverged; try a smaller --learning-rate");
      }
    }
    ModelUpdate update = ModelUpdate.newBuilder()
        .setExperimentId(c.experimentId()).setRound(t.round()).setHierarchyVersion(t.hierarchyVersion())
        .setAgentId(agent.id()).setTrainSamples(agent.train().size())
        .setParameters(ParameterVectors.of(ExperimentSpecs.toAvro(c.settings().model()), t.params()))
        .setTrainLoss(null).setProducedAtMs(System.currentTimeMillis())
        .setEvaluation(AgentEvaluation.newBuilder().setOwnCorrect(t.score().ownCorrect())
            .setOwnTotal(t.score().ownTotal()).setAllCorrect(t.score().allCorrect())
            .setAllTotal(t.score().allTotal()).build())
        .build();
    UpdateChecks.Refusal refusal = checks.check(agent.id(), update);
    if (refusal != null) {
      // the aggregator would refuse it and the round would wait for this agent in vain
      throw new IllegalStateException("agent " + agent.id() + "'s update for round " + t.round() + " would be refused ("
          + refusal.reason() + "): " + refusal.detail() + "; is training diverging? (try a smaller --learning-rate, or"
          + " raise --max-update-norm)");
    }
    producer.send(new ProducerRecord<>(c.topics().modelUpdates().name(), agent.id(), update), (meta, error) -> {
      if (error != null) {
        // the worker stops: restarted, it recovers from what the log holds and sends the update again
        done.add(new IllegalStateException("cannot publish the update of " + agent.id() + " for round " + t.round()
            + ": " + error, error));
        own.wakeup();
      }
    });
    AgentState s = t.agent();
    if (t.round() > s.lastRound) {
      s.lastRound = t.round();
      s.trained = t.params();
    }
    s.inFlightRound = -1;
  }

  private void forgetOldGroupModels() {
    if (hosted.isEmpty()) {
      return;
    }
    int oldest = Integer.MAX_VALUE;
    for (AgentState s : hosted.values()) {
      oldest = Math.min(oldest, s.lastRound);
    }
    while (!groupModels.isEmpty() && groupModels.firstKey() < oldest) {
      groupsInRound.remove(groupModels.pollFirstEntry().getKey());
    }
    while (versions.size() > 1 && versions.higherKey(versions.firstKey()) <= oldest) {
      versions.pollFirstEntry(); // a later version is in force for every round still to come
    }
  }

  /** Whether every hosted agent has trained every round. */
  public boolean finished() {
    return finished;
  }

  @Override
  protected void wakeUp() {
    own.wakeup();
  }


}
