package io.demlearn.core.cluster;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Agglomerative clustering by the nearest-neighbour chain algorithm (Murtagh 1983; Muellner 2011):
 * O(n^2) time and memory, for the reducible linkages single, complete, average and Ward. Output is
 * scipy's linkage matrix; with distinct distances it equals scipy's and the naive greedy
 * algorithm's. Ties are broken deterministically: a nearest neighbour that ties with the chain's
 * previous element is that element, else the one with the lowest index; merges of equal distance
 * keep the order in which the chain found them.
 */
public final class Agglomerative {
  private Agglomerative() {}

  /**
   * @throws IllegalArgumentException for Ward with a metric other than Euclidean
   */
  public static Dendrogram cluster(float[][] x, Metric metric, Linkage linkage) {
    if (linkage == Linkage.WARD && metric != Metric.EUCLIDEAN) {
      throw new IllegalArgumentException(
          "Ward linkage needs the Euclidean metric (got "
              + metric.label()
              + "): its merge distances are variances of Euclidean centroids");
    }
    return fromCondensed(PairwiseDistances.compute(x, metric), x.length, linkage);
  }

  /** Clusters n points given their condensed distances (consumed: the array is overwritten). */
  public static Dendrogram fromCondensed(double[] dist, int n, Linkage linkage) {
    if (n < 1) {
      throw new IllegalArgumentException("nothing to cluster");
    }
    int[] size = new int[n];
    Arrays.fill(size, 1);
    boolean[] active = new boolean[n];
    Arrays.fill(active, true);
    int[] chain = new int[n];
    int chainLength = 0;
    // merges as (representative slot a, representative slot b, distance), in discovery order
    int[] mergeA = new int[Math.max(0, n - 1)];
    int[] mergeB = new int[Math.max(0, n - 1)];
    double[] mergeD = new double[Math.max(0, n - 1)];
    int lowestActive = 0;

    for (int step = 0; step < n - 1; step++) {
      if (chainLength == 0) {
        while (!active[lowestActive]) {
          lowestActive++;
        }
        chain[chainLength++] = lowestActive;
      }
      int a;
      int b;
      double dab;
      while (true) {
        a = chain[chainLength - 1];
        int previous = chainLength >= 2 ? chain[chainLength - 2] : -1;
        b = previous;
        double best = previous >= 0 ? dist[idx(n, a, previous)] : Double.POSITIVE_INFINITY;
        for (int k = 0; k < n; k++) {
          if (k == a || !active[k]) {
            continue;
          }
          double dk = dist[idx(n, a, k)];
          if (dk < best) {
            best = dk;
            b = k;
          }
        }
        dab = best;
        if (b == previous) {
          break;
        }
        chain[chainLength++] = b;
      }
      chainLength -= 2;
      // merge a and b into slot max(a, b)... keep the lower slot as the survivor for stability
      int keep = Math.min(a, b);
      int gone = Math.max(a, b);
      mergeA[step] = a;
      mergeB[step] = b;
      mergeD[step] = dab;
      int ni = size[keep];
      int nj = size[gone];
      for (int k = 0; k < n; k++) {
        if (!active[k] || k == keep || k == gone) {
          continue;
        }
        int ik = idx(n, keep, k);
        dist[ik] = linkage.update(dist[ik], dist[idx(n, gone, k)], dab, ni, nj, size[k]);
      }
      active[gone] = false;
      size[keep] = ni + nj;
    }
    return label(n, mergeA, mergeB, mergeD);
  }

  private static int idx(int n, int i, int j) {
    return i < j ? PairwiseDistances.index(n, i, j) : PairwiseDistances.index(n, j, i);
  }

  /** Sorts merges by distance (stably) and numbers clusters as scipy does. */
  private static Dendrogram label(int n, int[] a, int[] b, double[] d) {
    Integer[] order = new Integer[a.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, Comparator.comparingDouble(i -> d[i]));
    int[] parent = new int[2 * n - 1];
    int[] clusterSize = new int[2 * n - 1];
    for (int i = 0; i < parent.length; i++) {
      parent[i] = i;
      clusterSize[i] = i < n ? 1 : 0;
    }
    List<Dendrogram.Merge> merges = new ArrayList<>(a.length);
    for (int k = 0; k < order.length; k++) {
      int m = order[k];
      int ra = find(parent, a[m]);
      int rb = find(parent, b[m]);
      int label = n + k;
      parent[ra] = label;
      parent[rb] = label;
      clusterSize[label] = clusterSize[ra] + clusterSize[rb];
      merges.add(
          new Dendrogram.Merge(Math.min(ra, rb), Math.max(ra, rb), d[m], clusterSize[label]));
    }
    return new Dendrogram(n, merges);
  }

  private static int find(int[] parent, int x) {
    int root = x;
    while (parent[root] != root) {
      root = parent[root];
    }
    while (parent[x] != root) {
      int next = parent[x];
      parent[x] = root;
      x = next;
    }
    return root;
  }
}
