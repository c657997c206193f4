package io.demlearn.schemas.registry;

import java.util.Locale;

/** The compatibility rules of the Confluent registry API. */
public enum CompatibilityLevel {
  NONE,
  BACKWARD,
  BACKWARD_TRANSITIVE,
  FORWARD,
  FORWARD_TRANSITIVE,
  FULL,
  FULL_TRANSITIVE;

  /** Parses a level as the registry spells it, case-insensitively. */
  public static CompatibilityLevel parse(String text) {
    try {
      return valueOf(text.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown compatibility level '" + text + "'", e);
    }
  }
}
