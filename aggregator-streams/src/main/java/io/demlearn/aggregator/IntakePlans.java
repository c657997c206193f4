package io.demlearn.aggregator;

import io.demlearn.core.strategy.Strategy;
import io.demlearn.schemas.avro.HierarchyAssignment;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.TreeSet;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The hierarchy versions an intake task knows, kept in a changelogged store (by the round they take
 * effect from) for the retained rounds. Only the plans ({@link AggregationPlan}) of the last two
 * versions used are kept decoded: a task aggregates one round at a time, two across a change of
 * version; an older one is decoded again from the store in the rare case it is needed.
 */
final class IntakePlans {
  private static final int DECODED = 2;

  private final KeyValueStore<String, HierarchyAssignment> store;
  private final Strategy strategy;
  private final int partitions;
  private final TreeSet<Integer> effectiveRounds = new TreeSet<>();
  private final LinkedHashMap<Integer, AggregationPlan> decoded =
      new LinkedHashMap<>(4, 0.75f, true);

  IntakePlans(KeyValueStore<String, HierarchyAssignment> store, Strategy strategy, int partitions) {
    this.store = store;
    this.strategy = strategy;
    this.partitions = partitions;
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
    keep(h.getEffectiveFromRound(), new AggregationPlan(h, partitions));
  }

  private AggregationPlan keep(int effectiveRound, AggregationPlan plan) {
    decoded.put(effectiveRound, plan);
    if (decoded.size() > DECODED) {
      Iterator<Integer> eldest = decoded.keySet().iterator();
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
    AggregationPlan plan = decoded.get(from);
    return plan != null ? plan : keep(from, new AggregationPlan(store.get(key(from)), partitions));
  }

  /** Forgets the versions older than the one in force for {@code round}. */
  void forgetBefore(int round) {
    Integer keep = effectiveRounds.floor(round);
    while (keep != null && effectiveRounds.first() < keep) {
      int old = effectiveRounds.pollFirst();
      store.delete(key(old));
      decoded.remove(old);
    }
  }
}
