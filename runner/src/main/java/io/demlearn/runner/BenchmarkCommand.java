package io.demlearn.runner;

import io.demlearn.core.Seeds;
import io.demlearn.core.cluster.Agglomerative;
import io.demlearn.core.cluster.Dendrogram;
import io.demlearn.core.cluster.Linkage;
import io.demlearn.core.cluster.Metric;
import io.demlearn.core.model.Tensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code demlearn benchmark cluster}: times agglomerative clustering of random agent models (after
 * a warm-up), and reports the median and the process's peak resident memory. Benchmarks live here,
 * apart from the tests; their figures and commands are in docs/BENCHMARKS.md.
 */
@Command(
    name = "benchmark",
    mixinStandardHelpOptions = true,
    description = "Micro-benchmarks (see docs/BENCHMARKS.md).",
    subcommands = {
      BenchmarkCommand.Cluster.class,
      AggregatorBenchmark.class,
      ProjectionBenchmark.class,
      SigningBenchmark.class
    })
final class BenchmarkCommand {

  @Command(
      name = "cluster",
      mixinStandardHelpOptions = true,
      description =
          "Time clustering of N random vectors of D floats; print the median and peak memory.")
  static final class Cluster implements Callable<Integer> {
    @Option(
        names = "--agents",
        defaultValue = "50",
        paramLabel = "N",
        description = "Vectors (default: ${DEFAULT-VALUE}).")
    int agents;

    @Option(
        names = "--dim",
        defaultValue = "7850",
        paramLabel = "D",
        description = "Floats per vector (default: ${DEFAULT-VALUE}).")
    int dim;

    @Option(
        names = "--repeats",
        defaultValue = "7",
        paramLabel = "R",
        description = "Timed repetitions (default: ${DEFAULT-VALUE}).")
    int repeats;

    @Option(names = "--metric", defaultValue = "euclidean")
    String metric;

    @Option(names = "--linkage", defaultValue = "average")
    String linkage;

    @Override
    public Integer call() {
      if (agents < 2 || dim < 1 || repeats < 1) {
        throw new UserException("--agents must be >= 2, --dim and --repeats >= 1");
      }
      Tensors.init();
      Metric m = Metric.parse(metric);
      Linkage l = Linkage.parse(linkage);
      // models around a few centres, like agents trained on a few label pairs
      SplittableRandom random = Seeds.random(1, "benchmark-cluster", 0);
      float[][] centres = new float[10][dim];
      for (float[] c : centres) {
        for (int k = 0; k < dim; k++) {
          c[k] = (float) random.nextGaussian();
        }
      }
      float[][] x = new float[agents][dim];
      for (int i = 0; i < agents; i++) {
        float[] c = centres[random.nextInt(centres.length)];
        for (int k = 0; k < dim; k++) {
          x[i][k] = c[k] + (float) (0.3 * random.nextGaussian());
        }
      }
      long rssBefore = peakRssKb();
      Dendrogram first = null;
      for (int w = 0; w < 10; w++) {
        first = Agglomerative.cluster(x, m, l);
      }
      List<Double> ms = new ArrayList<>();
      for (int r = 0; r < repeats; r++) {
        long t0 = System.nanoTime();
        Dendrogram d = Agglomerative.cluster(x, m, l);
        ms.add((System.nanoTime() - t0) / 1e6);
        if (!d.equals(first)) {
          throw new IllegalStateException("clustering is not deterministic");
        }
      }
      System.out.printf(
          Locale.ROOT,
          "cluster %d x %d (%s, %s): median %.2f ms (min %.2f, max %.2f, %d runs); peak RSS %d MB"
              + " (%d MB before clustering)%n",
          agents,
          dim,
          m.label(),
          l.label(),
          SimulateCommand.median(ms),
          ms.stream().mapToDouble(d -> d).min().orElse(0),
          ms.stream().mapToDouble(d -> d).max().orElse(0),
          repeats,
          peakRssKb() / 1024,
          rssBefore / 1024);
      return 0;
    }

    /** VmHWM of this process, in kB (0 where /proc is missing). */
    static long peakRssKb() {
      try {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
          if (line.startsWith("VmHWM:")) {
            return Long.parseLong(line.replaceAll("[^0-9]", ""));
          }
        }
      } catch (IOException | NumberFormatException e) {
        // not Linux
      }
      return 0;
    }
  }
}
