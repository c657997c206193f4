package io.demlearn.runner;

import io.demlearn.core.Provenance;
import io.demlearn.core.experiment.ExperimentData;
import io.demlearn.core.experiment.ExperimentSettings;
import io.demlearn.core.metrics.RoundMetrics;
import io.demlearn.core.sim.RoundState;
import io.demlearn.core.sim.Simulator;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code demlearn simulate}: an experiment in memory, with no Kafka; the reference the streaming
 * pipeline must equal. Writes {@code metrics.jsonl} (one object per round) and {@code
 * settings.json} (every setting, the seed, the data's source and the software) to the output
 * folder; while it runs, metrics go to {@code metrics.jsonl.partial}, renamed when the run is
 * complete. Bad input is refused before anything is written.
 */
@Command(
    name = "simulate",
    mixinStandardHelpOptions = true,
    description =
        "Run an experiment in memory (no Kafka): the reference the streaming pipeline is checked"
            + " against.")
final class SimulateCommand implements Callable<Integer> {
  @Mixin ExperimentOptions experiment;

  @Mixin OutputOptions outputOptions;

  @Override
  public Integer call() {
    ExperimentSettings settings = experiment.settings();
    String id = outputOptions.id(settings.algorithm().label());
    RunOutput output = outputOptions.output(id);

    Console console = new Console(System.out);
    console.line(Console.describe("DemLearn simulation", id, settings));
    ExperimentData.Loaded data = ExperimentOptions.load(settings, console);
    console.step(
        "data: "
            + data.source()
            + " ("
            + data.agents().stream().mapToInt(a -> a.train().size()).sum()
            + " train / "
            + data.agents().stream().mapToInt(a -> a.test().size()).sum()
            + " test samples)");

    Progress progress = new Progress(settings.rounds(), System.console() != null);
    try (output;
        Simulator sim = new Simulator(settings, data.agents())) {
      output.open(
          id,
          settings,
          data.source(),
          Map.of("mode", "simulate", "machine", Provenance.withNumerics()));
      progress.header();
      RoundState last =
          sim.run(
              r -> {
                output.round(r.metrics(), r.seconds(), r.timings(), null);
                progress.round(r.metrics(), r.seconds());
              });
      if (last.hierarchy() != null && last.hierarchy().dendrogram() != null) {
        output.dendrogram(
            last.hierarchy().dendrogram(), data.agents().stream().map(a -> a.id()).toList());
      }
      output.complete();
    } catch (Simulator.DivergedException e) {
      progress.done();
      throw new UserException(
          e.getMessage() + "; the rounds before are in " + output.partialFile(), e);
    }
    progress.done();
    console.line(output.summary());
    console.line(
        "results: "
            + output.metricsFile()
            + ", "
            + output.dir().resolve("settings.json")
            + ", "
            + output.dir().resolve("report.html"));
    return 0;
  }

  static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(null);
    int n = sorted.size();
    return n == 0
        ? Double.NaN
        : n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  /** The per-round table, and a progress bar under it on an interactive terminal. */
  static final class Progress {
    private final int rounds;
    private final boolean interactive;

    /** Rounds the rate is measured over: the latest ones, so that it follows a change of pace. */
    static final int RATE_WINDOW = 20;

    private final ArrayDeque<Long> finished = new ArrayDeque<>();
    private int done;

    Progress(int rounds, boolean interactive) {
      this.rounds = rounds;
      this.interactive = interactive;
      finished.add(System.nanoTime());
    }

    /** Rounds per second over the latest rounds (since the start for the first ones). */
    private double roundsPerSecond() {
      double seconds = (finished.getLast() - finished.getFirst()) / 1e9;
      return seconds <= 0 ? 0 : (finished.size() - 1) / seconds;
    }

    /**
     * The progress bar: {@code [####....] 12/100 rounds 3.4 rounds/s 0:26 left C-SPE .. C-GEN ..};
     * the time left is "?" before any rate is known.
     */
    static String bar(int done, int rounds, double roundsPerSecond, Double cSpe, Double cGen) {
      int width = 30;
      int filled = (int) Math.round(width * done / (double) rounds);
      String left =
          roundsPerSecond > 0 ? clock(Math.round((rounds - done) / roundsPerSecond)) : "?";
      return String.format(
          Locale.ROOT,
          "[%s%s] %d/%d rounds  %s rounds/s  %s left  C-SPE %s  C-GEN %s",
          "#".repeat(filled),
          ".".repeat(width - filled),
          done,
          rounds,
          roundsPerSecond >= 10
              ? String.format(Locale.ROOT, "%.0f", roundsPerSecond)
              : String.format(Locale.ROOT, "%.2f", roundsPerSecond),
          left,
          accuracy(cSpe),
          accuracy(cGen));
    }

    /** Seconds as m:ss, or h:mm:ss from an hour. */
    static String clock(long seconds) {
      long h = seconds / 3600;
      long m = seconds / 60 % 60;
      long s = seconds % 60;
      return h > 0
          ? String.format(Locale.ROOT, "%d:%02d:%02d", h, m, s)
          : String.format(Locale.ROOT, "%d:%02d", m, s);
    }

    void header() {
      System.out.println(
          "round   C-SPE   C-GEN  Global   G-SPE by level            G-GEN by level           "
              + " s/round");
    }

    void round(RoundMetrics m, double seconds) {
      done++;
      if (interactive) {
        System.out.print("\r\033[K");
      }
      System.out.printf(
          Locale.ROOT,
          "%5d  %6s  %6s  %6s  %-24s  %-24s  %6.3f%n",
          m.round(),
          accuracy(m.cSpe()),
          accuracy(m.cGen()),
          accuracy(m.global()),
          levels(m.gSpe()),
          levels(m.gGen()),
          seconds);
      finished.addLast(System.nanoTime());
      if (finished.size() > RATE_WINDOW + 1) {
        finished.removeFirst();
      }
      if (interactive) {
        System.out.print(bar(done, rounds, roundsPerSecond(), m.cSpe(), m.cGen()));
      }
      System.out.flush();
    }

    void done() {
      if (interactive) {
        System.out.print("\r\033[K");
        System.out.flush();
      }
    }

    /** An accuracy to four places, or "-" where there is none (a round not evaluated). */
    static String accuracy(Double v) {
      return v == null ? "-" : String.format(Locale.ROOT, "%.4f", v);
    }

    private static String levels(List<Double> values) {
      if (values.isEmpty()) {
        return "-";
      }
      StringBuilder sb = new StringBuilder();
      for (Double v : values) {
        if (sb.length() > 0) {
          sb.append(' ');
        }
        sb.append(v == null ? "  -  " : String.format(Locale.ROOT, "%.3f", v));
      }
      return sb.toString();
    }
  }
}
