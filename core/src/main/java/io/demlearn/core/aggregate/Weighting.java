package io.demlearn.core.aggregate;

import java.util.Locale;

/**
 * How a group's mean weighs its members: DemLearn weighs every agent equally (a sub-group by its
 * number of agents); FedAvg weighs by training samples.
 */
public enum Weighting {
  AGENTS,
  SAMPLES;

  public static Weighting parse(String text) {
    try {
      return valueOf(text.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown weighting '" + text + "': use agents or samples");
    }
  }

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The weight of an agent with {@code samples} training samples. */
  public double agentWeight(int samples) {
    return this == AGENTS ? 1.0 : samples;
  }
}
