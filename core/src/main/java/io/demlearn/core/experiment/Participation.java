package io.demlearn.core.experiment;

import io.demlearn.core.Seeds;
import java.util.Arrays;
import java.util.BitSet;

/**
 * Which agents take part in each round ({@code --sample-fraction F}, the authors' {@code
 * subusers}): in every round a seeded sample of {@code floor(F * agents)} agents (at least one),
 * drawn afresh per round from (seed, round), so every service and every replay draws the same
 * agents. The others do not train and publish nothing that round; they keep their own latest model.
 * With F = 1 every agent takes part in every round. Thread-safe.
 */
public final class Participation {
  private final int agents;
  private final int rounds;
  private final double fraction;
  private final int perRound;
  private final long seed;
  private final BitSet[] byRound;

  /**
   * @param fraction in (0, 1]
   */
  public Participation(int agents, int rounds, double fraction, long seed) {
    if (!(fraction > 0 && fraction <= 1) || agents < 1 || rounds < 1) {
      throw new IllegalArgumentException(
          "a sample of " + fraction + " of " + agents + " agents in " + rounds + " rounds");
    }
    this.agents = agents;
    this.rounds = rounds;
    this.fraction = fraction;
    this.perRound = Math.max(1, (int) Math.floor(fraction * agents));
    this.seed = seed;
    this.byRound = new BitSet[rounds];
  }

  /** Whether every agent takes part in every round. */
  public boolean everyone() {
    return perRound == agents;
  }

  /** The fraction of agents sampled per round. */
  public double fraction() {
    return fraction;
  }

  /** How many agents take part in each round. */
  public int perRound() {
    return perRound;
  }

  /** Whether agent {@code agent} takes part in round {@code round}. */
  public boolean takesPart(int agent, int round) {
    return everyone() || sample(round).get(agent);
  }

  /** The agents of round {@code round}, ascending. */
  public int[] of(int round) {
    if (everyone()) {
      int[] all = new int[agents];
      Arrays.setAll(all, i -> i);
      return all;
    }
    return sample(round).stream().toArray();
  }

  /**
   * The first round after {@code round} in which agent {@code agent} takes part, or the number of
   * rounds if none is left.
   */
  public int nextRound(int agent, int round) {
    int r = round + 1;
    while (r < rounds && !takesPart(agent, r)) {
      r++;
    }
    return Math.min(r, rounds);
  }

  /** The last round before {@code round} in which agent {@code agent} took part, or -1. */
  public int previousRound(int agent, int round) {
    int r = Math.min(round, rounds) - 1;
    while (r >= 0 && !takesPart(agent, r)) {
      r--;
    }
    return r;
  }

  private BitSet sample(int round) {
    if (round < 0 || round >= rounds) {
      throw new IllegalArgumentException("round " + round + " of " + rounds);
    }
    synchronized (byRound) {
      BitSet s = byRound[round];
      if (s == null) {
        int[] order = new int[agents];
        Arrays.setAll(order, i -> i);
        Seeds.shuffle(order, Seeds.random(seed, "sample", round));
        s = new BitSet(agents);
        for (int i = 0; i < perRound; i++) {
          s.set(order[i]);
        }
        byRound[round] = s;
      }
      return s;
    }
  }
}
