package io.demlearn.core.metrics;

import io.demlearn.core.Seeds;
import java.util.Arrays;

/**
 * Which rounds are evaluated, and whose models count in C-SPE and C-GEN. Large runs need not pay
 * for a full evaluation every round: a round is evaluated when its number is a multiple of {@code
 * every}, and the last round always; C-SPE and C-GEN then score either every agent or a sample of
 * {@code agents} of them, drawn once from the experiment's seed (the same agents every round, so
 * that the curves follow the same agents). Group metrics and Global always use every group.
 */
public final class EvaluationPlan {
  private final int rounds;
  private final int every;
  private final int[] scored;

  /**
   * @param rounds the experiment's rounds
   * @param every evaluate rounds 0, every, 2 every, ... and the last
   * @param agentCount the experiment's agents
   * @param agents agents to score, 0 for all
   * @param seed the experiment's seed
   */
  public EvaluationPlan(int rounds, int every, int agentCount, int agents, long seed) {
    if (every < 1 || agents < 0 || agents > agentCount) {
      throw new IllegalArgumentException(
          "evaluation every " + every + " rounds of " + agents + " of " + agentCount + " agents");
    }
    this.rounds = rounds;
    this.every = every;
    int[] order = new int[agentCount];
    Arrays.setAll(order, i -> i);
    if (agents > 0) {
      Seeds.shuffle(order, Seeds.random(seed, "eval-agents", 0));
      order = Arrays.copyOf(order, agents);
      Arrays.sort(order);
    }
    this.scored = order;
  }

  /** Whether round {@code round}'s metrics are computed. */
  public boolean evaluates(int round) {
    return round % every == 0 || round == rounds - 1;
  }

  /** How many agents' models are scored in an evaluated round. */
  public int scoredAgents() {
    return scored.length;
  }

  /** Whether agent {@code agent}'s model is scored in evaluated rounds. */
  public boolean scores(int agent) {
    return Arrays.binarySearch(scored, agent) >= 0;
  }

  /** The scored agents, ascending. */
  public int[] scored() {
    return scored.clone();
  }
}
