package io.demlearn.pipeline.records;

import io.demlearn.schemas.avro.ClusteringFeatures;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The clustering features of an update as the {@code clustering-features} topic carries them:
 * little-endian float32, like parameter vectors.
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
    ByteBuffer bytes =
        ByteBuffer.allocate(features.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    bytes.asFloatBuffer().put(features);
    return ClusteringFeatures.newBuilder()
        .setExperimentId(experimentId)
        .setRound(round)
        .setHierarchyVersion(hierarchyVersion)
        .setAgentId(agentId)
        .setDimension(features.length)
        .setValues(bytes)
        .build();
  }

  /**
   * The values of a record whose byte length holds its dimension's floats (see {@link
   * io.demlearn.pipeline.checks.UpdateChecks#check(String, ClusteringFeatures)}).
   */
  public static float[] values(ClusteringFeatures f) {
    float[] out = new float[f.getDimension()];
    f.getValues().duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
    return out;
  }
}
