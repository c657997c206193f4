package io.demlearn.aggregator;

import io.demlearn.core.experiment.Participation;
import io.demlearn.pipeline.checks.UpdateChecks;
import io.demlearn.pipeline.records.Experiment;
import io.demlearn.pipeline.records.ExperimentSpecs;
import io.demlearn.schemas.ParameterVectors;
import io.demlearn.schemas.avro.AggregationControl;
import io.demlearn.schemas.avro.AggregationInput;
import io.demlearn.schemas.avro.DeadLetterReason;
import io.demlearn.schemas.avro.GroupContribution;
import io.demlearn.schemas.avro.HierarchyAssignment;
import io.demlearn.schemas.avro.ModelKind;
import io.demlearn.schemas.avro.ModelUpdate;
import io.demlearn.schemas.avro.RoundTally;
import io.demlearn.schemas.avro.SourceRecord;
import io.demlearn.schemas.serde.AvroDeserializer;
import io.micrometer.core.instrument.Counter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The aggregator's first stage, one task per partition of {@code model-updates}: counts each
 * agent's updates (the first one per round, in round order; a re-send is dropped, a different
 * second update, one that skips rounds (unless it catches up after a round the straggler policy
 * closed without the agent) or one for a round already closed becomes a dead letter) and adds the
 * counted ones into one running sum per group for the agents this partition hosts. When every such
 * agent of a group has reported (or the round was closed by the straggler policy), the sum leaves
 * for the group's level as a {@link GroupContribution}.
 *
 * <p>An update that arrives before the hierarchy version of its round (in a round that rebuilds the
 * tree, all do) is not kept in the state: its offset is, and it is read back from the log ({@link
 * UpdateLog}) when the version arrives, unless the task still holds it in memory: updates waiting
 * for their version are also kept in memory up to a budget (an eighth of the heap, shared by the
 * experiment's partitions), and a round whose waiting updates are all there is added from memory
 * instead of re-reading the log (the state and a restart do not depend on it). State: per agent its
 * last counted round and, for its last {@value AggregatorTopology#RETAINED_ROUNDS} rounds, the
 * offset of each counted update and whether its group's stored sum holds it yet ({@link
 * IntakeCounts}); per open group its running sum, written at each commit interval ({@link
 * OpenSums}: an update added since is read back from the log after a restart); the hierarchy
 * versions; per round its progress.
 */
final class AgentIntake implements Processor<String, SpecificRecord, String, SpecificRecord> {
  static final String PARTITION_PREFIX = "partition-";
  private static final int RETAINED_ROUNDS = AggregatorTopology.RETAINED_ROUNDS;

  private final Experiment experiment;
  private final int partitions;
  private final String updateTopic;
  private final AvroDeserializer<ModelUpdate> decoder;
  private final Serializer<ModelUpdate> encoder;
  private final UpdateLog.Factory logs;
  private final ModelKind kind;
  private final UpdateChecks checks;
  private final Participation participation;
  private ProcessorContext<String, SpecificRecord> context;
  private DeadLetterOut deadLetters;
  private UpdateLog log;
  private int partition;
  private IntakePlans plans;
  private IntakeCounts counts;
  private OpenSums sums;
  private IntakeRounds rounds;
  private boolean recovered;

  /** Counted updates waiting for their round's hierarchy version, by offset, within a budget. */
  private final Map<Long, ModelUpdate> waitingInMemory = new HashMap<>();

  private long waitingBytes;
  private final long waitingBudget;

  private final Counter accepted;

  AgentIntake(
      Experiment experiment,
      int partitions,
      String updateTopic,
      AvroDeserializer<ModelUpdate> decoder,
      Serializer<ModelUpdate> encoder,
      UpdateLog.Factory logs,
      Counter accepted) {
    this.accepted = accepted;
    this.experiment = experiment;
    this.partitions = partitions;
    this.updateTopic = updateTopic;
    this.decoder = decoder;
    this.encoder = encoder;
    this.logs = logs;
    this.kind = ExperimentSpecs.toAvro(experiment.settings().model());
    this.checks = new UpdateChecks(experiment);
    this.participation = experiment.settings().participation();
    this.waitingBudget = Runtime.getRuntime().maxMemory() / 8 / Math.max(1, partitions);
  }

  static String roundKey(int round, String id) {
    return String.format(Locale.ROOT, "%010d/%s", round, id);
  }

