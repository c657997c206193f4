package io.demlearn.aggregator;

import io.demlearn.core.strategy.HierarchyVersion;
import io.demlearn.core.strategy.Strategy;
import io.demlearn.pipeline.checks.HierarchyChecks;
import io.demlearn.pipeline.checks.UpdateChecks;
import io.demlearn.pipeline.records.Experiment;
import io.demlearn.pipeline.records.GroupModels;
import io.demlearn.pipeline.records.Hierarchies;
import io.demlearn.schemas.avro.AggregationInput;
import io.demlearn.schemas.avro.DeadLetter;
import io.demlearn.schemas.avro.DeadLetterReason;
import io.demlearn.schemas.avro.GroupModel;
import io.demlearn.schemas.avro.HierarchyAssignment;
import io.demlearn.schemas.avro.ModelUpdate;
import io.demlearn.schemas.avro.SourceRecord;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes rounds in order. Round r closes when its hierarchy version is known and every agent it
 * names has reported, or, under a straggler policy, when the policy's timeout has passed since the
 * round's first update and a quorum of the agents has reported. Then every group model of the round
 * is computed bottom-up from the updates present, in the hierarchy's fixed summation order (so the
 * result does not depend on arrival order), and emitted.
 *
 * <p>An agent's updates count in round order ({@link UpdateChecks#followsOn}), the first one per
 * round. A second update for a counted round is dropped if it is the same update sent again (at
 * least once delivery, a restarted worker) and refused as {@code CONFLICTING_DUPLICATE} if it
 * differs; an update that skips rounds is refused as {@code ROUND_OUT_OF_RANGE}; one that arrives
 * after its round closed without it is recorded as {@code LATE} and not averaged. Refusals leave as
 * {@link DeadLetter}s. State: the updates of rounds not closed, each agent's last counted round,
 * digests of the updates of the last {@value #RETAINED_ROUNDS} closed rounds (to tell a re-send
 * from a conflict), the hierarchy versions and the next round to close; all changelogged.
 */
final class RoundAggregator implements Processor<String, AggregationInput, String, SpecificRecord> {
  private static final Logger LOG = LoggerFactory.getLogger(RoundAggregator.class);
  private static final int RETAINED_ROUNDS = AggregatorTopology.RETAINED_ROUNDS;
  private static final String NEXT_ROUND = "next-round";
  private static final String OPENED_AT = "opened-at";
  private static final String LAST_ROUND = "last-round/";

  private final Experiment experiment;
  private final Strategy strategy;
  private final Serializer<ModelUpdate> updateBytes;
  private ProcessorContext<String, SpecificRecord> context;
  private DeadLetterOut deadLetters;
  private KeyValueStore<String, ModelUpdate> pending;
  private KeyValueStore<String, HierarchyAssignment> hierarchyStore;
  private KeyValueStore<String, Long> progress;
  private KeyValueStore<String, byte[]> digests;
  private final TreeMap<Integer, HierarchyVersion> versions = new TreeMap<>();
  private final Map<Integer, List<String>> agentIdsByEffectiveRound = new HashMap<>();
  private int nextRound;

  /**
   * @param updateBytes writes an update back to bytes, for the dead letter of one refused after
   *     decoding
   */
  RoundAggregator(Experiment experiment, Serializer<ModelUpdate> updateBytes) {
    this.experiment = experiment;
    this.strategy = experiment.settings().strategy();
    this.updateBytes = updateBytes;
  }

  static String roundKey(int round, String agentId) {
    return String.format(Locale.ROOT, "%010d/%s", round, agentId);
  }

  @Override
  public void init(ProcessorContext<String, SpecificRecord> context) {
    this.context = context;
    this.deadLetters = new DeadLetterOut(experiment.id(), context);
    this.pending = context.getStateStore(AggregatorTopology.PENDING_STORE);
    this.hierarchyStore = context.getStateStore(AggregatorTopology.HIERARCHY_STORE);
    this.progress = context.getStateStore(AggregatorTopology.PROGRESS_STORE);
    this.digests = context.getStateStore(AggregatorTopology.DIGEST_STORE);
    Long next = progress.get(NEXT_ROUND);
    nextRound = next == null ? 0 : next.intValue();
    try (KeyValueIterator<String, HierarchyAssignment> it = hierarchyStore.all()) {
      while (it.hasNext()) {
        remember(it.next().value);
      }
    }
    if (experiment.closesEarly()) {
      long every = Math.max(10, Math.min(200, experiment.policy().getStragglerTimeoutMs() / 4));
      context.schedule(
          Duration.ofMillis(every), PunctuationType.WALL_CLOCK_TIME, now -> closeRounds(now));
    }
  }

