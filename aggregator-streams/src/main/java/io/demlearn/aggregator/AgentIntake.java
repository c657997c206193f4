package io.demlearn.aggregator;

import io.demlearn.core.strategy.HierarchyVersion;
import io.demlearn.pipeline.checks.UpdateChecks;
import io.demlearn.pipeline.records.Experiment;
import io.demlearn.pipeline.records.ExperimentSpecs;
import io.demlearn.schemas.ParameterVectors;
import io.demlearn.schemas.avro.AggregationControl;
import io.demlearn.schemas.avro.AggregationInput;
import io.demlearn.schemas.avro.DeadLetterReason;
import io.demlearn.schemas.avro.GroupContribution;
import io.demlearn.schemas.avro.HierarchyAssignment;
import io.demlearn.schemas.avro.ModelUpdate;
import io.demlearn.schemas.avro.RoundTally;
import io.demlearn.schemas.avro.SourceRecord;
import io.demlearn.schemas.serde.AvroDeserializer;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The aggregator's first stage, one task per partition of {@code model-updates}: counts each
 * agent's updates (the first one per round, in round order; a re-send is dropped, a different
 * second update, one that skips rounds or one for a round already closed becomes a dead letter) and
 * adds the counted ones into one running sum per group for the agents this partition hosts. When
 * every such agent of a group has reported (or the round was closed by the straggler policy), the
 * sum leaves for the group's level as a {@link GroupContribution}.
 *
 * <p>An update that arrives before the hierarchy version of its round (in a round that rebuilds the
 * tree, all do) is not kept: its offset and digest are, and it is read back from the log ({@link
 * UpdateLog}) when the version arrives. State: per agent its last counted round; per counted update
 * its offset and digest (for the last {@value AggregatorTopology#RETAINED_ROUNDS} rounds); per open
 * group its running sum; the hierarchy versions; per round its progress.
 */
final class AgentIntake implements Processor<String, SpecificRecord, String, SpecificRecord> {
  static final String PARTITION_PREFIX = "partition-";
  private static final int RETAINED_ROUNDS = AggregatorTopology.RETAINED_ROUNDS;
  private static final StringSerializer STRINGS = new StringSerializer();

  private final Experiment experiment;
  private final int partitions;
  private final String updateTopic;
  private final AvroDeserializer<ModelUpdate> decoder;
  private final Serializer<ModelUpdate> encoder;
  private final UpdateLog.Factory logs;
  private final io.demlearn.schemas.avro.ModelKind kind;
  private ProcessorContext<String, SpecificRecord> context;
  private DeadLetterOut deadLetters;
  private UpdateLog log;
  private int partition;
  private KeyValueStore<String, HierarchyAssignment> hierarchies;
  private KeyValueStore<String, Long> agents;
  private KeyValueStore<String, byte[]> counted;
  private KeyValueStore<String, GroupContribution> partials;
  private KeyValueStore<String, Long> rounds;
  private final TreeMap<Integer, AggregationPlan> plans = new TreeMap<>();

  AgentIntake(
      Experiment experiment,
      int partitions,
      String updateTopic,
      AvroDeserializer<ModelUpdate> decoder,
      Serializer<ModelUpdate> encoder,
      UpdateLog.Factory logs) {
    this.experiment = experiment;
    this.partitions = partitions;
    this.updateTopic = updateTopic;
    this.decoder = decoder;
    this.encoder = encoder;
    this.logs = logs;
    this.kind = ExperimentSpecs.toAvro(experiment.settings().model());
  }

  static String roundKey(int round, String id) {
    return String.format(Locale.ROOT, "%010d/%s", round, id);
  }

  @Override
  public void init(ProcessorContext<String, SpecificRecord> context) {
    this.context = context;
    this.partition = context.taskId().partition();
    this.deadLetters = new DeadLetterOut(experiment.id(), context);
    hierarchies = context.getStateStore(AggregatorTopology.INTAKE_HIERARCHIES);
    agents = context.getStateStore(AggregatorTopology.INTAKE_AGENTS);
    counted = context.getStateStore(AggregatorTopology.INTAKE_COUNTED);
    partials = context.getStateStore(AggregatorTopology.INTAKE_PARTIALS);
    rounds = context.getStateStore(AggregatorTopology.INTAKE_ROUNDS);
    try (KeyValueIterator<String, HierarchyAssignment> it = hierarchies.all()) {
      it.forEachRemaining(kv -> remember(kv.value));
    }
    if (experiment.closesEarly()) {
      long every = Math.max(10, Math.min(200, experiment.policy().getStragglerTimeoutMs() / 4));
      context.schedule(Duration.ofMillis(every), PunctuationType.WALL_CLOCK_TIME, this::tally);
    }
  }

  @Override
  public void close() {
    if (log != null) {
      log.close();
    }
  }

  private void remember(HierarchyAssignment h) {
    plans.put(h.getEffectiveFromRound(), new AggregationPlan(h, partitions));
  }

  private AggregationPlan planFor(int round) {
    TreeMap<Integer, HierarchyVersion> versions = new TreeMap<>();
    plans.forEach((r, p) -> versions.put(r, p.version()));
    HierarchyVersion hv = experiment.settings().strategy().versionFor(round, versions);
    return hv == null ? null : plans.get(hv.effectiveFromRound());
  }

  @Override
  public void process(Record<String, SpecificRecord> record) {
    if (record.value() instanceof AggregationControl c) {
      if (c.getHierarchy() != null) {
        HierarchyAssignment h = c.getHierarchy();
        hierarchies.put(String.format(Locale.ROOT, "%010d", h.getEffectiveFromRound()), h);
        remember(h);
        foldWaitingRounds();
      }
      if (c.getClosedRound() != null) {
        int r = c.getClosedRound();
        if (rounds.get("closed/" + r) == null) {
          rounds.put("closed/" + r, c.getDecidedAtMs());
          AggregationPlan plan = planFor(r);
          if (plan != null) {
            emitAll(r, plan);
          } else {
            rounds.put("waiting/" + r, 1L); // sent when its hierarchy version arrives
          }
        }
      }
    } else if (record.value() instanceof AggregationInput in && in.getUpdate() != null) {
      accept(in.getUpdate(), in.getSource(), record);
    }
  }

  private void accept(ModelUpdate u, SourceRecord source, Record<String, SpecificRecord> record) {
    String agent = u.getAgentId();
    int round = u.getRound();
    int home = AggregationPlan.homePartition(agent, partitions);
    if (home != partition) {
      refuse(
          u,
          source,
          record,
          DeadLetterReason.WRONG_PARTITION,
          String.format(
              Locale.ROOT,
              "agent %s's updates belong on partition %d (its key's hash, as Kafka's default"
                  + " partitioner places them), not %d",
              agent,
              home,
              partition));
      return;
    }
    String key = roundKey(round, agent);
    Long lastCounted = agents.get(agent);
    int last = lastCounted == null ? -1 : lastCounted.intValue();
    if (round <= last) {
      byte[] claim = counted.get(key);
      if (claim == null) {
        refuse(
            u,
            source,
            record,
            DeadLetterReason.ROUND_OUT_OF_RANGE,
            String.format(
                Locale.ROOT,
                "round %d of agent %s was counted more than %d rounds ago",
                round,
                agent,
                RETAINED_ROUNDS));
      } else if (!Arrays.equals(Claim.digest(claim), UpdateChecks.digest(u))) {
        refuse(
            u,
            source,
            record,
            DeadLetterReason.CONFLICTING_DUPLICATE,
            String.format(
                Locale.ROOT,
                "agent %s already has a different update for round %d; the first one counts",
                agent,
                round));
      }
      return; // the same update sent again counts once
    }
    if (!UpdateChecks.followsOn(last, round)) {
      refuse(
          u,
          source,
          record,
          DeadLetterReason.ROUND_OUT_OF_RANGE,
          "round " + round + " is ahead of agent " + agent + "'s next round, " + (last + 1));
      return;
    }
    agents.put(agent, (long) round);
    byte[] digest = UpdateChecks.digest(u);
    if (rounds.get("closed/" + round) != null) {
      counted.put(key, Claim.of(source.getOffset(), true, digest));
      refuse(
          u,
          source,
          record,
          DeadLetterReason.LATE,
          String.format(
              Locale.ROOT,
              "round %d closed without agent %s (straggler policy): recorded, not averaged",
              round,
              agent));
      return;
    }
    // the straggler timeout runs from when the round's first update was sent (its timestamp), not
    // from when this task happened to read it
    Long first = rounds.get("first/" + round);
    if (first == null || record.timestamp() < first) {
      rounds.put("first/" + round, record.timestamp());
    }
    rounds.put("count/" + round, count(round) + 1);
    AggregationPlan plan = planFor(round);
    counted.put(key, Claim.of(source.getOffset(), plan != null, digest));
    if (plan == null) {
      rounds.put("waiting/" + round, 1L);
    } else {
      fold(round, plan, List.of(u));
    }
  }

  private long count(int round) {
    Long n = rounds.get("count/" + round);
    return n == null ? 0 : n;
  }

  /** Reads back and adds the updates of every round whose hierarchy version has now arrived. */
  private void foldWaitingRounds() {
    List<Integer> waiting = new ArrayList<>();
    try (KeyValueIterator<String, Long> it = rounds.prefixScan("waiting/", STRINGS)) {
      it.forEachRemaining(kv -> waiting.add(Integer.parseInt(kv.key.substring(8))));
    }
    for (int round : waiting) {
      AggregationPlan plan = planFor(round);
      if (plan == null) {
        continue;
      }
      TreeMap<Long, String> claims = new TreeMap<>();
      try (KeyValueIterator<String, byte[]> it =
          counted.prefixScan(String.format(Locale.ROOT, "%010d/", round), STRINGS)) {
        it.forEachRemaining(
            kv -> {
              if (!Claim.folded(kv.value)) {
                claims.put(Claim.offset(kv.value), kv.key);
              }
            });
      }
      List<ModelUpdate> updates = new ArrayList<>();
      if (!claims.isEmpty()) {
        if (log == null) {
          log = logs.open(updateTopic, context.appConfigs());
        }
        Map<Long, byte[]> read = log.read(partition, new TreeSet<>(claims.keySet()));
        for (Map.Entry<Long, String> c : claims.entrySet()) {
          byte[] bytes = read.get(c.getKey());
          ModelUpdate u = bytes == null ? null : decoder.deserialize(updateTopic, bytes);
          if (u == null
              || !Arrays.equals(UpdateChecks.digest(u), Claim.digest(counted.get(c.getValue())))) {
            throw new IllegalStateException(
                "the update counted at offset "
                    + c.getKey()
                    + " of "
                    + updateTopic
                    + "-"
                    + partition
                    + " is no longer in the log as it was read");
          }
          counted.put(
              c.getValue(), Claim.of(c.getKey(), true, Claim.digest(counted.get(c.getValue()))));
          updates.add(u);
        }
      }
      rounds.delete("waiting/" + round);
      fold(round, plan, updates);
      if (rounds.get("closed/" + round) != null) {
        emitAll(round, plan);
      }
    }
  }

  /** Adds counted updates to their groups' sums, and sends the groups this partition completed. */
  private void fold(int round, AggregationPlan plan, List<ModelUpdate> updates) {
    TreeMap<String, RunningSum> touched = new TreeMap<>();
    for (ModelUpdate u : updates) {
      String group = plan.parentOf(u.getAgentId());
      RunningSum sum = touched.computeIfAbsent(group, g -> load(round, g));
      float[] x = ParameterVectors.toFloats(u.getParameters());
      sum.addAgent(
          u.getAgentId(),
          x,
          AggregationPlan.agentWeight(experiment.settings().weighting(), u.getTrainSamples()),
          u.getTrainSamples(),
          u.getEvaluation());
    }
    for (Map.Entry<String, RunningSum> e : touched.entrySet()) {
      String group = e.getKey();
      if (e.getValue().agentCount() == plan.hostedBy(partition).get(group).size()) {
        emit(round, plan, group, e.getValue());
      } else {
        partials.put(
            roundKey(round, group), e.getValue().into(contribution(round, plan, group)).build());
      }
    }
  }

  private RunningSum load(int round, String group) {
    RunningSum sum = new RunningSum(experiment.settings().model().dimension(), kind);
    GroupContribution stored = partials.get(roundKey(round, group));
    if (stored != null) {
      sum.add(stored);
    }
    return sum;
  }

  /** Under the straggler policy, a closed round: every group's sum leaves with what it has. */
  private void emitAll(int round, AggregationPlan plan) {
    for (String group : plan.hostedBy(partition).keySet()) {
      if (rounds.get("emitted/" + roundKey(round, group)) == null) {
        emit(round, plan, group, load(round, group));
      }
    }
  }

  private void emit(int round, AggregationPlan plan, String group, RunningSum sum) {
    GroupContribution c = sum.into(contribution(round, plan, group)).build();
    partials.delete(roundKey(round, group));
    rounds.put("emitted/" + roundKey(round, group), 1L);
    context.forward(new Record<>(roundKey(round, group), c, context.currentSystemTimeMs()));
    context.commit(); // the group's level reads it once committed: no need to wait for the interval
    long emitted = rounds.get("emitted/" + round) == null ? 1 : rounds.get("emitted/" + round) + 1;
    rounds.put("emitted/" + round, emitted);
    if (emitted == plan.hostedBy(partition).size()) {
      forget(round - RETAINED_ROUNDS);
    }
  }

  private GroupContribution.Builder contribution(int round, AggregationPlan plan, String group) {
    return GroupContribution.newBuilder()
        .setExperimentId(experiment.id())
        .setRound(round)
        .setHierarchyVersion(plan.version().version())
        .setFrom(PARTITION_PREFIX + partition)
        .setRoute(plan.route(group))
        .setAmplify(experiment.settings().strategy().amplifyIn(round, plan.version()))
        .setProducedAtMs(context.currentSystemTimeMs());
  }

  /** Forgets a round: its digests, its progress, and the versions no later round needs. */
  private void forget(int round) {
    if (round < 0) {
      return;
    }
    var keys = new ArrayList<String>();
    try (var it = counted.prefixScan(String.format(Locale.ROOT, "%010d/", round), STRINGS)) {
      it.forEachRemaining(kv -> keys.add(kv.key));
    }
    keys.forEach(counted::delete);
    keys.clear();
    try (var it = rounds.all()) {
      it.forEachRemaining(
          kv -> {
            String k = kv.key;
            String tail = k.substring(k.indexOf('/') + 1);
            if (tail.equals(Integer.toString(round))
                || tail.startsWith(String.format(Locale.ROOT, "%010d/", round))) {
              keys.add(k);
            }
          });
    }
    keys.forEach(rounds::delete);
    Integer keep = plans.floorKey(round + 1);
    while (keep != null && plans.firstKey() < keep) {
      int old = plans.pollFirstEntry().getKey();
      hierarchies.delete(String.format(Locale.ROOT, "%010d", old));
    }
  }

  /**
   * Under a straggler policy: tells the round's decision how many agents this partition counted.
   */
  private void tally(long now) {
    try (KeyValueIterator<String, Long> it = rounds.prefixScan("count/", STRINGS)) {
      while (it.hasNext()) {
        var kv = it.next();
        int round = Integer.parseInt(kv.key.substring(6));
        Long told = rounds.get("told/" + round);
        if (rounds.get("closed/" + round) == null && (told == null || told < kv.value)) {
          rounds.put("told/" + round, kv.value);
          context.forward(
              new Record<>(
                  String.format(Locale.ROOT, "%010d", round),
                  RoundTally.newBuilder()
                      .setRound(round)
                      .setPartition(partition)
                      .setCounted(kv.value.intValue())
                      .setFirstCountedAtMs(rounds.get("first/" + round))
                      .build(),
                  now));
          context.commit(); // the round's decision reads it once committed
        }
      }
    }
  }

  private void refuse(
      ModelUpdate u,
      SourceRecord source,
      Record<String, SpecificRecord> record,
      DeadLetterReason reason,
      String detail) {
    deadLetters.write(
        source,
        reason,
        detail,
        u.getAgentId().getBytes(StandardCharsets.UTF_8),
        encoder.serialize(source.getTopic(), u),
        record.timestamp());
  }

  /**
   * A counted update as stored: its offset, whether it was added to its group's sum, its digest.
   */
  static final class Claim {
    private Claim() {}

    static byte[] of(long offset, boolean folded, byte[] digest) {
      return ByteBuffer.allocate(9 + digest.length)
          .putLong(offset)
          .put((byte) (folded ? 1 : 0))
          .put(digest)
          .array();
    }

    static long offset(byte[] claim) {
      return ByteBuffer.wrap(claim).getLong();
    }

    static boolean folded(byte[] claim) {
      return claim[8] == 1;
    }

    static byte[] digest(byte[] claim) {
      return Arrays.copyOfRange(claim, 9, claim.length);
    }
  }
}
