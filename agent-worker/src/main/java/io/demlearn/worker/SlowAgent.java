package io.demlearn.worker;

import java.time.Duration;

/**
 * An agent whose updates are held back, to try a straggler policy: by {@code delay}, in the rounds
 * {@code fromRound..toRound} (every round: 0..{@link Integer#MAX_VALUE}).
 */
public record SlowAgent(Duration delay, int fromRound, int toRound) {
  public SlowAgent {
    if (delay.isNegative()) {
      throw new IllegalArgumentException("a delay of " + delay + ": must be >= 0");
    }
    if (fromRound < 0 || toRound < fromRound) {
      throw new IllegalArgumentException(
          "rounds " + fromRound + "-" + toRound + ": must be FROM-TO with 0 <= FROM <= TO");
    }
  }

  /** How long its update of {@code round} is held back. */
  public Duration delayIn(int round) {
    return round >= fromRound && round <= toRound ? delay : Duration.ZERO;
  }

  /**
   * Parses {@code DELAY} or {@code DELAY@ROUND} or {@code DELAY@FROM-TO}, the delay in {@code unit}
   * (seconds on the command line, milliseconds between processes).
   *
   * @throws IllegalArgumentException saying what is wrong with the text
   */
  public static SlowAgent parse(String text, Duration unit) {
    String[] parts = text.trim().split("@", 2);
    double amount;
    try {
      amount = Double.parseDouble(parts[0]);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + parts[0] + "' is not a number");
    }
    if (!(amount >= 0)) {
      throw new IllegalArgumentException("a delay of " + parts[0] + ": must be >= 0");
    }
    Duration delay = Duration.ofNanos(Math.round(amount * unit.toNanos()));
    if (parts.length == 1) {
      return new SlowAgent(delay, 0, Integer.MAX_VALUE);
    }
    String[] range = parts[1].split("-", 2);
    try {
      int from = Integer.parseInt(range[0].trim());
      int to = range.length == 1 ? from : Integer.parseInt(range[1].trim());
      return new SlowAgent(delay, from, to);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + parts[1] + "' is not a round or rounds FROM-TO");
    }
  }

  /** The text {@link #parse} reads back with a unit of milliseconds. */
  public String toMillisText() {
    String ms = Long.toString(delay.toMillis());
    return fromRound == 0 && toRound == Integer.MAX_VALUE
        ? ms
        : ms + "@" + fromRound + "-" + toRound;
  }
}
