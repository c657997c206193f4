package io.demlearn.aggregator;

import io.demlearn.core.aggregate.Weighting;
import io.demlearn.core.strategy.HierarchyVersion;
import io.demlearn.pipeline.records.Hierarchies;
import io.demlearn.schemas.avro.GroupNode;
import io.demlearn.schemas.avro.HierarchyAssignment;
import io.demlearn.schemas.avro.RouteStep;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;
import org.apache.kafka.common.utils.Utils;

/**
 * How one hierarchy version aggregates a round over {@code partitions} intake partitions: which
 * partition hosts each agent (the one its key hashes to, as Kafka's default partitioner places it),
 * which group each agent hangs under, and each group's route to the root with the contributions
 * that complete every group on it (one per intake partition hosting any of the group's direct
 * agents that train in the round, one per child group with any such agent below it). With every
 * agent training, one plan serves every round of the version. Immutable.
 */
final class AggregationPlan {
  private final HierarchyVersion version;
  private final int partitions;
  private final Map<String, String> parentOfAgent = new HashMap<>();
  private final Map<String, List<RouteStep>> routes = new HashMap<>();

  /** Per partition: group id -> its direct agents hosted there, sorted. */
  private final Map<Integer, Map<String, TreeSet<String>>> hosted = new HashMap<>();

  /**
   * @param trains whether an agent trains in the round (every agent, or the round's sample)
   */
  AggregationPlan(HierarchyAssignment h, int partitions, Predicate<String> trains) {
    this.version = Hierarchies.fromRecord(h);
    this.partitions = partitions;
    Map<String, GroupNode> groups = new HashMap<>();
    Set<String> training = new HashSet<>();
    for (GroupNode g : h.getGroups()) {
      groups.put(g.getGroupId(), g);
    }
    for (GroupNode g : h.getGroups()) {
      for (String a : g.getAgentIds()) {
        parentOfAgent.put(a, g.getGroupId());
        if (trains.test(a)) {
          hosted
              .computeIfAbsent(homePartition(a, partitions), p -> new TreeMap<>())
              .computeIfAbsent(g.getGroupId(), k -> new TreeSet<>())
              .add(a);
          // the group and every ancestor has an agent training below it
          for (GroupNode s = g;
              s != null && training.add(s.getGroupId());
              s = s.getParentId() == null ? null : groups.get(s.getParentId())) {}
        }
      }
    }
    for (GroupNode g : h.getGroups()) {
      List<RouteStep> route = new ArrayList<>();
      for (GroupNode s = g;
          s != null;
          s = s.getParentId() == null ? null : groups.get(s.getParentId())) {
        route.add(
            RouteStep.newBuilder()
                .setGroupId(s.getGroupId())
                .setLevel(s.getLevel())
                .setExpectedContributions(
                    hostingPartitions(s)
                        + (int) s.getChildGroupIds().stream().filter(training::contains).count())
                .setExpectedMembers(s.getAgentIds().size() + s.getChildGroupIds().size())
                .build());
      }
      routes.put(g.getGroupId(), List.copyOf(route));
    }
  }

  /** The partition Kafka's default partitioner gives a record keyed by {@code agentId}. */
  static int homePartition(String agentId, int partitions) {
    return Utils.toPositive(Utils.murmur2(agentId.getBytes(StandardCharsets.UTF_8))) % partitions;
  }

  private int hostingPartitions(GroupNode g) {
    int n = 0;
    for (int p = 0; p < partitions; p++) {
      if (hosted.getOrDefault(p, Map.of()).containsKey(g.getGroupId())) {
        n++;
      }
    }
    return n;
  }

  HierarchyVersion version() {
    return version;
  }

  /** The group {@code agentId} hangs under, or null if the hierarchy does not name it. */
  String parentOf(String agentId) {
    return parentOfAgent.get(agentId);
  }

  /** The route from {@code groupId} to the root. */
  List<RouteStep> route(String groupId) {
    return routes.get(groupId);
  }

  /** Group id -> its direct agents that {@code partition} hosts, for every such group. */
  Map<String, TreeSet<String>> hostedBy(int partition) {
    return hosted.getOrDefault(partition, new TreeMap<>());
  }

  /** An agent's weight in its group's mean. */
  static long agentWeight(Weighting weighting, int trainSamples) {
    return weighting.agentWeight(trainSamples);
  }

  /** A child group's weight in its parent's mean: the agents (or samples) averaged into it. */
  static long groupWeight(Weighting weighting, int agentCount, long sampleCount) {
    return weighting == Weighting.AGENTS ? agentCount : sampleCount;
  }
}
