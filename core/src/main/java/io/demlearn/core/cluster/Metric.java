package io.demlearn.core.cluster;

import io.demlearn.core.Labels;

/** Distances between agents' feature vectors (their flattened model parameters). */
public enum Metric {
  /** ||x - y||. */
  EUCLIDEAN,
  /** 1 - x.y / (||x|| ||y||), as scipy's 'cosine'. */
  COSINE;

  public static Metric parse(String text) {
    return Labels.parse(Metric.class, text, "distance metric");
  }

  public String label() {
    return Labels.of(this);
  }
}
