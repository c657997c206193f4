package io.demlearn.runner;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.demlearn.core.cluster.Dendrogram;
import io.demlearn.core.experiment.Participation;
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
import java.util.Map;
import java.util.function.Function;
import java.util.function.ToLongFunction;

/**
 * The experiment's report: one self-contained HTML page (inline SVG, no scripts, nothing fetched)
 * with C-SPE, C-GEN and Global per round, group metrics per level, the seconds per round, the
 * traffic per round by hop (runs through Kafka), the dendrogram of the latest hierarchy and every
 * setting. Charts tell their series apart by line style and marker as well as colour, so that they
 * read in grey scale too.
 */
final class Report {
  private static final String[] COLOURS = {
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"
  };

  /** Dash patterns, one per series (the first solid). */
  private static final String[] DASHES = {"", "7 3", "2 3", "9 3 2 3", "4 4", "12 4", "1 5"};

  /** Marker shapes, one per series; drawn on a few points of each line. */
  private static final String[] MARKERS = {
    "circle", "square", "triangle", "diamond", "cross", "plus", "star"
  };

  private Report() {}

  record Series(String name, List<Double> values) {}

  static void write(
      Path file,
      Map<String, Object> provenance,
      List<RoundMetrics> rounds,
      List<Double> seconds,
      List<RoundTraffic> traffic,
      Dendrogram dendrogram,
      List<String> agentIds)
      throws IOException {
    StringBuilder h = new StringBuilder();
    h.append("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>DemLearn report: ")
        .append(esc(String.valueOf(provenance.get("experiment"))))
        .append("</title><style>")
        .append(
            "body{font-family:sans-serif;max-width:1000px;margin:2em"
                + " auto;color:#222}h1{font-size:1.4em}")
        .append("h2{font-size:1.1em;margin-top:2em}table{border-collapse:collapse;font-size:.85em}")
        .append(
            "td,th{border:1px solid #ccc;padding:2px"
                + " 6px;text-align:right}pre{background:#f6f6f6;padding:1em;")
        .append("overflow:auto;font-size:.8em}</style></head><body>");
    h.append("<h1>DemLearn experiment ")
        .append(esc(String.valueOf(provenance.get("experiment"))))
        .append("</h1>");
    h.append("<p>").append(esc(String.valueOf(provenance.get("data")))).append("</p>");
    RoundMetrics last = RunOutput.lastEvaluated(rounds);
    if (last != null) {
      h.append(
          String.format(
              Locale.ROOT,
              "<p>Round %d: C-SPE <b>%s</b>, C-GEN <b>%s</b>, Global <b>%s</b>; "
                  + "median %.3f s per round.</p>",
              last.round(),
              SimulateCommand.Progress.accuracy(last.cSpe()),
              SimulateCommand.Progress.accuracy(last.cGen()),
              SimulateCommand.Progress.accuracy(last.global()),
              SimulateCommand.median(seconds)));
      long evaluated = rounds.stream().filter(RoundMetrics::evaluated).count();
      Map<?, ?> settings = provenance.get("settings") instanceof Map<?, ?> m ? m : Map.of();
      Object agents = settings.get("agents");
      Object fraction = settings.get("sample-fraction");
      boolean trainSample = fraction instanceof Number f && f.doubleValue() < 1;
      if (trainSample && agents instanceof Number n) {
        h.append(
            String.format(
                Locale.ROOT,
                "<p>Each round trains a seeded sample of %d of the %s agents (--sample-fraction"
                    + " %s); the others keep their models. C-SPE and C-GEN score the agents the"
                    + " round trains; group metrics count the agents each group model"
                    + " averaged.</p>",
                new Participation(n.intValue(), 1, ((Number) fraction).doubleValue(), 0).perRound(),
                agents,
                fraction));
      }
      Object evalAgents = settings.get("eval-agents");
      int scored =
          evalAgents instanceof Number e ? e.intValue() : last.scoredAgents(); // older runs
      boolean sampled = scored > 0 && agents instanceof Number n && n.intValue() != scored;
      if (evaluated < rounds.size() || sampled) {
        h.append(
            String.format(
                Locale.ROOT,
                "<p>Evaluated in %d of %d rounds (--eval-every); C-SPE and C-GEN score %s.</p>",
                evaluated,
                rounds.size(),
                sampled
                    ? "a seeded sample of "
                        + scored
                        + " of the "
                        + agents
                        + " agents, the same in every evaluated round (--eval-agents)"
                        + (trainSample ? ", those of them the round trains" : "")
                    : "every agent"));
      }
    }
    h.append("<h2>Agents and the global model</h2>");
    h.append(
        chart(
            List.of(
                series("C-SPE", rounds, RoundMetrics::cSpe),
                series("C-GEN", rounds, RoundMetrics::cGen),
                series("Global", rounds, RoundMetrics::global)),
            rounds.size(),
            0,
            1));
    int levels = rounds.stream().mapToInt(r -> r.gSpe().size()).max().orElse(0);
    if (levels > 0) {
      List<Series> spe = new ArrayList<>();
      List<Series> gen = new ArrayList<>();
      for (int l = 0; l < levels; l++) {
        int level = l;
        spe.add(
            series(
                "level " + (l + 1),
                rounds,
                r -> level < r.gSpe().size() ? r.gSpe().get(level) : null));
        gen.add(
            series(
                "level " + (l + 1),
                rounds,
                r -> level < r.gGen().size() ? r.gGen().get(level) : null));
      }
      h.append("<h2>Group models on their members' test data (G-SPE), by level</h2>")
          .append(chart(spe, rounds.size(), 0, 1));
      h.append("<h2>Group models on all test data (G-GEN), by level</h2>")
          .append(chart(gen, rounds.size(), 0, 1));
    }
    double maxSeconds = seconds.stream().mapToDouble(d -> d).max().orElse(1);
    List<Double> secs = new ArrayList<>(seconds);
    h.append("<h2>Seconds per round</h2>")
        .append(chart(List.of(new Series("seconds", secs)), rounds.size(), 0, maxSeconds * 1.1));
    h.append(traffic(rounds, traffic));
    if (dendrogram != null && dendrogram.leaves() > 1) {
      h.append("<h2>Dendrogram of the latest hierarchy</h2>")
          .append(dendrogramSvg(dendrogram, agentIds));
    }
    h.append("<h2>Settings</h2><pre>")
        .append(
            esc(
                new ObjectMapper()
                    .enable(SerializationFeature.INDENT_OUTPUT)
                    .writeValueAsString(provenance)))
        .append("</pre></body></html>\n");
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.writeString(tmp, h, StandardCharsets.UTF_8);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /**
   * Kilobytes per round by hop, and a table of the medians by hop and level; empty if no round has
   * traffic (a simulation writes no records).
   */
  private static String traffic(List<RoundMetrics> rounds, List<RoundTraffic> traffic) {
    if (traffic.stream().allMatch(t -> t == null)) {
      return "";
    }
    List<Series> hops =
        List.of(
            kilobytes("updates (agents up)", traffic, RoundTraffic::updates),
            kilobytes("sums up, all levels", traffic, t -> sum(t.sums())),
            kilobytes("group models, all levels", traffic, t -> sum(t.groupModels())),
            kilobytes("clustering", traffic, t -> t.features() + t.hierarchy()),
            kilobytes("to agents (paths)", traffic, RoundTraffic::toAgents));
    double max = 1;
    for (Series ser : hops) {
      for (Double v : ser.values()) {
        max = v == null ? max : Math.max(max, v);
      }
    }
    StringBuilder h = new StringBuilder();
    h.append("<h2>Traffic per round (kB of records), by hop</h2>")
        .append(chart(hops, rounds.size(), 0, max * 1.1));
    h.append("<table><tr><th>hop</th><th>median kB per round</th></tr>");
    row(h, "model updates, agents up", traffic, RoundTraffic::updates);
    row(h, "clustering features, agents up", traffic, RoundTraffic::features);
    row(h, "hierarchy versions, down", traffic, RoundTraffic::hierarchy);
    int levels = traffic.stream().mapToInt(t -> t == null ? 0 : t.sums().size()).max().orElse(0);
    for (int l = 0; l < levels; l++) {
      int level = l;
      row(
          h,
          "sums into level " + (l + 1) + ", up",
          traffic,
          t -> level < t.sums().size() ? t.sums().get(level) : 0);
      row(
          h,
          "group models of level " + (l + 1),
          traffic,
          t -> level < t.groupModels().size() ? t.groupModels().get(level) : 0);
    }
    row(h, "written to topics, all hops", traffic, RoundTraffic::written);
    row(h, "group models on every agent's path, down", traffic, RoundTraffic::toAgents);
    return h.append("</table>").toString();
  }

  private static Series kilobytes(
      String name, List<RoundTraffic> traffic, ToLongFunction<RoundTraffic> f) {
    List<Double> v = new ArrayList<>();
    traffic.forEach(t -> v.add(t == null ? null : f.applyAsLong(t) / 1000.0));
    return new Series(name, v);
  }

  private static void row(
      StringBuilder h, String name, List<RoundTraffic> traffic, ToLongFunction<RoundTraffic> f) {
    List<Double> values = new ArrayList<>();
    traffic.forEach(
        t -> {
          if (t != null) {
            values.add(f.applyAsLong(t) / 1000.0);
          }
        });
    h.append("<tr><td style=\"text-align:left\">")
        .append(esc(name))
        .append("</td><td>")
        .append(String.format(Locale.ROOT, "%.1f", SimulateCommand.median(values)))
        .append("</td></tr>");
  }

  static long sum(List<Long> values) {
    long s = 0;
    for (long v : values) {
      s += v;
    }
    return s;
  }

  private static Series series(
      String name, List<RoundMetrics> rounds, Function<RoundMetrics, Double> f) {
    List<Double> v = new ArrayList<>();
    rounds.forEach(r -> v.add(f.apply(r)));
    return new Series(name, v);
  }

  /** A line chart of {@code series} over rounds 0..points-1, the y axis from lo to hi. */
  static String chart(List<Series> series, int points, double lo, double hi) {
    int w = 900;
    int ht = 260;
    int left = 50;
    int bottom = 30;
    int n = Math.max(2, points);
    StringBuilder s = new StringBuilder();
    s.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"")
        .append(w)
        .append("\" height=\"")
        .append(ht + 20)
        .append("\" font-size=\"11\">");
    for (int t = 0; t <= 4; t++) {
      double v = lo + (hi - lo) * t / 4;
      double y = ht - bottom - (ht - bottom - 10) * t / 4.0;
      s.append(
          String.format(
              Locale.ROOT,
              "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>",
              left,
              w - 10,
              y,
              y));
      s.append(String.format(Locale.ROOT, "<text x=\"5\" y=\"%.1f\">%.2f</text>", y + 4, v));
    }
    s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">round</text>", w / 2, ht));
    for (int t = 0; t <= 4 && n > 2; t++) {
      int r = (int) Math.round((n - 1) * t / 4.0);
      double x = left + (w - 10 - left) * (double) r / (n - 1);
      s.append(
          String.format(
              Locale.ROOT,
              "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d</text>",
              x,
              ht - bottom + 14,
              r));
    }
    int legendX = left;
    int legendY = ht + 15;
    for (int i = 0; i < series.size(); i++) {
      Series ser = series.get(i);
      String colour = COLOURS[i % COLOURS.length];
      String marker = MARKERS[i % MARKERS.length];
      StringBuilder path = new StringBuilder();
      StringBuilder marks = new StringBuilder();
      int every = Math.max(1, ser.values().size() / 8);
      for (int r = 0; r < ser.values().size(); r++) {
        Double v = ser.values().get(r);
        if (v == null) {
          continue;
        }
        double x = left + (w - 10 - left) * (double) r / (n - 1);
        double y = ht - bottom - (ht - bottom - 10) * (v - lo) / (hi - lo);
        path.append(path.length() == 0 ? "M" : "L")
            .append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
        if ((r + i) % every == 0) {
          marks.append(marker(marker, x, y, colour));
        }
      }
      s.append("<g class=\"series\" data-name=\"")
          .append(esc(ser.name()))
          .append("\"><path d=\"")
          .append(path)
          .append("\" fill=\"none\" stroke=\"")
          .append(colour)
          .append("\" stroke-width=\"1.8\"")
          .append(dash(i))
          .append("/>")
          .append(marks)
          .append("</g>");
      int width = 40 + 7 * ser.name().length();
      if (legendX + width > w) {
        legendX = left;
        legendY += 16;
      }
      s.append(
          String.format(
              Locale.ROOT,
              "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"%s\""
                  + " stroke-width=\"1.8\"%s/>",
              legendX,
              legendX + 24,
              legendY - 4,
              legendY - 4,
              colour,
              dash(i)));
      s.append(marker(marker, legendX + 12, legendY - 4, colour));
      s.append(
          String.format(
              Locale.ROOT,
              "<text x=\"%d\" y=\"%d\" fill=\"%s\">%s</text>",
              legendX + 30,
              legendY,
              colour,
              esc(ser.name())));
      legendX += width;
    }
    String svg = s.append("</svg>").toString();
    int height = legendY + 8;
    return svg.replaceFirst("height=\"" + (ht + 20) + "\"", "height=\"" + height + "\"");
  }

  private static String dash(int i) {
    String d = DASHES[i % DASHES.length];
    return d.isEmpty() ? "" : " stroke-dasharray=\"" + d + "\"";
  }

  /** A marker of {@code shape} centred on (x, y). */
  private static String marker(String shape, double x, double y, String colour) {
    double r = 3.5;
    return switch (shape) {
      case "circle" ->
          String.format(
              Locale.ROOT,
              "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"%s\"/>",
              x,
              y,
              r,
              colour);
      case "square" ->
          String.format(
              Locale.ROOT,
              "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\""
                  + " stroke=\"%s\" stroke-width=\"1.5\"/>",
              x - r,
              y - r,
              2 * r,
              2 * r,
              colour);
      case "triangle" -> polygon(colour, x, y - r, x + r, y + r, x - r, y + r);
      case "diamond" -> polygon(colour, x, y - r - 1, x + r + 1, y, x, y + r + 1, x - r - 1, y);
      case "cross" -> lines(colour, x - r, y - r, x + r, y + r, x - r, y + r, x + r, y - r);
      case "plus" -> lines(colour, x - r - 1, y, x + r + 1, y, x, y - r - 1, x, y + r + 1);
      default ->
          String.format(
              Locale.ROOT,
              "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"none\" stroke=\"%s\"/>",
              x,
              y,
              r,
              colour);
    };
  }

  private static String polygon(String colour, double... xy) {
    StringBuilder p = new StringBuilder();
    for (int k = 0; k < xy.length; k += 2) {
      p.append(String.format(Locale.ROOT, "%.1f,%.1f ", xy[k], xy[k + 1]));
    }
    return "<polygon points=\"" + p.toString().trim() + "\" fill=\"" + colour + "\"/>";
  }

  private static String lines(String colour, double... xy) {
    StringBuilder p = new StringBuilder();
    for (int k = 0; k < xy.length; k += 4) {
      p.append(
          String.format(
              Locale.ROOT, "M%.1f,%.1f L%.1f,%.1f ", xy[k], xy[k + 1], xy[k + 2], xy[k + 3]));
    }
    return "<path d=\""
        + p.toString().trim()
        + "\" stroke=\""
        + colour
        + "\" stroke-width=\"1.5\"/>";
  }

  /** Leaves along the bottom in dendrogram order; each merge drawn at its distance. */
  private static String dendrogramSvg(Dendrogram d, List<String> ids) {
    int n = d.leaves();
    double[] x = new double[2 * n - 1];
    double[] y = new double[2 * n - 1];
    List<Integer> order = d.leavesBelow(2 * n - 2);
    int w = 900;
    int ht = 320;
    double maxDistance = d.merges().get(d.merges().size() - 1).distance();
    for (int i = 0; i < order.size(); i++) {
      x[order.get(i)] = 20 + (w - 40) * (i + 0.5) / n;
      y[order.get(i)] = ht - 60;
    }
    StringBuilder s = new StringBuilder();
    s.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"")
        .append(w)
        .append("\" height=\"")
        .append(ht)
        .append("\" font-size=\"9\">");
    for (int k = 0; k < d.merges().size(); k++) {
      Dendrogram.Merge m = d.merges().get(k);
      int node = n + k;
      x[node] = (x[m.left()] + x[m.right()]) / 2;
      y[node] = ht - 60 - (ht - 80) * (maxDistance == 0 ? 1 : m.distance() / maxDistance);
      s.append(
          String.format(
              Locale.ROOT,
              "<path d=\"M%.1f,%.1f V%.1f H%.1f V%.1f\" fill=\"none\" stroke=\"#1f77b4\"/>",
              x[m.left()],
              y[m.left()],
              y[node],
              x[m.right()],
              y[m.right()]));
    }
    for (int leaf : order) {
      s.append(
          String.format(
              Locale.ROOT,
              "<text transform=\"translate(%.1f,%d) rotate(60)\">%s</text>",
              x[leaf] - 2,
              ht - 55,
              esc(leaf < ids.size() ? ids.get(leaf) : Integer.toString(leaf))));
    }
    return s.append("</svg>").toString();
  }

  static String esc(String s) {
    return s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }
}
