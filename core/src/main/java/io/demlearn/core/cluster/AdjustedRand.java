package io.demlearn.core.cluster;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The adjusted Rand index of two partitions of the same items (Hubert and Arabie 1985): 1 when they
 * are equal, about 0 for independent random partitions. Used to compare the groups that a reduced
 * clustering forms with those of the exact one.
 */
public final class AdjustedRand {
  private AdjustedRand() {}

  /**
   * @param a each item's cluster label in the first partition
   * @param b each item's cluster label in the second, same length
   */
  public static double index(int[] a, int[] b) {
    if (a.length != b.length) {
      throw new IllegalArgumentException(
          "partitions of " + a.length + " and " + b.length + " items cannot be compared");
    }
    int n = a.length;
    Map<Long, Integer> cells = new HashMap<>();
    Map<Integer, Integer> rows = new HashMap<>();
    Map<Integer, Integer> columns = new HashMap<>();
    for (int i = 0; i < n; i++) {
      cells.merge(((long) a[i] << 32) | (b[i] & 0xffffffffL), 1, Integer::sum);
      rows.merge(a[i], 1, Integer::sum);
      columns.merge(b[i], 1, Integer::sum);
    }
    double sumCells = cells.values().stream().mapToDouble(AdjustedRand::pairs).sum();
    double sumRows = rows.values().stream().mapToDouble(AdjustedRand::pairs).sum();
    double sumColumns = columns.values().stream().mapToDouble(AdjustedRand::pairs).sum();
    double expected = sumRows * sumColumns / pairs(n);
    double max = (sumRows + sumColumns) / 2;
    if (max == expected) {
      return 1.0; // both partitions trivial (all one cluster, or all singletons) and equal in form
    }
    return (sumCells - expected) / (max - expected);
  }

  /**
   * Each agent's group at {@code level} of a hierarchy (the index of its group in {@link
   * Hierarchy#atLevel}); an agent hanging above that level is a group of its own.
   */
  public static int[] labelsAt(Hierarchy tree, int level) {
    int[] label = new int[tree.agents()];
    Arrays.fill(label, -1);
    int next = 0;
    for (Hierarchy.Group g : tree.atLevel(level)) {
      for (int a : g.members()) {
        label[a] = next;
      }
      next++;
    }
    for (int a = 0; a < label.length; a++) {
      if (label[a] < 0) {
        label[a] = next++;
      }
    }
    return label;
  }

  private static double pairs(double count) {
    return count * (count - 1) / 2;
  }
}