  private void remember(HierarchyAssignment h) {
    remember(h, Hierarchies.fromRecord(h));
  }

  private void remember(HierarchyAssignment h, HierarchyVersion hv) {
    versions.put(hv.effectiveFromRound(), hv);
    agentIdsByEffectiveRound.put(hv.effectiveFromRound(), List.copyOf(h.getAgentIds()));
  }

  @Override
  public void process(Record<String, AggregationInput> record) {
    AggregationInput in = record.value();
    if (in.getHierarchy() != null) {
      HierarchyAssignment h = in.getHierarchy();
      HierarchyVersion known = versions.get(h.getEffectiveFromRound());
      HierarchyVersion hv = Hierarchies.fromRecord(h);
      if (HierarchyChecks.conflicts(known, hv)) {
        deadLetters.write(
            in.getSource(),
            DeadLetterReason.CONFLICTING_DUPLICATE,
            String.format(
                Locale.ROOT,
                "hierarchy version %d for round %d differs from version %d, read first for"
                    + " that round; the first one counts",
                h.getVersion(),
                h.getEffectiveFromRound(),
                known.version()),
            record.key() == null ? null : record.key().getBytes(StandardCharsets.UTF_8),
            null,
            record.timestamp());
      } else {
        hierarchyStore.put(String.format(Locale.ROOT, "%010d", h.getEffectiveFromRound()), h);
        remember(h, hv);
      }
    }
    if (in.getUpdate() != null) {
      accept(in.getUpdate(), in.getSource(), record.timestamp());
    }
    closeRounds(context.currentSystemTimeMs());
  }

  private void accept(ModelUpdate u, SourceRecord source, long timestamp) {
    String agent = u.getAgentId();
    int round = u.getRound();
    String key = roundKey(round, agent);
    Long counted = progress.get(LAST_ROUND + agent);
    int last = counted == null ? -1 : counted.intValue();
    if (round <= last) {
      ModelUpdate open = pending.get(key);
      byte[] recorded = open != null ? UpdateChecks.digest(open) : digests.get(key);
      if (recorded == null) {
        refuse(
            u,
            source,
            timestamp,
            DeadLetterReason.ROUND_OUT_OF_RANGE,
            String.format(
                Locale.ROOT,
                "round %d of agent %s was counted more than %d rounds ago (the aggregator is at"
                    + " round %d)",
                round,
                agent,
                RETAINED_ROUNDS,
                nextRound));
      } else if (Arrays.equals(recorded, UpdateChecks.digest(u))) {
        LOG.debug("update of {} for round {} sent again: counted once", agent, round);
      } else {
        refuse(
            u,
            source,
            timestamp,
            DeadLetterReason.CONFLICTING_DUPLICATE,
            String.format(
                Locale.ROOT,
                "agent %s already has a different update for round %d; the first one counts",
                agent,
                round));
      }
      return;
    }
    if (!UpdateChecks.followsOn(last, round)) {
      refuse(
          u,
          source,
          timestamp,
          DeadLetterReason.ROUND_OUT_OF_RANGE,
          "round " + round + " is ahead of agent " + agent + "'s next round, " + (last + 1));
      return;
    }
    progress.put(LAST_ROUND + agent, (long) round);
    if (round < nextRound) {
      if (round >= nextRound - RETAINED_ROUNDS) {
        digests.put(key, UpdateChecks.digest(u));
      }
      refuse(
          u,
          source,
          timestamp,
          DeadLetterReason.LATE,
          String.format(
              Locale.ROOT,
              "round %d closed without agent %s (straggler policy): recorded, not averaged",
              round,
              agent));
      return;
    }
    pending.put(key, u);
    if (round == nextRound && progress.get(OPENED_AT) == null) {
      progress.put(OPENED_AT, context.currentSystemTimeMs());
    }
  }

