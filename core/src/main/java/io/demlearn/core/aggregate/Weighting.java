package io.demlearn.core.aggregate;

import io.demlearn.core.Labels;

/**
 * How a group's mean weighs its members: DemLearn weighs every agent equally (a sub-group by its
 * number of agents); FedAvg weighs by training samples.
 */
public enum Weighting {
  AGENTS,
  SAMPLES;

  public static Weighting parse(String text) {
    return Labels.parse(Weighting.class, text, "weighting");
  }

  public String label() {
    return Labels.of(this);
  }

  /** The weight of an agent with {@code samples} training samples. */
  public long agentWeight(int samples) {
    return this == AGENTS ? 1 : samples;
  }
}
