package io.demlearn.core.model;

import io.demlearn.core.data.Dataset;
import java.util.SplittableRandom;

/**
 * Local training: mini-batch SGD with a proximal pull toward a reference model (DemLearn-P,
 * FedProx; Nguyen et al., eq. for the personalised local update): {@code w <- w - lr * (grad L(w) +
 * mu * (w - w_ref))}. One epoch is a full pass over the agent's training data in a fresh random
 * order, in batches of {@code batchSize}, the last one possibly smaller (as PyTorch's DataLoader
 * with shuffle=True). Holds working memory: one thread at a time.
 */
public interface Trainer extends AutoCloseable {
  /**
   * Trains {@code params} in place.
   *
   * @param reference the proximal target, or null (plain SGD)
   * @param random the agent's stream for shuffling (and dropout)
   */
  void train(
      float[] params,
      Dataset data,
      float[] reference,
      TrainingSettings settings,
      SplittableRandom random);

  @Override
  default void close() {}
}