  private void refuse(
      ModelUpdate u, SourceRecord source, long timestamp, DeadLetterReason reason, String detail) {
    byte[] key = u.getAgentId().getBytes(StandardCharsets.UTF_8);
    deadLetters.write(
        source, reason, detail, key, updateBytes.serialize(source.getTopic(), u), timestamp);
  }

  private void closeRounds(long now) {
    int before = nextRound;
    closeReadyRounds(now);
    if (nextRound > before) {
      forgetOldVersions();
    }
  }

  private void closeReadyRounds(long now) {
    while (nextRound < experiment.settings().rounds()) {
      HierarchyVersion hv = strategy.versionFor(nextRound, versions);
      if (hv == null) {
        return;
      }
      List<String> agentIds = agentIdsByEffectiveRound.get(hv.effectiveFromRound());
      List<ModelUpdate> updates = new ArrayList<>(agentIds.size());
      int present = 0;
      for (String id : agentIds) {
        ModelUpdate u = pending.get(roundKey(nextRound, id));
        updates.add(u);
        present += u == null ? 0 : 1;
      }
      if (present < agentIds.size() && !closesEarly(now, present, agentIds.size())) {
        return;
      }
      emit(nextRound, hv, agentIds, updates, now);
      for (int a = 0; a < agentIds.size(); a++) {
        String key = roundKey(nextRound, agentIds.get(a));
        if (updates.get(a) != null) {
          digests.put(key, UpdateChecks.digest(updates.get(a)));
          pending.delete(key);
        }
      }
      forgetDigests(nextRound - RETAINED_ROUNDS);
      nextRound++;
      progress.put(NEXT_ROUND, (long) nextRound);
      progress.delete(OPENED_AT);
      if (anyPending(nextRound)) {
        progress.put(OPENED_AT, now);
      }
    }
  }

  private boolean closesEarly(long now, int present, int expected) {
    if (!experiment.closesEarly() || present < experiment.quorumOf(expected)) {
      return false;
    }
    Long opened = progress.get(OPENED_AT);
    return opened != null && now - opened >= experiment.policy().getStragglerTimeoutMs();
  }

  private boolean anyPending(int round) {
    return !keysOfRound(pending, round).isEmpty();
  }

  private void forgetDigests(int round) {
    if (round >= 0) {
      keysOfRound(digests, round).forEach(digests::delete);
    }
  }

  /** The keys of one round's entries in a store keyed by {@link #roundKey}. */
  private static List<String> keysOfRound(KeyValueStore<String, ?> store, int round) {
    List<String> keys = new ArrayList<>();
    try (KeyValueIterator<String, ?> it =
        store.prefixScan(String.format(Locale.ROOT, "%010d/", round), new StringSerializer())) {
      it.forEachRemaining(kv -> keys.add(kv.key));
    }
    return keys;
  }

  /** Versions older than the one in force for the next round to close are no longer needed. */
  private void forgetOldVersions() {
    Integer keep = versions.floorKey(nextRound);
    while (keep != null && !versions.isEmpty() && versions.firstKey() < keep) {
      int old = versions.pollFirstEntry().getKey();
      agentIdsByEffectiveRound.remove(old);
      hierarchyStore.delete(String.format(Locale.ROOT, "%010d", old));
    }
  }

  private void emit(
      int round, HierarchyVersion hv, List<String> agentIds, List<ModelUpdate> updates, long now) {
    List<GroupModel> groups = GroupModels.of(experiment, round, hv, agentIds, updates, now);
    groups.forEach(g -> context.forward(new Record<>(g.getGroupId(), g, now)));
    int absent = 0;
    for (ModelUpdate u : updates) {
      absent += u == null ? 1 : 0;
    }
    if (absent > 0) {
      LOG.info(
          "round {} closed without {} of {} agents (straggler policy): {} group models",
          round,
          absent,
          updates.size(),
          groups.size());
    } else {
      LOG.debug(
          "round {} closed: {} group models under hierarchy version {}",
          round,
          groups.size(),
          hv.version());
    }
  }
}
