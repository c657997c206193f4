package io.demlearn.core.strategy;

import io.demlearn.core.cluster.Dendrogram;
import io.demlearn.core.cluster.Hierarchy;

/**
 * One version of the hierarchy: the tree, the dendrogram it was cut from (null for a flat tree),
 * its version number and the first round it aggregates. It is rebuilt in round r when {@code
 * effectiveFromRound == r}.
 */
public record HierarchyVersion(
    Hierarchy tree, Dendrogram dendrogram, int version, int effectiveFromRound) {
  public boolean rebuiltIn(int round) {
    return effectiveFromRound == round;
  }
}
