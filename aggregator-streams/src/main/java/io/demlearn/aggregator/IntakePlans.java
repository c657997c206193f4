package io.demlearn.aggregator;

import io.demlearn.core.strategy.HierarchyVersion;
import io.demlearn.core.strategy.Strategy;
import io.demlearn.schemas.avro.HierarchyAssignment;
import java.util.Locale;
import java.util.TreeMap;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The hierarchy versions an intake task knows, each as its {@link AggregationPlan}, kept in a
 * changelogged store (by the round they take effect from) and read back at start.
 */
final class IntakePlans {
  private final KeyValueStore<String, HierarchyAssignment> store;
  private final Strategy strategy;
  private final int partitions;
  private final TreeMap<Integer, AggregationPlan> plans = new TreeMap<>();

  IntakePlans(KeyValueStore<String, HierarchyAssignment> store, Strategy strategy, int partitions) {
    this.store = store;
    this.strategy = strategy;
    this.partitions = partitions;
    try (KeyValueIterator<String, HierarchyAssignment> it = store.all()) {
      it.forEachRemaining(kv -> remember(kv.value));
    }
  }

  private static String key(int round) {
    return String.format(Locale.ROOT, "%010d", round);
  }

  private void remember(HierarchyAssignment h) {
    plans.put(h.getEffectiveFromRound(), new AggregationPlan(h, partitions));
  }

  /** A version the aggregator accepted. */
  void add(HierarchyAssignment h) {
    store.put(key(h.getEffectiveFromRound()), h);
    remember(h);
  }

  /** The plan of the version that aggregates {@code round}, or null if it is not known yet. */
  AggregationPlan planFor(int round) {
    TreeMap<Integer, HierarchyVersion> versions = new TreeMap<>();
    plans.forEach((r, p) -> versions.put(r, p.version()));
    HierarchyVersion hv = strategy.versionFor(round, versions);
    return hv == null ? null : plans.get(hv.effectiveFromRound());
  }

  /** Forgets the versions older than the one in force for {@code round}. */
  void forgetBefore(int round) {
    Integer keep = plans.floorKey(round);
    while (keep != null && plans.firstKey() < keep) {
      store.delete(key(plans.pollFirstEntry().getKey()));
    }
  }
}
