package io.demlearn.core.cluster;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A linkage matrix in scipy's format: n-1 merges of n leaves; merge i joins clusters {@code left}
 * and {@code right} (leaves are 0..n-1, the cluster made by merge i is n+i; left < right) at {@code
 * distance}, giving a cluster of {@code size} leaves. Merges are in increasing distance.
 */
public record Dendrogram(int leaves, List<Merge> merges) {
  public record Merge(int left, int right, double distance, int size) {}

  public Dendrogram {
    if (merges.size() != Math.max(0, leaves - 1)) {
      throw new IllegalArgumentException(
          leaves + " leaves need " + (leaves - 1) + " merges, got " + merges.size());
    }
    merges = List.copyOf(merges);
  }

  /**
   * The leaves below cluster {@code cluster}, left to right (found without recursion: identical
   * points, such as agents that all still hold the initial model, merge in a chain n deep).
   */
  public List<Integer> leavesBelow(int cluster) {
    List<Integer> out = new ArrayList<>();
    ArrayDeque<Integer> open = new ArrayDeque<>();
    open.push(cluster);
    while (!open.isEmpty()) {
      int c = open.pop();
      if (c < leaves) {
        out.add(c);
      } else {
        Merge m = merges.get(c - leaves);
        open.push(m.right());
        open.push(m.left());
      }
    }
    return out;
  }

  /** Rows "left,right,distance,size", distances printed exactly (shortest round-trip form). */
  public String toCsv() {
    StringBuilder sb = new StringBuilder();
    for (Merge m : merges) {
      sb.append(m.left())
          .append(',')
          .append(m.right())
          .append(',')
          .append(Double.toString(m.distance()).toLowerCase(Locale.ROOT))
          .append(',')
          .append(m.size())
          .append('\n');
    }
    return sb.toString();
  }
}
