package io.demlearn.schemas.topics;

import io.demlearn.schemas.avro.AgentKey;
import io.demlearn.schemas.avro.AggregationControl;
import io.demlearn.schemas.avro.ClusteringFeatures;
import io.demlearn.schemas.avro.DeadLetter;
import io.demlearn.schemas.avro.ExperimentSpec;
import io.demlearn.schemas.avro.GroupContribution;
import io.demlearn.schemas.avro.GroupModel;
import io.demlearn.schemas.avro.HierarchyAssignment;
import io.demlearn.schemas.avro.ModelUpdate;
import io.demlearn.schemas.avro.RoundMetrics;
import io.demlearn.schemas.avro.RoundTally;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.avro.specific.SpecificRecord;

/**
 * The typed registry of one experiment's topics: names ({@code demlearn.<experiment>.<name>}), key
 * and value types, and how each topic is created.
 *
 * @param experimentId the experiment's id: letters, digits, '-' and '_' only
 * @param partitions partitions of the model-update and group-model topics (the unit of scaling)
 * @param replication replicas of every topic and how many must be in sync
 * @param maxMessageBytes largest record a topic accepts (a CNN update is about 3.3 MB)
 */
public record ExperimentTopics(
    String experimentId, int partitions, Replication replication, int maxMessageBytes) {
  public static final String PREFIX = "demlearn.";
  public static final int DEFAULT_PARTITIONS = 6;
  public static final int DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
  private static final Pattern VALID_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,199}");

  public ExperimentTopics {
    checkId(experimentId);
    if (partitions < 1) {
      throw new IllegalArgumentException("partitions must be >= 1, got " + partitions);
    }
    if (replication == null) {
      throw new IllegalArgumentException("replication must be given");
    }
    if (maxMessageBytes < 1024 * 1024) {
      throw new IllegalArgumentException(
          "max message bytes must be at least 1 MiB, got " + maxMessageBytes);
    }
  }

  /**
   * Refuses an experiment id that cannot be part of topic names.
   *
   * @throws IllegalArgumentException saying what an id may hold
   */
  public static void checkId(String experimentId) {
    if (experimentId == null || !VALID_ID.matcher(experimentId).matches()) {
      throw new IllegalArgumentException(
          "experiment id '"
              + experimentId
              + "' is not valid: use 1-200 letters, digits, '-' or '_',"
              + " starting with a letter or digit (it becomes part of topic names)");
    }
  }

  /** The defaults: 6 partitions, the brokers' default replication, 16 MiB records. */
  public static ExperimentTopics of(String experimentId) {
    return new ExperimentTopics(
        experimentId, DEFAULT_PARTITIONS, Replication.CLUSTER_DEFAULT, DEFAULT_MAX_MESSAGE_BYTES);
  }

  /** The same topics, replicated as given. */
  public ExperimentTopics withReplication(Replication r) {
    return new ExperimentTopics(experimentId, partitions, r, maxMessageBytes);
  }

  public Topic<ExperimentSpec> experiments() {
    return topic(TopicKind.EXPERIMENTS, ExperimentSpec.class);
  }

  public Topic<ModelUpdate> modelUpdates() {
    return topic(TopicKind.MODEL_UPDATES, ModelUpdate.class);
  }

  public Topic<ClusteringFeatures> clusteringFeatures() {
    return topic(TopicKind.CLUSTERING_FEATURES, ClusteringFeatures.class);
  }

  public Topic<GroupModel> groupModels() {
    return topic(TopicKind.GROUP_MODELS, GroupModel.class);
  }

  public Topic<HierarchyAssignment> hierarchyAssignments() {
    return topic(TopicKind.HIERARCHY_ASSIGNMENTS, HierarchyAssignment.class);
  }

  public Topic<RoundMetrics> metrics() {
    return topic(TopicKind.METRICS, RoundMetrics.class);
  }

  public Topic<DeadLetter> deadLetters() {
    return topic(TopicKind.DEAD_LETTERS, DeadLetter.class);
  }

  /** The public keys of a signed experiment's agents and clusterer. */
  public Topic<AgentKey> agentKeys() {
    return topic(TopicKind.AGENT_KEYS, AgentKey.class);
  }

  /** The key of a public key on the agent-keys topic: owner, '/', key id (zero-padded). */
  public static String agentKeyKey(String ownerId, int keyId) {
    return ownerId + "/" + String.format("%010d", keyId);
  }

  /** The aggregator's topic for the contributions to groups at {@code level}. */
  public Topic<GroupContribution> aggregationLevel(int level) {
    if (level < 1) {
      throw new IllegalArgumentException("levels start at 1, got " + level);
    }
    return topic(
        TopicKind.AGGREGATION_LEVEL,
        GroupContribution.class,
        name(TopicKind.AGGREGATION_LEVEL) + "-" + level);
  }

  public Topic<AggregationControl> aggregationControl() {
    return topic(TopicKind.AGGREGATION_CONTROL, AggregationControl.class);
  }

  public Topic<RoundTally> roundTallies() {
    return topic(TopicKind.ROUND_TALLIES, RoundTally.class);
  }

  /**
   * The aggregator's own topics for a hierarchy whose root is at {@code topLevel}: the control
   * topic, the straggler tallies and one topic per level. Like the others they are part of the
   * experiment's log.
   */
  public List<Topic<? extends SpecificRecord>> aggregation(int topLevel) {
    List<Topic<? extends SpecificRecord>> out = new ArrayList<>();
    out.add(aggregationControl());
    out.add(roundTallies());
    for (int level = 1; level <= topLevel; level++) {
      out.add(aggregationLevel(level));
    }
    return out;
  }

  /** Every topic of the experiment but the aggregator's own, in {@link TopicKind} order. */
  public List<Topic<? extends SpecificRecord>> all() {
    return List.of(
        experiments(),
        modelUpdates(),
        groupModels(),
        hierarchyAssignments(),
        metrics(),
        deadLetters(),
        clusteringFeatures());
  }

  /** The full name of one topic. */
  public String name(TopicKind kind) {
    return PREFIX + experimentId + "." + kind.suffix();
  }

  /**
   * The key of a hierarchy version on its compacted topic (zero-padded so keys sort by version).
   */
  public static String hierarchyKey(int version) {
    return String.format("%010d", version);
  }

  private <V extends SpecificRecord> Topic<V> topic(TopicKind kind, Class<V> type) {
    return topic(kind, type, name(kind));
  }

  private <V extends SpecificRecord> Topic<V> topic(TopicKind kind, Class<V> type, String name) {
    if (kind.valueType() != type) {
      throw new IllegalStateException(kind + " carries " + kind.valueType().getSimpleName());
    }
    Map<String, String> configs = new HashMap<>();
    configs.put("cleanup.policy", kind.compacted() ? "compact" : "delete");
    configs.put("retention.ms", "-1");
    configs.put("retention.bytes", "-1");
    configs.put("max.message.bytes", Integer.toString(maxMessageBytes));
    if (replication.minInsyncReplicas() > 0) {
      configs.put("min.insync.replicas", Integer.toString(replication.minInsyncReplicas()));
    }
    TopicSpec spec =
        new TopicSpec(name, kind.partitioned() ? partitions : 1, replication.factor(), configs);
    return new Topic<>(kind, spec, type);
  }
}
