package io.demlearn.pipeline.records;

import io.demlearn.schemas.ParameterVectors;
import io.demlearn.schemas.avro.ClusteringFeatures;

/**
 * The clustering features of an update as the {@code clustering-features} topic carries them:
 * float32 values encoded as parameter vectors' are ({@link ParameterVectors#bytes}).
 */
public final class Features {
  private Features() {}

  /**
   * The features of an agent's update for a round (its projection, worked out by the caller).
   *
   * @param hierarchyVersion the version the update was trained under (-1: none yet)
   */
  public static ClusteringFeatures of(
      String experimentId, String agentId, int round, int hierarchyVersion, float[] features) {
    return ClusteringFeatures.newBuilder()
        .setExperimentId(experimentId)
        .setRound(round)
        .setHierarchyVersion(hierarchyVersion)
        .setAgentId(agentId)
        .setDimension(features.length)
        .setValues(ParameterVectors.bytes(features))
        .build();
  }

  /**
   * The values of a record whose byte length holds its dimension's floats (see {@link
   * io.demlearn.pipeline.checks.UpdateChecks#check(String, ClusteringFeatures)}).
   */
  public static float[] values(ClusteringFeatures f) {
    return ParameterVectors.floats(f.getValues(), f.getDimension(), new float[f.getDimension()]);
  }
}
