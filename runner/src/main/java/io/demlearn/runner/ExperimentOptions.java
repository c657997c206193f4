package io.demlearn.runner;

import io.demlearn.core.aggregate.Weighting;
import io.demlearn.core.cluster.Linkage;
import io.demlearn.core.cluster.Metric;
import io.demlearn.core.data.ImagePool;
import io.demlearn.core.model.ModelKind;
import io.demlearn.core.sim.Algorithm;
import io.demlearn.core.sim.ExperimentSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The experiment options shared by {@code simulate} and {@code run} (DESIGN.md section 7). Left
 * out, a setting takes the authors' default for the chosen algorithm and data set.
 */
final class ExperimentOptions {
  @Option(names = "--algorithm", defaultValue = "demlearn-p", paramLabel = "A",
      description = "demlearn, demlearn-p, fedavg, fedprox, local or centralised (default: ${DEFAULT-VALUE}).")
  String algorithm;

  @Option(names = "--model", defaultValue = "mlr", paramLabel = "M", description = "mlr, mlp or cnn (default: ${DEFAULT-VALUE}).")
  String model;

  @Option(names = "--dataset", defaultValue = "auto", paramLabel = "D",
      description = "fashion-mnist, mnist or synthetic; auto: fashion-mnist if Debian's package dataset-fashion-mnist"
          + " is installed (or --data-dir / --partition-file is given), else synthetic (default: ${DEFAULT-VALUE}).")
  String dataset;

  @Option(names = "--data-dir", paramLabel = "DIR", description = "Directory of the IDX files (default: "
      + "/usr/share/datasets/fashion-mnist).")
  Path dataDir;

  @Option(names = "--partition-file", paramLabel = "FILE",
      description = "Load the agents' split from this file (e.g. ../shared/benchmarks/fmnist-50agents-seed1.json).")
  Path partitionFile;

  @Option(names = "--agents", paramLabel = "N", description = "Agents (default: 50, or all of the partition file).")
  Integer agents;

  @Option(names = "--rounds", defaultValue = "100", paramLabel = "R", description = "Global rounds (default: ${DEFAULT-VALUE}).")
  int rounds;

  @Option(names = "--seed", defaultValue = "1", paramLabel = "S", description = "Random seed (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--learning-rate", defaultValue = "0.05", paramLabel = "LR", description = "Local SGD step (default: ${DEFAULT-VALUE}).")
  double learningRate;

  @Option(names = "--batch-size", defaultValue = "10", paramLabel = "B", description = "Local batch size (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(names = "--local-epochs", defaultValue = "2", paramLabel = "E", description = "Local epochs per round (default: ${DEFAULT-VALUE}).")
  int localEpochs;

  @Option(names = "--mu", paramLabel = "MU",
      description = "Proximal weight (default: demlearn-p 0.002, fedprox 0.5 as the authors' code, else 0).")
  Double mu;

  @Option(names = "--alpha", paramLabel = "A", description = "Top-down mixing weight (default: 0.7; 0.6 for mnist).")
  Double alpha;

  @Option(names = "--levels", defaultValue = "3", paramLabel = "K", description = "Group levels below the root (default: ${DEFAULT-VALUE}).")
  int levels;

  @Option(names = "--recluster-every", defaultValue = "1", paramLabel = "T",
      description = "Rebuild the hierarchy every T rounds (default: ${DEFAULT-VALUE}).")
  int reclusterEvery;

  @Option(names = "--amplify", defaultValue = "1.0", paramLabel = "F",
      description = "Multiply averaged models by F in the first --amplify-rounds rounds, at every level (the authors'"
          + " code: 1.15, used for their figures); 1.0 is off (default: ${DEFAULT-VALUE}).")
  double amplify;

  @Option(names = "--amplify-rounds", defaultValue = "5", paramLabel = "N",
      description = "Rounds (from 0) in which --amplify applies (default: ${DEFAULT-VALUE}).")
  int amplifyRounds;

  @Option(names = "--metric", defaultValue = "euclidean", paramLabel = "M", description = "euclidean or cosine (default: ${DEFAULT-VALUE}).")
  String metric;

  @Option(names = "--linkage", defaultValue = "average", paramLabel = "L",
      description = "average, single, complete or ward (default: ${DEFAULT-VALUE}).")
  String linkage;

  @Option(names = "--weighting", paramLabel = "W",
      description = "Group means weigh members by agents or samples (default: samples for fedavg/fedprox, else agents).")
  String weighting;

  @Option(names = "--threads", paramLabel = "N", description = "Worker threads (default: the number of cores).")
  Integer threads;

  /** The settings these options describe, with the defaults filled in. */
  ExperimentSettings settings() {
    try {
      Algorithm alg = Algorithm.parse(algorithm);
      String ds = resolveDataset();
      boolean fed = alg == Algorithm.FEDAVG || alg == Algorithm.FEDPROX;
      return new ExperimentSettings(alg, ModelKind.parse(model), ds, dataDir, partitionFile,
          agents != null ? agents : partitionFile != null ? countAgents(partitionFile) : 50, rounds, seed, learningRate,
          batchSize, localEpochs, mu != null ? mu : alg.defaultMu(), alpha != null ? alpha : ds.equals("mnist") ? 0.6 : 0.7,
          levels, reclusterEvery, amplify, amplifyRounds, Metric.parse(metric), Linkage.parse(linkage),
          weighting != null ? Weighting.parse(weighting) : fed ? Weighting.SAMPLES : Weighting.AGENTS,
          threads != null ? threads : Runtime.getRuntime().availableProcessors());
    } catch (IllegalArgumentException e) {
      throw new UserException(e.getMessage(), e);
    }
  }

  private String resolveDataset() {
    if (!dataset.equals("auto")) {
      return dataset;
    }
    if (dataDir != null || partitionFile != null || Files.isDirectory(ImagePool.DEBIAN_FASHION_MNIST)) {
      return "fashion-mnist";
    }
    return "synthetic";
  }

  private static int countAgents(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new UserException("partition file " + file + " does not exist");
    }
    try {
      var root = new com.fasterxml.jackson.databind.ObjectMapper().readTree(file.toFile());
      var list = root.get("agents");
      if (list == null || !list.isArray()) {
        throw new UserException("partition file " + file + " has no \"agents\" array");
      }
      return list.size();
    } catch (java.io.IOException e) {
      throw new UserException("partition file " + file + " is not valid JSON: " + e.getMessage(), e);
    }
  }
}
