package io.demlearn.core.aggregate;

import java.util.List;

/**
 * Weighted means of parameter vectors, and the top-down mix. Means are exact sums ({@link
 * ExactSum}) rounded once to float32, so the same members give the same bits in any order and
 * wherever the mean is computed (simulator, streaming aggregator, audit).
 */
public final class Averaging {
  private Averaging() {}

  /**
   * {@code factor * sum_i w_i x_i / sum_i w_i}, correctly rounded (DemLearn's bottom-up group
   * model, with Amplify as {@code factor}; FedAvg's global model).
   *
   * @param weights integers in {@code [0, 2^31)}
   */
  public static float[] weightedMean(List<float[]> members, long[] weights, double factor) {
    if (members.isEmpty()) {
      throw new IllegalArgumentException("no members to average");
    }
    if (weights.length != members.size()) {
      throw new IllegalArgumentException(
          members.size() + " members but " + weights.length + " weights");
    }
    int d = members.get(0).length;
    ExactSum sum = new ExactSum(d);
    for (int m = 0; m < members.size(); m++) {
      float[] x = members.get(m);
      if (x.length != d) {
        throw new IllegalArgumentException(
            "member " + m + " has " + x.length + " parameters, member 0 has " + d);
      }
      sum.add(x, weights[m]);
    }
    return sum.mean(factor);
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
