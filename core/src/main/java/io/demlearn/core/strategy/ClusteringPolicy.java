package io.demlearn.core.strategy;

import io.demlearn.core.cluster.Agglomerative;
import io.demlearn.core.cluster.Dendrogram;
import io.demlearn.core.cluster.Linkage;
import io.demlearn.core.cluster.Metric;
import java.util.List;

/**
 * How agents are clustered: agglomerative clustering of their full flattened parameters (the
 * authors' "weight" features) with a distance and a linkage; the authors use Euclidean distance and
 * average linkage.
 */
public record ClusteringPolicy(Metric metric, Linkage linkage) {
  public ClusteringPolicy {
    check(metric, linkage);
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
    return Agglomerative.cluster(models.toArray(new float[0][]), metric, linkage);
  }
}
