package io.demlearn.core.sim;

import java.util.List;

/**
 * One federated learning algorithm, as the policy between rounds: the state it starts from, and
 * how a round's trained models become the next round's state. The simulator and the streaming
 * pipeline run the same strategies. Implementations are immutable.
 */
public interface Strategy {
  /** The state before round 0: every agent holds the common initial model. */
  RoundState initial(float[] initialModel, int agents);

  /**
   * The state after round {@code round}'s training.
   *
   * @param trained per agent, the model its local training produced
   * @param trainSamples per agent, its number of training samples
   */
  RoundState aggregate(int round, List<float[]> trained, int[] trainSamples, RoundState previous);

  /** Whether every agent trains on its own data (false: one model on the union of all data). */
  default boolean federated() {
    return true;
  }
}
