package io.demlearn.aggregator;

import io.demlearn.schemas.avro.RoundTally;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * What an intake task knows about each round, in its changelogged store: when its first counted
 * update was sent and how many it counted (and last told the round's decision), whether the
 * straggler policy closed it, whether it waits for its hierarchy version, and which groups' sums it
 * has sent.
 */
final class IntakeRounds {
  private static final StringSerializer STRINGS = new StringSerializer();

  private final KeyValueStore<String, Long> store;

  IntakeRounds(KeyValueStore<String, Long> store) {
    this.store = store;
  }

  boolean closed(int round) {
    return store.get("closed/" + round) != null;
  }

  /** Marks the round closed; false if it already was. */
  boolean close(int round, long decidedAtMs) {
    if (closed(round)) {
      return false;
    }
    store.put("closed/" + round, decidedAtMs);
    return true;
  }

  /** One more update counted in the round, sent at {@code timestamp}. */
  void counted(int round, long timestamp) {
    Long first = store.get("first/" + round);
    if (first == null || timestamp < first) {
      store.put("first/" + round, timestamp);
    }
    Long n = store.get("count/" + round);
    store.put("count/" + round, n == null ? 1 : n + 1);
  }

  /** The round waits for its hierarchy version (updates to read back, or a close to carry out). */
  void waitForHierarchy(int round) {
    store.put("waiting/" + round, 1L);
  }

  void hierarchyArrived(int round) {
    store.delete("waiting/" + round);
  }

  List<Integer> waitingForHierarchy() {
    List<Integer> out = new ArrayList<>();
    try (KeyValueIterator<String, Long> it = store.prefixScan("waiting/", STRINGS)) {
      it.forEachRemaining(kv -> out.add(Integer.parseInt(kv.key.substring("waiting/".length()))));
    }
    return out;
  }

  boolean sent(int round, String group) {
    return store.get("sent/" + AgentIntake.roundKey(round, group)) != null;
  }

  /** Marks a group's sum of the round sent; returns how many of the round's are. */
  long markSent(int round, String group) {
    store.put("sent/" + AgentIntake.roundKey(round, group), 1L);
    Long n = store.get("sent/" + round);
    long sent = n == null ? 1 : n + 1;
    store.put("sent/" + round, sent);
    return sent;
  }

  /**
   * Tallies of the open rounds whose count grew since the round's decision was last told, for
   * {@code partition}; marks them told.
   */
  List<RoundTally> untold(int partition) {
    List<RoundTally> out = new ArrayList<>();
    try (KeyValueIterator<String, Long> it = store.prefixScan("count/", STRINGS)) {
      while (it.hasNext()) {
        var kv = it.next();
        int round = Integer.parseInt(kv.key.substring("count/".length()));
        Long told = store.get("told/" + round);
        if (!closed(round) && (told == null || told < kv.value)) {
          out.add(
              RoundTally.newBuilder()
                  .setRound(round)
                  .setPartition(partition)
                  .setCounted(kv.value.intValue())
                  .setFirstCountedAtMs(store.get("first/" + round))
                  .build());
        }
      }
    }
    out.forEach(t -> store.put("told/" + t.getRound(), (long) t.getCounted()));
    return out;
  }

  /**
   * Forgets everything about a round but whether the straggler policy closed it: that decides, at
   * any later time, whether an agent catching up may skip to the round after it (one entry per
   * closed round, for the experiment's life).
   */
  void forget(int round) {
    String plain = Integer.toString(round);
    String keyed = String.format(Locale.ROOT, "%010d/", round);
    List<String> keys = new ArrayList<>();
    try (KeyValueIterator<String, Long> it = store.all()) {
      it.forEachRemaining(
          kv -> {
            String tail = kv.key.substring(kv.key.indexOf('/') + 1);
            if (!kv.key.startsWith("closed/") && (tail.equals(plain) || tail.startsWith(keyed))) {
              keys.add(kv.key);
            }
          });
    }
    keys.forEach(store::delete);
  }
}