  @Override
  public void init(ProcessorContext<String, SpecificRecord> context) {
    this.context = context;
    this.partition = context.taskId().partition();
    this.deadLetters = new DeadLetterOut(experiment.id(), context);
    plans =
        new IntakePlans(
            context.getStateStore(AggregatorTopology.INTAKE_HIERARCHIES), experiment, partitions);
    counts = new IntakeCounts(context.getStateStore(AggregatorTopology.INTAKE_COUNTED));
    KeyValueStore<String, GroupContribution> partials =
        context.getStateStore(AggregatorTopology.INTAKE_PARTIALS);
    sums =
        new OpenSums(
            partials,
            counts,
            () -> new RunningSum(experiment.settings().architecture().dimension(), kind),
            (round, group) -> contribution(round, plans.planFor(round), group));
    rounds = new IntakeRounds(context.getStateStore(AggregatorTopology.INTAKE_ROUNDS));
    recovered = false; // a task started again (also after a failed transaction) reads back
    waitingInMemory.clear();
    waitingBytes = 0;
    context.schedule(
        Duration.ofMillis(commitIntervalMs(context.appConfigs())),
        PunctuationType.WALL_CLOCK_TIME,
        now -> sums.flush());
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

  private static long commitIntervalMs(Map<String, Object> configs) {
    Object v = configs.get(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG);
    return v == null ? 1000 : Long.parseLong(v.toString());
  }

  @Override
  public void process(Record<String, SpecificRecord> record) {
    if (!recovered) {
      recover();
      recovered = true;
    }
    if (record.value() instanceof AggregationControl c) {
      if (c.getHierarchy() != null) {
        HierarchyAssignment h = c.getHierarchy();
        plans.add(h);
        foldWaitingRounds();
      }
      if (c.getClosedRound() != null) {
        int r = c.getClosedRound();
        if (rounds.close(r, c.getDecidedAtMs())) {
          AggregationPlan plan = plans.planFor(r);
          if (plan != null) {
            emitAll(r, plan);
          } else {
            rounds.waitForHierarchy(r); // sent when its hierarchy version arrives
          }
        }
      }
    } else if (record.value() instanceof AggregationInput in && in.getUpdate() != null) {
      accept(new Received(in.getUpdate(), in.getSource(), record.timestamp()));
    }
  }

  /** An update read, where it came from, and its timestamp (when it was sent). */
  private record Received(ModelUpdate update, SourceRecord source, long timestamp) {}

  private void accept(Received in) {
    ModelUpdate u = in.update();
    SourceRecord source = in.source();
    String agent = u.getAgentId();
    int round = u.getRound();
    int home = AggregationPlan.homePartition(agent, partitions);
    if (home != partition) {
      refuse(
          in,
          DeadLetterReason.WRONG_PARTITION,
          "agent %s's updates belong on partition %d (its key's hash, as Kafka's default"
              + " partitioner places them), not %d",
          agent,
          home,
          partition);
      return;
    }
    int last = counts.last(agent);
    if (round <= last) {
      CountedUpdate before = counts.get(round, agent);
      if (before == null) {
        refuse(
            in,
            DeadLetterReason.ROUND_OUT_OF_RANGE,
            "round %d of agent %s was counted more than %d rounds ago",
            round,
            agent,
            RETAINED_ROUNDS);
      } else if (!Arrays.equals(
          log().digestAt(partition, before.offset(), agent, decoder, updateTopic),
          UpdateChecks.digest(u))) {
        refuse(
            in,
            DeadLetterReason.CONFLICTING_DUPLICATE,
            "agent %s already has a different update for round %d; the first one counts",
            agent,
            round);
      }
      return; // the same update sent again counts once
    }
    if (!checks.followsOn(agent, last, round, rounds::closed)) {
      int index = experiment.agentIds().indexOf(agent);
      refuse(
          in,
          DeadLetterReason.ROUND_OUT_OF_RANGE,
          participation.takesPart(index, round)
              ? "round %d is ahead of agent %s's next round, %d (an agent may skip rounds only to"
                  + " catch up after a round the straggler policy closed without it)"
              : "round %d does not sample agent %s (--sample-fraction); its next round is %d",
          round,
          agent,
          participation.nextRound(index, last));
      return;
    }
    if (rounds.closed(round)) {
      counts.count(u, source.getOffset(), true);
      refuse(
          in,
          DeadLetterReason.LATE,
          "round %d closed without agent %s (straggler policy): recorded, not averaged",
          round,
          agent);
      return;
    }
    // the straggler timeout runs from when the round's first update was sent (its timestamp), not
    // from when this task happened to read it
    rounds.counted(round, in.timestamp());
    AggregationPlan plan = plans.planFor(round);
    counts.count(u, source.getOffset(), false); // marked added when its sum is written
    accepted.increment();
    if (plan == null) {
      rounds.waitForHierarchy(round);
      long size = u.getParameters().getValues().remaining();
      if (waitingBytes + size <= waitingBudget) {
        ModelUpdate before = waitingInMemory.put(source.getOffset(), u);
        waitingBytes +=
            size - (before == null ? 0 : before.getParameters().getValues().remaining());
      }
    } else {
      fold(round, plan, each -> each.accept(u));
    }
  }

  /** Reads back and adds the updates of every round whose hierarchy version has now arrived. */
  private void foldWaitingRounds() {
    for (int round : rounds.waitingForHierarchy()) {
      AggregationPlan plan = plans.planFor(round);
      if (plan == null) {
        continue;
      }
      rounds.hierarchyArrived(round);
      fold(round, plan, each -> readBack(round, each));
      if (rounds.closed(round)) {
        emitAll(round, plan);
      }
    }
  }

  /** Hands on the round's counted updates not yet added to a sum, read back from the log. */
  private void readBack(int round, Consumer<ModelUpdate> each) {
    readBack(counts.notAdded(round), each);
  }

  private void readBack(NavigableMap<Long, String> waiting, Consumer<ModelUpdate> each) {
    if (waiting.isEmpty()) {
      return;
    }
    List<ModelUpdate> held = new ArrayList<>(waiting.size());
    for (Map.Entry<Long, String> e : waiting.entrySet()) {
      ModelUpdate u = waitingInMemory.get(e.getKey());
      if (u == null || !u.getAgentId().equals(e.getValue())) {
        break;
      }
      held.add(u);
    }
    for (Long offset : waiting.keySet()) {
      ModelUpdate u = waitingInMemory.remove(offset);
      if (u != null) {
        waitingBytes -= u.getParameters().getValues().remaining();
      }
    }
    if (held.size() == waiting.size()) {
      held.forEach(each); // in offset order, as the log would hand them on
    } else {
      log().readCounted(partition, waiting, decoder, updateTopic, each);
    }
  }

  /**
   * After a start: adds again the updates that were added to sums kept in memory only (counted, not
   * marked added, in a round whose hierarchy version is known).
   */
  private void recover() {
    counts
        .notAddedByRound()
        .forEach(
            (round, waiting) -> {
              AggregationPlan plan = plans.planFor(round);
              if (plan != null) {
                fold(round, plan, each -> readBack(waiting, each));
              }
            });
  }

  private UpdateLog log() {
    if (log == null) {
      log = logs.open(updateTopic, context.appConfigs());
    }
    return log;
  }

  /** Adds counted updates to their groups' sums, and sends the groups this partition completed. */
  private void fold(int round, AggregationPlan plan, Consumer<Consumer<ModelUpdate>> updates) {
    TreeSet<String> touched = new TreeSet<>();
    updates.accept(
        u -> {
          String agent = u.getAgentId();
          String group = plan.parentOf(agent);
          sums.adding(round, group, agent)
              .addAgent(
                  agent,
                  ParameterVectors.toFloats(u.getParameters()),
                  AggregationPlan.agentWeight(
                      experiment.settings().weighting(), u.getTrainSamples()),
                  u.getTrainSamples(),
                  u.getEvaluation());
          touched.add(group);
        });
    for (String group : touched) {
      RunningSum sum = sums.get(round, group);
      if (sum.agentCount() == plan.hostedBy(partition).get(group).size()) {
        emit(round, plan, group, sum);
      }
    }
  }

  /** Under the straggler policy, a closed round: every group's sum leaves with what it has. */
  private void emitAll(int round, AggregationPlan plan) {
    for (String group : plan.hostedBy(partition).keySet()) {
      if (!rounds.sent(round, group)) {
        emit(round, plan, group, sums.get(round, group));
      }
    }
  }

  private void emit(int round, AggregationPlan plan, String group, RunningSum sum) {
    GroupContribution c = sum.into(contribution(round, plan, group)).build();
    sums.remove(round, group);
    context.forward(new Record<>(roundKey(round, group), c, context.currentSystemTimeMs()));
    context.commit(); // the group's level reads it once committed: no need to wait for the interval
    if (rounds.markSent(round, group) == plan.hostedBy(partition).size()) {
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

  /** Forgets a round: its progress, its sums, and the versions no later round needs. */
  private void forget(int round) {
    if (round < 0) {
      return;
    }
    rounds.forget(round);
    sums.forgetUpTo(round);
    plans.forgetBefore(round + 1);
  }

  /**
   * Under a straggler policy: tells the round's decision how many agents this partition counted.
   */
  private void tally(long now) {
    for (RoundTally t : rounds.untold(partition)) {
      context.forward(new Record<>(String.format(Locale.ROOT, "%010d", t.getRound()), t, now));
      context.commit(); // the round's decision reads it once committed
    }
  }

  private void refuse(Received in, DeadLetterReason reason, String detail, Object... args) {
    ModelUpdate u = in.update();
    deadLetters.write(
        in.source(),
        reason,
        args.length == 0 ? detail : String.format(Locale.ROOT, detail, args),
        u.getAgentId().getBytes(StandardCharsets.UTF_8),
        encoder.serialize(in.source().getTopic(), u),
        in.timestamp());
  }
}
