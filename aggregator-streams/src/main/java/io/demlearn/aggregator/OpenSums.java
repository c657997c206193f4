package io.demlearn.aggregator;

import io.demlearn.schemas.avro.GroupContribution;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The running sums of an intake task's open groups. The store holds each sum as last written, and
 * {@link IntakeCounts} marks the updates in it added; the most recently used sums are also kept
 * here, decoded, with the agents added since that write. A sum is written when {@link #flush} is
 * called (at intervals) or when it is pushed out of memory, never once per update: decoding and
 * encoding an exact sum costs many times adding an update to it. After a restart a stored sum lacks
 * the updates not marked added; the intake reads those back from the log.
 */
final class OpenSums {
  /** Sums kept decoded: a task adds to one group per round at a time, or to a few. */
  static final int KEPT = 8;

  private final KeyValueStore<String, GroupContribution> store;
  private final IntakeCounts counts;
  private final Supplier<RunningSum> empty;
  private final BiFunction<Integer, String, GroupContribution.Builder> template;
  private final LinkedHashMap<String, Open> kept = new LinkedHashMap<>(16, 0.75f, true);

  /** A sum kept decoded, and the agents added to it since it was last written. */
  private record Open(int round, String group, RunningSum sum, List<String> unwritten) {}

  /**
   * @param empty a new sum with nothing in it
   * @param template the contribution a sum of (round, group) is stored in
   */
  OpenSums(
      KeyValueStore<String, GroupContribution> store,
      IntakeCounts counts,
      Supplier<RunningSum> empty,
      BiFunction<Integer, String, GroupContribution.Builder> template) {
    this.store = store;
    this.counts = counts;
    this.empty = empty;
    this.template = template;
  }

  /** The group's sum of the round so far, with every update added to it. */
  RunningSum get(int round, String group) {
    return open(round, group).sum();
  }

  /**
   * The group's sum of the round, to which the caller adds the agent's update now; the update is
   * marked added when the sum is next written.
   */
  RunningSum adding(int round, String group, String agent) {
    Open o = open(round, group);
    o.unwritten().add(agent);
    return o.sum();
  }

  private Open open(int round, String group) {
    String key = AgentIntake.roundKey(round, group);
    Open o = kept.get(key);
    if (o == null) {
      RunningSum sum = empty.get();
      GroupContribution stored = store.get(key);
      if (stored != null) {
        sum.add(stored);
      }
      o = new Open(round, group, sum, new ArrayList<>());
      kept.put(key, o);
      if (kept.size() > KEPT) {
        Iterator<Open> eldest = kept.values().iterator();
        write(eldest.next());
        eldest.remove();
      }
    }
    return o;
  }

  /** Writes every sum added to since it was last written, and marks its updates added. */
  void flush() {
    kept.values().forEach(this::write);
  }

  private void write(Open o) {
    if (o.unwritten().isEmpty()) {
      return;
    }
    store.put(
        AgentIntake.roundKey(o.round(), o.group()),
        o.sum().into(template.apply(o.round(), o.group())).build());
    o.unwritten().forEach(agent -> counts.markAdded(o.round(), agent));
    o.unwritten().clear();
  }

  /** The group's sum has left: it is dropped, and every update in it marked added. */
  void remove(int round, String group) {
    String key = AgentIntake.roundKey(round, group);
    Open o = kept.remove(key);
    if (o != null) {
      o.unwritten().forEach(agent -> counts.markAdded(round, agent));
    }
    store.delete(key);
  }

  /** Drops what is kept of the rounds up to {@code round} (their groups have all been sent). */
  void forgetUpTo(int round) {
    kept.values().removeIf(o -> o.round() <= round);
  }
}
