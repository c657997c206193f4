package io.demlearn.core.metrics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one round cost in communication, in bytes of the records written (key plus value, as the
 * broker stores them), by hop: the paper's question of what the hierarchy costs in traffic (RQ4).
 *
 * @param updates the agents' model updates of the round (agents up to the aggregation)
 * @param features the clustering features the hierarchy in force from this round was built from
 *     (agents up to the clusterer); 0 when no new hierarchy starts this round
 * @param hierarchy the hierarchy version in force from this round (clusterer down to everyone); 0
 *     when none starts this round
 * @param sums per level 1..L: the contributions summed into that level's groups (partial sums of
 *     the agents' updates, and child groups' models, up)
 * @param groupModels per level 1..L: the round's group models of that level
 * @param toAgents what delivering every agent the group models on its path costs: each group
 *     model's size times the agents below it (a worker process reads a group model once for all its
 *     agents, so its own traffic is lower)
 */
public record RoundTraffic(
    long updates,
    long features,
    long hierarchy,
    List<Long> sums,
    List<Long> groupModels,
    long toAgents) {

  public RoundTraffic {
    sums = List.copyOf(sums);
    groupModels = List.copyOf(groupModels);
  }

  /** Bytes written to topics in the round: every hop but the delivery to agents. */
  public long written() {
    long total = updates + features + hierarchy;
    for (long s : sums) {
      total += s;
    }
    for (long g : groupModels) {
      total += g;
    }
    return total;
  }

  /**
   * The JSON object of {@code metrics.jsonl}: {@code updates}, {@code features}, {@code hierarchy},
   * {@code sums} and {@code groupModels} (arrays by level), {@code toAgents}, {@code written}.
   */
  public Map<String, Object> json() {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("updates", updates);
    o.put("features", features);
    o.put("hierarchy", hierarchy);
    o.put("sums", sums);
    o.put("groupModels", groupModels);
    o.put("toAgents", toAgents);
    o.put("written", written());
    return o;
  }

  /**
   * A flat map of the same figures, for records that hold a map of numbers: {@code sums-1}, {@code
   * groupModels-1}, ... per level.
   */
  public Map<String, Long> flat() {
    Map<String, Long> m = new LinkedHashMap<>();
    m.put("updates", updates);
    m.put("features", features);
    m.put("hierarchy", hierarchy);
    for (int i = 0; i < sums.size(); i++) {
      m.put("sums-" + (i + 1), sums.get(i));
    }
    for (int i = 0; i < groupModels.size(); i++) {
      m.put("groupModels-" + (i + 1), groupModels.get(i));
    }
    m.put("toAgents", toAgents);
    return m;
  }

  /** The figures of {@link #flat()}, or null for an empty map (a record written before them). */
  public static RoundTraffic fromFlat(Map<String, Long> m) {
    if (m == null || m.isEmpty()) {
      return null;
    }
    return new RoundTraffic(
        m.getOrDefault("updates", 0L),
        m.getOrDefault("features", 0L),
        m.getOrDefault("hierarchy", 0L),
        byLevel(m, "sums-"),
        byLevel(m, "groupModels-"),
        m.getOrDefault("toAgents", 0L));
  }

  private static List<Long> byLevel(Map<String, Long> m, String prefix) {
    List<Long> out = new ArrayList<>();
    for (int level = 1; m.containsKey(prefix + level); level++) {
      out.add(m.get(prefix + level));
    }
    return out;
  }
}
