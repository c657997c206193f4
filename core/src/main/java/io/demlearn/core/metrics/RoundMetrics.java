package io.demlearn.core.metrics;

import java.util.List;
import java.util.Map;

/**
 * The evaluation at the start of one round (docs/ALGORITHM.md). Accuracies in [0, 1].
 *
 * @param cSpe every agent's model on its own test data, pooled (correct / samples over agents)
 * @param cGen every agent's model on the union of all test data, mean over agents
 * @param global the root model on all test data, or null when there is no root yet
 * @param gSpe per level 1..K+1: group models on their members' test data, pooled per group,
 *     averaged over the level's groups weighted by their agent counts (null for an empty level)
 * @param gGen per level: group models on all test data, weighted likewise
 * @param groupMembers agents averaged into each group
 */
public record RoundMetrics(
    int round,
    int hierarchyVersion,
    double cSpe,
    double cGen,
    Double global,
    List<Double> gSpe,
    List<Double> gGen,
    Map<String, Integer> groupMembers) {}
