package io.demlearn.runner;

import io.demlearn.core.Seeds;
import io.demlearn.core.cluster.AdjustedRand;
import io.demlearn.core.cluster.Agglomerative;
import io.demlearn.core.cluster.Dendrogram;
import io.demlearn.core.cluster.Hierarchy;
import io.demlearn.core.cluster.PairwiseDistances;
import io.demlearn.core.experiment.ExperimentData;
import io.demlearn.core.experiment.ExperimentSettings;
import io.demlearn.core.sim.Simulator;
import io.demlearn.core.strategy.ClusteringPolicy;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code demlearn benchmark projection}: how far clustering a random projection of the agents'
 * models strays from clustering the full models. Runs an experiment with exact clustering and, in
 * every round, also clusters that round's trained models after projecting them to each of the given
 * dimensions, then compares the groups of every level of the K-level cut by the adjusted Rand index
 * (1: the same groups), and times both clusterings.
 */
@Command(
    name = "projection",
    mixinStandardHelpOptions = true,
    description =
        "Adjusted Rand index of the hierarchy's groups, random projection against exact, per round"
            + " and level, with the time of each clustering.")
final class ProjectionBenchmark implements Callable<Integer> {
  @Mixin ExperimentOptions experiment;

  @Option(
      names = "--dims",
      split = ",",
      defaultValue = "64,128,256,512",
      paramLabel = "D",
      description = "Projection dimensions to compare (default: ${DEFAULT-VALUE}).")
  List<Integer> dims;

  @Option(
      names = "--csv",
      paramLabel = "FILE",
      description = "Also write one row per round, dimension and level to this file.")
  Path csv;

