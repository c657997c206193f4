package io.demlearn.core.cluster;

import java.util.Locale;

/** Distances between agents' feature vectors (their flattened model parameters). */
public enum Metric {
  /** ||x - y||. */
  EUCLIDEAN,
  /** 1 - x.y / (||x|| ||y||), as scipy's 'cosine'. */
  COSINE;

  public static Metric parse(String text) {
    try {
      return valueOf(text.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown distance metric '" + text + "': use euclidean or cosine");
    }
  }

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
