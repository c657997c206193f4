package io.demlearn.runner;

import io.demlearn.core.metrics.RoundMetrics;
import io.demlearn.core.metrics.RoundTraffic;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code demlearn compare RUN_DIR... --out FILE.html}: one self-contained HTML page that overlays
 * experiments' learning curves (the paper's DemLearn against FedAvg figure), their seconds and
 * traffic per round, with a summary table; series differ by line style and marker, not only colour.
 */
@Command(
    name = "compare",
    mixinStandardHelpOptions = true,
    description =
        "Overlay experiments' results (folders written by run, simulate or replay) on one HTML"
            + " page, with a summary table.")
final class CompareCommand implements Callable<Integer> {
  @Parameters(
      arity = "1..*",
      paramLabel = "RUN_DIR",
      description = "Output folders of experiments (each with metrics.jsonl and settings.json).")
  List<Path> runs;

  @Option(
      names = "--out",
      paramLabel = "FILE.html",
      defaultValue = "compare.html",
      description = "The page to write (default: ${DEFAULT-VALUE}).")
  Path out;

  @Override
  public Integer call() {
    Console console = new Console(System.out);
    List<RecordedRun> read = new ArrayList<>();
    for (Path dir : runs) {
      RecordedRun run = RecordedRun.read(dir);
      console.step(
          "read "
              + run.label()
              + ": "
              + run.rounds().size()
              + " rounds"
              + (run.complete() ? "" : " (metrics.jsonl.partial: the run had not finished)"));
      read.add(run);
    }
    try {
      Path parent = out.toAbsolutePath().getParent();
      Files.createDirectories(parent);
      Path tmp = parent.resolve(out.getFileName() + ".tmp");
      Files.writeString(tmp, page(read), StandardCharsets.UTF_8);
      Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UserException("cannot write " + out + ": " + e.getMessage(), e);
    }
    console.line("comparison of " + read.size() + " experiments: " + out);
    return 0;
  }

  static String page(List<RecordedRun> runs) {
    StringBuilder h = new StringBuilder();
    h.append("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>DemLearn: comparing ")
        .append(runs.size())
        .append(" experiments</title><style>")
        .append("body{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}")
        .append("h1{font-size:1.4em}h2{font-size:1.1em;margin-top:2em}")
        .append("table{border-collapse:collapse;font-size:.85em}")
        .append("td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}")
        .append("td:first-child{text-align:left}</style></head><body>");
    h.append("<h1>Comparing ").append(runs.size()).append(" experiments</h1>");
    summary(h, runs);
    int points = runs.stream().mapToInt(r -> r.rounds().size()).max().orElse(0);
    section(h, "C-SPE: agents' models on their own test data", runs, points, RoundMetrics::cSpe);
    section(h, "C-GEN: agents' models on all test data", runs, points, RoundMetrics::cGen);
    section(h, "Global: the root model on all test data", runs, points, RoundMetrics::global);
    List<Report.Series> seconds = new ArrayList<>();
    double maxSeconds = 0;
    for (RecordedRun r : runs) {
      seconds.add(new Report.Series(r.label(), r.seconds()));
      maxSeconds = Math.max(maxSeconds, max(r.seconds()));
    }
    h.append("<h2>Seconds per round</h2>")
        .append(Report.chart(seconds, points, 0, Math.max(maxSeconds, 1e-3) * 1.1));
    if (runs.stream().anyMatch(r -> r.traffic().stream().anyMatch(t -> t != null))) {
      List<Report.Series> written = new ArrayList<>();
      double maxKb = 0;
      for (RecordedRun r : runs) {
        List<Double> kb = new ArrayList<>();
        r.traffic().forEach(t -> kb.add(t == null ? null : t.written() / 1000.0));
        written.add(new Report.Series(r.label(), kb));
        maxKb = Math.max(maxKb, max(kb));
      }
      h.append("<h2>Traffic per round: kB of records written, all hops</h2>")
          .append(Report.chart(written, points, 0, Math.max(maxKb, 1e-3) * 1.1));
    }
    return h.append("</body></html>\n").toString();
  }

  private static void section(
      StringBuilder h,
      String title,
      List<RecordedRun> runs,
      int points,
      Function<RoundMetrics, Double> metric) {
    List<Report.Series> series = new ArrayList<>();
    for (RecordedRun r : runs) {
      List<Double> v = new ArrayList<>();
      r.rounds().forEach(m -> v.add(metric.apply(m)));
      series.add(new Report.Series(r.label(), v));
    }
    h.append("<h2>").append(Report.esc(title)).append("</h2>");
    h.append(Report.chart(series, points, 0, 1));
  }

  /** Final (last evaluated round) and best of each accuracy, medians of time and traffic. */
  private static void summary(StringBuilder h, List<RecordedRun> runs) {
    h.append("<table id=\"summary\"><tr><th>experiment</th><th>rounds</th>")
        .append("<th>C-SPE final</th><th>C-SPE best</th><th>C-GEN final</th><th>C-GEN best</th>")
        .append("<th>Global final</th><th>Global best</th><th>median s/round</th>")
        .append("<th>median kB/round written</th><th>median kB/round to agents</th></tr>");
    for (RecordedRun r : runs) {
      RoundMetrics last = RunOutput.lastEvaluated(r.rounds());
      h.append("<tr><td>")
          .append(Report.esc(r.label()))
          .append("</td><td>")
          .append(r.rounds().size())
          .append("</td>");
      for (Function<RoundMetrics, Double> f :
          List.<Function<RoundMetrics, Double>>of(
              RoundMetrics::cSpe, RoundMetrics::cGen, RoundMetrics::global)) {
        cell(h, last == null ? null : f.apply(last), "%.4f");
        cell(h, best(r.rounds(), f), "%.4f");
      }
      cell(h, SimulateCommand.median(r.seconds()), "%.3f");
      cell(h, trafficMedian(r, RoundTraffic::written), "%.1f");
      cell(h, trafficMedian(r, RoundTraffic::toAgents), "%.1f");
      h.append("</tr>");
    }
    h.append("</table><p>Final: the last evaluated round. Traffic: bytes of the records each round")
        .append(" wrote (updates, clustering, sums and group models of every level); to agents:")
        .append(" the group models on every agent's path. A simulation writes no records (-).</p>");
  }

  private static Double best(List<RoundMetrics> rounds, Function<RoundMetrics, Double> f) {
    Double best = null;
    for (RoundMetrics m : rounds) {
      Double v = f.apply(m);
      if (v != null && (best == null || v > best)) {
        best = v;
      }
    }
    return best;
  }

  private static Double trafficMedian(RecordedRun r, ToLongFunction<RoundTraffic> f) {
    List<Double> kb = new ArrayList<>();
    r.traffic()
        .forEach(
            t -> {
              if (t != null) {
                kb.add(f.applyAsLong(t) / 1000.0);
              }
            });
    return kb.isEmpty() ? null : SimulateCommand.median(kb);
  }

  private static void cell(StringBuilder h, Double v, String format) {
    h.append("<td>")
        .append(v == null || v.isNaN() ? "-" : String.format(Locale.ROOT, format, v))
        .append("</td>");
  }

  private static double max(List<Double> values) {
    double m = 0;
    for (Double v : values) {
      if (v != null && !v.isNaN()) {
        m = Math.max(m, v);
      }
    }
    return m;
  }
}