  @Override
  public Integer call() throws IOException {
    ExperimentSettings settings = experiment.settings().toBuilder().clusterDims(0).build();
    ExperimentData.Loaded data = ExperimentOptions.load(settings);
    System.out.printf(
        Locale.ROOT,
        "projection against exact clustering: %s, %d agents, %d rounds, %s linkage, %s (%s)%n",
        settings.algorithm().label(),
        settings.agents(),
        settings.rounds(),
        settings.linkage().label(),
        settings.metric().label(),
        data.source());
    List<String> rows = new ArrayList<>();
    rows.add("round,dims,level,ari,projected_seconds,exact_seconds");
    List<List<Double>> worst = new ArrayList<>();
    List<List<Double>> seconds = new ArrayList<>();
    for (int i = 0; i < dims.size(); i++) {
      worst.add(new ArrayList<>());
      seconds.add(new ArrayList<>());
    }
    List<Double> exactSeconds = new ArrayList<>();
    List<Double> baseline = new ArrayList<>();
    try (Simulator sim = new Simulator(settings, data.agents())) {
      sim.run(
          r -> {
            int round = r.metrics().round();
            long t0 = System.nanoTime();
            double[] distances =
                PairwiseDistances.compute(r.trained().toArray(new float[0][]), settings.metric());
            Hierarchy reference =
                Hierarchy.fromDendrogram(
                    Agglomerative.fromCondensed(
                        distances.clone(), r.trained().size(), settings.linkage()),
                    settings.levels());
            double exactS = (System.nanoTime() - t0) / 1e9;
            exactSeconds.add(exactS);
            StringBuilder line = new StringBuilder();
            line.append(
                String.format(
                    Locale.ROOT,
                    "round %3d  exact %6.2f s, level-1 group sizes %s",
                    round,
                    exactS,
                    sizes(reference)));
            // how stable the exact cut itself is: the exact distances, each moved by a relative
            // 0.1% (independent Gaussian noise), clustered again
            Hierarchy nudged = nudgedCut(distances, r.trained().size(), settings, round);
            double stable = 1;
            for (int level = 1; level <= settings.levels(); level++) {
              stable =
                  Math.min(
                      stable,
                      AdjustedRand.index(
                          AdjustedRand.labelsAt(reference, level),
                          AdjustedRand.labelsAt(nudged, level)));
            }
            baseline.add(stable);
            line.append(
                String.format(Locale.ROOT, "; exact, distances nudged 0.1%%: ARI %.3f", stable));
            for (int i = 0; i < dims.size(); i++) {
              ClusteringPolicy projected =
                  new ClusteringPolicy(
                      settings.metric(), settings.linkage(), dims.get(i), settings.seed());
              long t1 = System.nanoTime();
              Hierarchy tree = cut(projected, r.trained(), settings.levels());
              double s = (System.nanoTime() - t1) / 1e9;
              seconds.get(i).add(s);
              double min = 1;
              StringBuilder levels = new StringBuilder();
              for (int level = 1; level <= settings.levels(); level++) {
                double ari =
                    AdjustedRand.index(
                        AdjustedRand.labelsAt(reference, level),
                        AdjustedRand.labelsAt(tree, level));
                min = Math.min(min, ari);
                levels.append(String.format(Locale.ROOT, "%s%.3f", level > 1 ? "/" : "", ari));
                rows.add(
                    String.format(
                        Locale.ROOT,
                        "%d,%d,%d,%.6f,%.4f,%.4f",
                        round,
                        dims.get(i),
                        level,
                        ari,
                        s,
                        exactS));
              }
              worst.get(i).add(min);
              line.append(
                  String.format(Locale.ROOT, "  | %d dims %5.2f s ARI %s", dims.get(i), s, levels));
            }
            System.out.println(line);
          });
    }
    System.out.println(
        "summary (ARI: the lowest over levels 1.."
            + settings.levels()
            + " per round; median and minimum over rounds):");
    System.out.printf(
        Locale.ROOT,
        "  exact: median %.2f s; exact with distances nudged by 0.1%%: ARI median %.4f, minimum"
            + " %.4f%n",
        SimulateCommand.median(exactSeconds),
        SimulateCommand.median(baseline),
        baseline.stream().mapToDouble(d -> d).min().orElse(Double.NaN));
    for (int i = 0; i < dims.size(); i++) {
      double[] w = worst.get(i).stream().mapToDouble(d -> d).sorted().toArray();
      System.out.printf(
          Locale.ROOT,
          "  %d dims: ARI median %.4f, minimum %.4f; median %.2f s%n",
          dims.get(i),
          SimulateCommand.median(worst.get(i)),
          Arrays.stream(w).min().orElse(Double.NaN),
          SimulateCommand.median(seconds.get(i)));
    }
    if (csv != null) {
      try (PrintWriter out = new PrintWriter(Files.newBufferedWriter(csv))) {
        rows.forEach(out::println);
      }
      System.out.println("rows: " + csv);
    }
    return 0;
  }

  /** Level-1 group sizes, largest first (at most eight shown), and how many agents hang higher. */
  private static String sizes(Hierarchy tree) {
    int[] s = tree.atLevel(1).stream().mapToInt(Hierarchy.Group::agentCount).sorted().toArray();
    StringBuilder b = new StringBuilder("[");
    int inGroups = 0;
    for (int i = s.length - 1; i >= 0; i--) {
      inGroups += s[i];
      if (i < s.length - 1) {
        b.append(' ');
      }
      b.append(s[i]);
    }
    return b.append("] + ").append(tree.agents() - inGroups).append(" above").toString();
  }

  /**
   * The K-level cut of the exact distances {@code d} (consumed) of n agents, each multiplied by (1
   * + 0.001 g), g standard normal, seeded per round: how far the exact cut itself moves under a
   * 0.1% error in the distances.
   */
  private static Hierarchy nudgedCut(double[] d, int n, ExperimentSettings settings, int round) {
    SplittableRandom random = Seeds.random(settings.seed(), "nudged-distances", round);
    for (int i = 0; i < d.length; i++) {
      d[i] *= 1 + 0.001 * random.nextGaussian();
    }
    return Hierarchy.fromDendrogram(
        Agglomerative.fromCondensed(d, n, settings.linkage()), settings.levels());
  }

  private static Hierarchy cut(ClusteringPolicy policy, List<float[]> models, int levels) {
    Dendrogram d = policy.cluster(models);
    return Hierarchy.fromDendrogram(d, levels);
  }
}
