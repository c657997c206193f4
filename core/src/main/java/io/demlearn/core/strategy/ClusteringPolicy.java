package io.demlearn.core.strategy;

import io.demlearn.core.cluster.Agglomerative;
import io.demlearn.core.cluster.Dendrogram;
import io.demlearn.core.cluster.Linkage;
import io.demlearn.core.cluster.Metric;
import io.demlearn.core.cluster.RandomProjection;
import java.util.List;

/**
 * How agents are clustered: agglomerative clustering of their full flattened parameters (the
 * authors' "weight" features) with a distance and a linkage; the authors use Euclidean distance and
 * average linkage. For many agents the parameters can first be reduced by a seeded random
 * projection ({@link RandomProjection}) to {@code dims} dimensions; 0 keeps the full parameters.
 */
public record ClusteringPolicy(Metric metric, Linkage linkage, int dims, long seed) {
  public ClusteringPolicy {
    check(metric, linkage);
    if (dims < 0) {
      throw new IllegalArgumentException("projection dimensions must be >= 0, got " + dims);
    }
  }

  /** The full parameters, with exact distances. */
  public ClusteringPolicy(Metric metric, Linkage linkage) {
    this(metric, linkage, 0, 0);
  }

  /**
   * Refuses a linkage that cannot go with a metric: Ward's needs Euclidean distances.
   *
   * @throws IllegalArgumentException naming the options
   */
  public static void check(Metric metric, Linkage linkage) {
    if (linkage == Linkage.WARD && metric != Metric.EUCLIDEAN) {
      throw new IllegalArgumentException(
          "--linkage ward needs --metric euclidean (got --metric " + metric.label() + ")");
    }
  }

  public Dendrogram cluster(List<float[]> models) {
    return clusterFeatures(features(models));
  }

  /**
   * What is clustered of each model: the model itself, or its projection. A model's features do not
   * depend on the models it is worked out with, so they may be worked out as models arrive.
   */
  public List<float[]> features(List<float[]> models) {
    if (models.isEmpty() || !projects(models.get(0).length)) {
      return models;
    }
    return List.of(RandomProjection.project(models.toArray(new float[0][]), dims, seed));
  }

  /** Clusters models by their {@link #features}. */
  public Dendrogram clusterFeatures(List<float[]> features) {
    return Agglomerative.cluster(features.toArray(new float[0][]), metric, linkage);
  }

  /** What is clustered, as hierarchy versions record it. */
  public String features() {
    return dims == 0
        ? "parameters"
        : "parameters, random projection to " + dims + " dimensions (seed " + seed + ")";
  }

  /** Whether rows of {@code d} values are projected (not when they are no longer than dims). */
  public boolean projects(int d) {
    return dims > 0 && dims < d;
  }
}
