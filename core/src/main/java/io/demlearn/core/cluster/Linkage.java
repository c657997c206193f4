package io.demlearn.core.cluster;

import io.demlearn.core.Labels;

/**
 * How the distance between two clusters follows from the distances between their members, as a
 * Lance-Williams update: the distance from cluster k to the union of clusters i and j, given
 * d(k,i), d(k,j), d(i,j) and the sizes. The formulas are those of scipy.cluster.hierarchy.linkage
 * (on distances, not squared distances). All four are reducible, so the nearest-neighbour chain
 * algorithm finds the same dendrogram as the naive greedy one.
 */
public enum Linkage {
  /** Minimum distance between members. */
  SINGLE {
    @Override
    double update(double dki, double dkj, double dij, int ni, int nj, int nk) {
      return Math.min(dki, dkj);
    }
  },
  /** Maximum distance between members. */
  COMPLETE {
    @Override
    double update(double dki, double dkj, double dij, int ni, int nj, int nk) {
      return Math.max(dki, dkj);
    }
  },
  /** Mean distance between members (UPGMA). */
  AVERAGE {
    @Override
    double update(double dki, double dkj, double dij, int ni, int nj, int nk) {
      return (ni * dki + nj * dkj) / (ni + nj);
    }
  },
  /** Ward's minimum variance: sqrt(2 ni nj / (ni + nj)) times the distance between centroids. */
  WARD {
    @Override
    double update(double dki, double dkj, double dij, int ni, int nj, int nk) {
      double t = ni + nj + nk;
      double v = ((ni + nk) * dki * dki + (nj + nk) * dkj * dkj - nk * dij * dij) / t;
      return Math.sqrt(Math.max(0, v));
    }
  };

  abstract double update(double dki, double dkj, double dij, int ni, int nj, int nk);

  public static Linkage parse(String text) {
    return Labels.parse(Linkage.class, text, "linkage");
  }

  public String label() {
    return Labels.of(this);
  }
}
