package io.demlearn.core.experiment;

import java.util.Locale;

/** The learning algorithms the simulator and the pipeline run. */
public enum Algorithm {
  /** DemLearn: hierarchical aggregation and top-down generalisation, plain local SGD. */
  DEMLEARN("demlearn"),
  /** DemLearn-P: DemLearn with a proximal pull toward the agent's parent group (mu 0.002). */
  DEMLEARN_P("demlearn-p"),
  /** FedAvg: one sample-weighted global model that every agent takes. */
  FEDAVG("fedavg"),
  /**
   * FedProx: FedAvg with a proximal pull toward the global model (the authors' code uses mu 0.5).
   */
  FEDPROX("fedprox"),
  /** Every agent trains on its own data only. */
  LOCAL("local"),
  /** One model trained on the union of all agents' training data. */
  CENTRALISED("centralised");

  private final String label;

  Algorithm(String label) {
    this.label = label;
  }

  public String label() {
    return label;
  }

  public static Algorithm parse(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    for (Algorithm a : values()) {
      if (a.label.equals(t)) {
        return a;
      }
    }
    if (t.equals("centralized")) {
      return CENTRALISED;
    }
    throw new IllegalArgumentException(
        "unknown algorithm '"
            + text
            + "': use demlearn, demlearn-p, fedavg, fedprox, local or centralised");
  }

  /** Whether mu may be non-zero. */
  public boolean proximal() {
    return this == DEMLEARN_P || this == FEDPROX;
  }
}
