package io.demlearn.aggregator;

import io.demlearn.core.aggregate.ExactSum;
import io.demlearn.schemas.ParameterVectors;
import io.demlearn.schemas.avro.AgentEvaluation;
import io.demlearn.schemas.avro.GroupContribution;
import io.demlearn.schemas.avro.GroupState;
import io.demlearn.schemas.avro.ModelKind;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Part of a group's sum for one round, with what it holds: the exact weighted sum of the models
 * counted (kept as the single model while there is only one: a float32 vector is smaller than an
 * exact sum), their weights, agents and samples, the members and the agents' evaluations. The
 * intake makes one per group and partition; the level stage combines a group's contributions into
 * one. Mutable, not thread-safe.
 */
final class RunningSum {
  private final int dimension;
  private final ModelKind kind;
  private ExactSum sum;
  private float[] single;
  private long singleWeight;
  private long weight;
  private int agentCount;
  private long sampleCount;
  private int groupsBelow;
  private final TreeSet<String> agents = new TreeSet<>();
  private final TreeSet<String> groups = new TreeSet<>();
  private final TreeMap<String, AgentEvaluation> evaluations = new TreeMap<>();

  RunningSum(int dimension, ModelKind kind) {
    this.dimension = dimension;
    this.kind = kind;
  }

  /** An agent's model with its weight. */
  void addAgent(String agentId, float[] model, long w, int samples, AgentEvaluation evaluation) {
    addVector(model, w);
    agents.add(agentId);
    agentCount++;
    sampleCount += samples;
    if (evaluation != null) {
      evaluations.put(agentId, evaluation);
    }
  }

  /** A group's state as stored by the level stage. */
  void restore(GroupState state) {
    add(state.getCombined(), true);
    groups.addAll(state.getMemberGroups());
  }

  /** The state to store: this sum in a contribution shaped like {@code template}. */
  GroupState state(GroupContribution.Builder template, List<String> receivedFrom) {
    GroupContribution combined = into(template).setMemberIds(new ArrayList<>(agents)).build();
    return GroupState.newBuilder()
        .setCombined(combined)
        .setMemberGroups(new ArrayList<>(groups))
        .setReceivedFrom(receivedFrom)
        .build();
  }

  /** Another contribution to the same group: its payload and what it holds. */
  void add(GroupContribution c) {
    add(c, c.getFrom().startsWith(AgentIntake.PARTITION_PREFIX));
  }

  private void add(GroupContribution c, boolean membersAreAgents) {
    if (c.getVector() != null) {
      addVector(ParameterVectors.toFloats(c.getVector()), c.getWeight());
    } else if (c.getSum() != null) {
      exact().add(ExactSum.decode(bytes(c.getSum())));
      weight += c.getWeight();
    }
    agentCount += c.getAgentCount();
    sampleCount += c.getSampleCount();
    groupsBelow += c.getGroupsBelow();
    (membersAreAgents ? agents : groups).addAll(c.getMemberIds());
    evaluations.putAll(c.getMemberEvaluations());
  }

  private void addVector(float[] x, long w) {
    if (x.length != dimension) {
      throw new IllegalArgumentException(
          "a model of " + x.length + " values in a sum of " + dimension);
    }
    weight += w;
    if (sum == null && single == null) {
      single = x;
      singleWeight = w;
    } else {
      exact().add(x, w);
    }
  }

  private ExactSum exact() {
    if (sum == null) {
      sum = new ExactSum(dimension);
      if (single != null) {
        sum.add(single, singleWeight);
        single = null;
      }
    }
    return sum;
  }

  long weight() {
    return weight;
  }

  int agentCount() {
    return agentCount;
  }

  long sampleCount() {
    return sampleCount;
  }

  int groupsBelow() {
    return groupsBelow;
  }

  /** Members summed so far: agents sorted, then groups sorted. */
  List<String> memberIds() {
    List<String> out = new ArrayList<>(agents);
    out.addAll(groups);
    return out;
  }

  Map<String, AgentEvaluation> evaluations() {
    return evaluations;
  }

  /**
   * The mean times {@code amplify}, correctly rounded, or null if nothing with weight was counted.
   */
  float[] mean(double amplify) {
    if (weight <= 0) {
      return null;
    }
    if (sum == null) {
      ExactSum one = new ExactSum(dimension);
      one.add(single, singleWeight);
      return one.mean(amplify);
    }
    return sum.mean(amplify);
  }

  /** Writes the payload and what it holds into a contribution. */
  GroupContribution.Builder into(GroupContribution.Builder b) {
    b.setWeight(weight)
        .setAgentCount(agentCount)
        .setSampleCount(sampleCount)
        .setGroupsBelow(groupsBelow)
        .setMemberIds(memberIds())
        .setMemberEvaluations(new TreeMap<>(evaluations))
        .setVector(single == null ? null : ParameterVectors.of(kind, single))
        .setSum(sum == null ? null : ByteBuffer.wrap(sum.encode()));
    if (single != null && singleWeight != weight) {
      throw new IllegalStateException(
          "a single model with weight " + singleWeight + " of " + weight);
    }
    return b;
  }

  private static byte[] bytes(ByteBuffer b) {
    ByteBuffer d = b.duplicate();
    byte[] out = new byte[d.remaining()];
    d.get(out);
    return out;
  }
}
