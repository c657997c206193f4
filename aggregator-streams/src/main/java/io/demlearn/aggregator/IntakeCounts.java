package io.demlearn.aggregator;

import io.demlearn.schemas.avro.ModelUpdate;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The updates an intake task has counted, in a changelogged store with one entry per agent: its
 * last counted round, and its counted updates of the last {@value #RETAINED} rounds up to that one
 * (where each is in the log, and whether its group's stored sum holds it yet). Never the update
 * itself. One entry per agent, not one per update: an entry costs the store far more than the dozen
 * bytes of an offset.
 */
final class IntakeCounts {
  static final int RETAINED = AggregatorTopology.RETAINED_ROUNDS;

  private final KeyValueStore<String, byte[]> store;

  IntakeCounts(KeyValueStore<String, byte[]> store) {
    this.store = store;
  }

  /** An agent's entry: its last counted round and, by round, its retained counted updates. */
  record Agent(int last, TreeMap<Integer, CountedUpdate> rounds) {
    byte[] encode() {
      ByteBuffer b = ByteBuffer.allocate(4 + 13 * rounds.size()).putInt(last);
      rounds.forEach(
          (round, c) -> b.putInt(round).putLong(c.offset()).put((byte) (c.added() ? 1 : 0)));
      return b.array();
    }

    static Agent decode(byte[] bytes) {
      ByteBuffer b = ByteBuffer.wrap(bytes);
      int last = b.getInt();
      TreeMap<Integer, CountedUpdate> rounds = new TreeMap<>();
      while (b.hasRemaining()) {
        rounds.put(b.getInt(), new CountedUpdate(b.getLong(), b.get() == 1));
      }
      return new Agent(last, rounds);
    }
  }

  private Agent agent(String id) {
    byte[] bytes = store.get(id);
    return bytes == null ? new Agent(-1, new TreeMap<>()) : Agent.decode(bytes);
  }

  /** The agent's last counted round, -1 if none. */
  int last(String agent) {
    return agent(agent).last();
  }

  /** The agent's counted update for the round, or null if none is retained. */
  CountedUpdate get(int round, String agent) {
    return agent(agent).rounds().get(round);
  }

  /**
   * Counts an update at {@code offset} (its agent's new last round); {@code added}: it will never
   * be added to a sum. Forgets the agent's updates of rounds {@value #RETAINED} or more before it.
   */
  void count(ModelUpdate u, long offset, boolean added) {
    Agent a = agent(u.getAgentId());
    a.rounds().put(u.getRound(), new CountedUpdate(offset, added));
    a.rounds().headMap(u.getRound() - RETAINED, true).clear();
    store.put(u.getAgentId(), new Agent(u.getRound(), a.rounds()).encode());
  }

  /** The round's counted updates not yet in a stored sum: offset to agent. */
  NavigableMap<Long, String> notAdded(int round) {
    return notAddedByRound().getOrDefault(round, new TreeMap<>());
  }

  /** Every retained round's counted updates not yet in a stored sum: round to offset to agent. */
  NavigableMap<Integer, NavigableMap<Long, String>> notAddedByRound() {
    TreeMap<Integer, NavigableMap<Long, String>> out = new TreeMap<>();
    try (KeyValueIterator<String, byte[]> it = store.all()) {
      it.forEachRemaining(
          kv -> {
            for (Map.Entry<Integer, CountedUpdate> e : Agent.decode(kv.value).rounds().entrySet()) {
              if (!e.getValue().added()) {
                out.computeIfAbsent(e.getKey(), r -> new TreeMap<>())
                    .put(e.getValue().offset(), kv.key);
              }
            }
          });
    }
    return out;
  }

  /** The agent's update of the round is in its group's stored sum now. */
  void markAdded(int round, String agent) {
    Agent a = agent(agent);
    a.rounds().computeIfPresent(round, (r, c) -> c.asAdded());
    store.put(agent, a.encode());
  }
}
