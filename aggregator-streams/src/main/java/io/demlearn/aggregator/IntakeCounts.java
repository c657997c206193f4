package io.demlearn.aggregator;

import io.demlearn.schemas.avro.ModelUpdate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.NavigableMap;
import java.util.TreeMap;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The updates an intake task has counted, in its changelogged stores: per agent its last counted
 * round, and per counted update (of the rounds still retained) where it is in the log and whether
 * it was added to its group's sum yet. Never the update itself.
 */
final class IntakeCounts {
  private static final StringSerializer STRINGS = new StringSerializer();

  private final KeyValueStore<String, Long> agents;
  private final KeyValueStore<String, byte[]> counted;

  IntakeCounts(KeyValueStore<String, Long> agents, KeyValueStore<String, byte[]> counted) {
    this.agents = agents;
    this.counted = counted;
  }

  private static String prefix(int round) {
    return String.format(Locale.ROOT, "%010d/", round);
  }

  /** The agent's last counted round, -1 if none. */
  int last(String agent) {
    Long last = agents.get(agent);
    return last == null ? -1 : last.intValue();
  }

  /** The agent's counted update for the round, or null if none is retained. */
  CountedUpdate get(int round, String agent) {
    byte[] bytes = counted.get(prefix(round) + agent);
    return bytes == null ? null : CountedUpdate.decode(bytes);
  }

  /** Counts an update at {@code offset}; {@code added}: it goes into its group's sum at once. */
  void count(ModelUpdate u, long offset, boolean added) {
    agents.put(u.getAgentId(), (long) u.getRound());
    counted.put(prefix(u.getRound()) + u.getAgentId(), new CountedUpdate(offset, added).encode());
  }

  /** The round's counted updates not yet added to a sum: offset to agent. */
  NavigableMap<Long, String> notAdded(int round) {
    TreeMap<Long, String> out = new TreeMap<>();
    try (KeyValueIterator<String, byte[]> it = counted.prefixScan(prefix(round), STRINGS)) {
      it.forEachRemaining(
          kv -> {
            CountedUpdate c = CountedUpdate.decode(kv.value);
            if (!c.added()) {
              out.put(c.offset(), kv.key.substring(prefix(round).length()));
            }
          });
    }
    return out;
  }

  /** Every retained round's counted updates not yet added to a sum: round to offset to agent. */
  NavigableMap<Integer, NavigableMap<Long, String>> notAddedByRound() {
    TreeMap<Integer, NavigableMap<Long, String>> out = new TreeMap<>();
    try (KeyValueIterator<String, byte[]> it = counted.all()) {
      it.forEachRemaining(
          kv -> {
            CountedUpdate c = CountedUpdate.decode(kv.value);
            if (!c.added()) {
              int slash = kv.key.indexOf('/');
              out.computeIfAbsent(
                      Integer.parseInt(kv.key.substring(0, slash)), r -> new TreeMap<>())
                  .put(c.offset(), kv.key.substring(slash + 1));
            }
          });
    }
    return out;
  }

  void markAdded(int round, String agent) {
    counted.put(prefix(round) + agent, get(round, agent).asAdded().encode());
  }

  /** Forgets a round's counted updates (their agents' last rounds stay). */
  void forget(int round) {
    List<String> keys = new ArrayList<>();
    try (KeyValueIterator<String, byte[]> it = counted.prefixScan(prefix(round), STRINGS)) {
      it.forEachRemaining(kv -> keys.add(kv.key));
    }
    keys.forEach(counted::delete);
  }
}
