package io.demlearn.core.aggregate;

import java.util.List;

/**
 * Weighted means of parameter vectors, and the top-down mix. Sums run in double precision in the
 * order the members are given and are rounded to float32 once, so the same members in the same
 * order give the same bits wherever the mean is computed (simulator or streaming aggregator).
 */
public final class Averaging {
  private Averaging() {}

  /**
   * {@code factor * sum_i w_i x_i / sum_i w_i} (DemLearn's bottom-up group model, with Amplify as
   * {@code factor}; FedAvg's global model).
   */
  public static float[] weightedMean(List<float[]> members, double[] weights, double factor) {
    if (members.isEmpty()) {
      throw new IllegalArgumentException("no members to average");
    }
    if (weights.length != members.size()) {
      throw new IllegalArgumentException(
          members.size() + " members but " + weights.length + " weights");
    }
    int d = members.get(0).length;
    double[] acc = new double[d];
    double total = 0;
    for (int m = 0; m < members.size(); m++) {
      float[] x = members.get(m);
      if (x.length != d) {
        throw new IllegalArgumentException(
            "member " + m + " has " + x.length + " parameters, member 0 has " + d);
      }
      double w = weights[m];
      total += w;
      for (int k = 0; k < d; k++) {
        acc[k] += w * x[k];
      }
    }
    if (!(total > 0)) {
      throw new IllegalArgumentException("weights sum to " + total);
    }
    float[] out = new float[d];
    double scale = factor / total;
    for (int k = 0; k < d; k++) {
      out[k] = (float) (acc[k] * scale);
    }
    return out;
  }

  /** {@code (1 - alpha) * own + alpha * parent}: DemLearn's top-down generalisation step. */
  public static float[] mix(float[] own, float[] parent, double alpha) {
    if (own.length != parent.length) {
      throw new IllegalArgumentException(
          "cannot mix vectors of " + own.length + " and " + parent.length);
    }
    float[] out = new float[own.length];
    double keep = 1 - alpha;
    for (int k = 0; k < own.length; k++) {
      out[k] = (float) (keep * own[k] + alpha * parent[k]);
    }
    return out;
  }
}
