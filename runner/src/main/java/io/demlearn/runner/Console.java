package io.demlearn.runner;

import io.demlearn.core.experiment.ExperimentSettings;
import java.io.PrintStream;
import java.util.Locale;

/** What a command tells its user: one line per step, stamped with the seconds since it began. */
final class Console {
  private final PrintStream out;
  private final long start = System.nanoTime();

  Console(PrintStream out) {
    this.out = out;
  }

  /** "{@code what id}: algorithm, model, N agents, R rounds, seed S", the first line of a run. */
  static String describe(String what, String id, ExperimentSettings s) {
    return what
        + " "
        + id
        + ": "
        + s.algorithm().label()
        + ", "
        + s.model().label()
        + ", "
        + s.agents()
        + " agents, "
        + s.rounds()
        + " rounds, seed "
        + s.seed();
  }

  /** Seconds since this console was made. */
  double elapsed() {
    return (System.nanoTime() - start) / 1e9;
  }

  void step(String message) {
    out.printf(Locale.ROOT, "[%6.1f s] %s%n", elapsed(), message);
    out.flush();
  }

  void line(String message) {
    out.println(message);
    out.flush();
  }

  /** Times a piece of work. */
  static final class Stopwatch {
    private final long t0 = System.nanoTime();

    double seconds() {
      return (System.nanoTime() - t0) / 1e9;
    }

    String text() {
      return String.format(Locale.ROOT, "%.2f s", seconds());
    }
  }
}
