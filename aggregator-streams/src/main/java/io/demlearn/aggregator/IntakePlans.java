package io.demlearn.aggregator;

import io.demlearn.core.experiment.Participation;
import io.demlearn.core.strategy.Strategy;
import io.demlearn.pipeline.records.Experiment;
import io.demlearn.schemas.avro.HierarchyAssignment;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The hierarchy versions an intake task knows, kept in a changelogged store (by the round they take
 * effect from) for the retained rounds. Only the last few plans ({@link AggregationPlan}) used are
 * kept decoded: a task aggregates one round at a time, two across a change of version; an older one
 * is decoded again from the store in the rare case it is needed. Under {@code --sample-fraction} a
 * plan holds one round's sample, so plans are kept by version and round.
 */
final class IntakePlans {
  private static final int DECODED = 4;

  private final KeyValueStore<String, HierarchyAssignment> store;
  private final Strategy strategy;
  private final int partitions;
  private final Participation participation;
  private final Map<String, Integer> indexOf = new HashMap<>();
  private final TreeSet<Integer> effectiveRounds = new TreeSet<>();

  /** By the version's effective round, or with a sample also by round ({@link #planFor}). */
  private final LinkedHashMap<Long, AggregationPlan> decoded = new LinkedHashMap<>(4, 0.75f, true);

  IntakePlans(
      KeyValueStore<String, HierarchyAssignment> store, Experiment experiment, int partitions) {
    this.store = store;
    this.strategy = experiment.settings().strategy();
    this.partitions = partitions;
    this.participation = experiment.settings().participation();
    for (int i = 0; i < experiment.agentIds().size(); i++) {
      indexOf.put(experiment.agentIds().get(i), i);
    }
    try (KeyValueIterator<String, HierarchyAssignment> it = store.all()) {
      it.forEachRemaining(kv -> effectiveRounds.add(kv.value.getEffectiveFromRound()));
    }
  }

  private static String key(int round) {
    return String.format(Locale.ROOT, "%010d", round);
  }

  /** A version the aggregator accepted. */
  void add(HierarchyAssignment h) {
    store.put(key(h.getEffectiveFromRound()), h);
    effectiveRounds.add(h.getEffectiveFromRound());
    if (participation.everyone()) {
      keep((long) h.getEffectiveFromRound(), new AggregationPlan(h, partitions, a -> true));
    }
  }

  private AggregationPlan keep(long key, AggregationPlan plan) {
    decoded.put(key, plan);
    if (decoded.size() > DECODED) {
      Iterator<Long> eldest = decoded.keySet().iterator();
      eldest.next();
      eldest.remove();
    }
    return plan;
  }

  /** The plan of the version that aggregates {@code round}, or null if it is not known yet. */
  AggregationPlan planFor(int round) {
    Integer from = strategy.effectiveRoundFor(round, effectiveRounds);
    if (from == null) {
      return null;
    }
    if (participation.everyone()) {
      AggregationPlan plan = decoded.get((long) from);
      return plan != null
          ? plan
          : keep(from, new AggregationPlan(store.get(key(from)), partitions, a -> true));
    }
    long key = ((long) from << 32) | round;
    AggregationPlan plan = decoded.get(key);
    return plan != null
        ? plan
        : keep(
            key,
            new AggregationPlan(
                store.get(key(from)),
                partitions,
                a -> participation.takesPart(indexOf.get(a), round)));
  }

  /** Forgets the versions older than the one in force for {@code round}. */
  void forgetBefore(int round) {
    Integer keep = effectiveRounds.floor(round);
    while (keep != null && effectiveRounds.first() < keep) {
      int old = effectiveRounds.pollFirst();
      store.delete(key(old));
      decoded.remove((long) old);
    }
  }
}
