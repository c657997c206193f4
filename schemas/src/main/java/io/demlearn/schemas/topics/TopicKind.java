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
import org.apache.avro.specific.SpecificRecord;

/**
 * The topics every experiment has, named {@code demlearn.<experiment>.<suffix>}. Experiment logs
 * are kept forever (no time or size retention); the experiment spec and the hierarchy versions are
 * compacted topics whose keys are unique per record, so compaction only drops exact re-sends.
 */
public enum TopicKind {
  /** Key: experiment id. Value: its settings. Compacted, one partition. */
  EXPERIMENTS("experiments", ExperimentSpec.class, true, false),
  /** Key: agent id. Value: an agent's trained model for one round. */
  MODEL_UPDATES("model-updates", ModelUpdate.class, false, true),
  /** Key: group id. Value: a group's averaged model for one round. */
  GROUP_MODELS("group-models", GroupModel.class, false, true),
  /**
   * Key: hierarchy version, zero-padded to 10 digits. Value: that version. Compacted, one
   * partition.
   */
  HIERARCHY_ASSIGNMENTS("hierarchy-assignments", HierarchyAssignment.class, true, false),
  /** Key: experiment id. Value: one round's evaluation. One partition, so rounds stay in order. */
  METRICS("metrics", RoundMetrics.class, false, false),
  /** Key: source topic. Value: a refused record, its reason and its original bytes. */
  DEAD_LETTERS("dead-letters", DeadLetter.class, false, false),
  /**
   * The aggregator's, one topic per level ({@code aggregation-level-L}). Key: round (zero-padded to
   * 10 digits), '/', group id. Value: part of that group's sum.
   */
  AGGREGATION_LEVEL("aggregation-level", GroupContribution.class, false, true),
  /**
   * The aggregator's. Key: what it is about. Value: a hierarchy version or a round's close, sent to
   * every partition.
   */
  AGGREGATION_CONTROL("aggregation-control", AggregationControl.class, false, true),
  /** The aggregator's, under a straggler policy. Key: round. Value: an intake partition's count. */
  ROUND_TALLIES("round-tallies", RoundTally.class, false, true),
  /**
   * Key: agent id. Value: the clustering features (a random projection) of an agent's update for
   * one round, published next to it when the experiment clusters projections (else empty).
   */
  CLUSTERING_FEATURES("clustering-features", ClusteringFeatures.class, false, true),
  /**
   * Key: owner id (an agent's, or "clusterer"), '/', key id zero-padded to 10 digits. Value: a
   * public key that signs the owner's records from a round on. Compacted (every key id stays), one
   * partition; only in an experiment that signs, and only the operator writes it.
   */
  AGENT_KEYS("agent-keys", AgentKey.class, true, false);

  private final String suffix;
  private final Class<? extends SpecificRecord> valueType;
  private final boolean compacted;
  private final boolean partitioned;

  TopicKind(
      String suffix,
      Class<? extends SpecificRecord> valueType,
      boolean compacted,
      boolean partitioned) {
    this.suffix = suffix;
    this.valueType = valueType;
    this.compacted = compacted;
    this.partitioned = partitioned;
  }

  /** The last part of the topic name. */
  public String suffix() {
    return suffix;
  }

  public Class<? extends SpecificRecord> valueType() {
    return valueType;
  }

  /** Whether the topic is compacted (else it is an append-only log kept forever). */
  public boolean compacted() {
    return compacted;
  }

  /** Whether the topic takes the experiment's partition count (else it has one partition). */
  public boolean partitioned() {
    return partitioned;
  }
}
