package io.demlearn.runner;

import io.demlearn.core.Provenance;
import io.demlearn.core.experiment.ExperimentData;
import io.demlearn.core.experiment.ExperimentSettings;
import io.demlearn.core.metrics.RoundMetrics;
import io.demlearn.core.sim.RoundState;
import io.demlearn.core.sim.Simulator;
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
    ExperimentData.Loaded data = ExperimentOptions.load(settings);
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
    private final long start = System.nanoTime();
    private int done;

    Progress(int rounds, boolean interactive) {
      this.rounds = rounds;
      this.interactive = interactive;
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
      if (interactive) {
        double elapsed = (System.nanoTime() - start) / 1e9;
        int width = 30;
        int filled = (int) Math.round(width * done / (double) rounds);
        double eta = elapsed / done * (rounds - done);
        System.out.printf(
            Locale.ROOT,
            "[%s%s] %d/%d rounds  C-SPE %s  C-GEN %s  ETA %.0f s",
            "#".repeat(filled),
            ".".repeat(width - filled),
            done,
            rounds,
            accuracy(m.cSpe()),
            accuracy(m.cGen()),
            eta);
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
