package io.demlearn.core.metrics;

import java.util.List;
import java.util.Map;

/**
 * The evaluation at the start of one round (docs/ALGORITHM.md). Accuracies in [0, 1]. A round the
 * experiment does not evaluate ({@code --eval-every}) has no metrics: {@link #evaluated()} is false
 * and every accuracy is null or empty.
 *
 * @param scoredAgents agents whose models C-SPE and C-GEN score (all, or a seeded sample); 0 in a
 *     round that is not evaluated
 * @param cSpe every scored agent's model on its own test data, pooled (correct / samples over
 *     agents); null in a round that is not evaluated
 * @param cGen every scored agent's model on the union of all test data, mean over agents
 * @param global the root model on all test data, or null when there is no root yet
 * @param gSpe per level 1..K+1: group models on their members' test data, pooled per group,
 *     averaged over the level's groups weighted by their agent counts (null for an empty level)
 * @param gGen per level: group models on all test data, weighted likewise
 * @param groupMembers agents averaged into each group
 */
public record RoundMetrics(
    int round,
    int hierarchyVersion,
    int scoredAgents,
    Double cSpe,
    Double cGen,
    Double global,
    List<Double> gSpe,
    List<Double> gGen,
    Map<String, Integer> groupMembers) {

  /** A round the experiment does not evaluate. */
  public static RoundMetrics notEvaluated(int round, int hierarchyVersion) {
    return new RoundMetrics(
        round, hierarchyVersion, 0, null, null, null, List.of(), List.of(), Map.of());
  }

  /** Whether the round was evaluated. */
  public boolean evaluated() {
    return scoredAgents > 0;
  }
}
