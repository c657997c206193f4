package io.demlearn.core.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.demlearn.core.aggregate.Averaging;
import io.demlearn.core.aggregate.Weighting;
import io.demlearn.core.cluster.Linkage;
import io.demlearn.core.cluster.Metric;
import io.demlearn.core.data.AgentData;
import io.demlearn.core.model.ModelKind;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SimulatorTest {
  static ExperimentSettings settings(Algorithm algorithm, int agents, int rounds, int threads, double amplify) {
    return new ExperimentSettings(algorithm, ModelKind.MLR, "synthetic", null, null, agents, rounds, 5, 0.05, 10, 2,
        algorithm.defaultMu(), 0.7, 3, 1, amplify, 5, Metric.EUCLIDEAN, Linkage.AVERAGE,
        algorithm == Algorithm.FEDAVG || algorithm == Algorithm.FEDPROX ? Weighting.SAMPLES : Weighting.AGENTS, threads);
  }

  static List<String> run(ExperimentSettings s) {
    List<AgentData> data = ExperimentData.load(s).agents();
    List<String> lines = new ArrayList<>();
    try (Simulator sim = new Simulator(s, data)) {
      sim.run(r -> lines.add(MetricsJson.line(r.metrics(), 0, java.util.Map.of())));
    }
    return lines;
  }

  @Test
  void theSameSeedGivesTheSameMetricsBitForBitWhateverTheThreads() {
    List<String> one = run(settings(Algorithm.DEMLEARN_P, 12, 4, 1, 1.15));
    List<String> two = run(settings(Algorithm.DEMLEARN_P, 12, 4, 2, 1.15));
    assertThat(one).hasSize(4).isEqualTo(two);
    assertThat(one.get(3)).contains("\"gSpe\":[").doesNotContain("NaN");
  }

  @Test
  void demLearnLearnsAndHasGroupMetricsFromRoundOne() {
    List<String> lines = run(settings(Algorithm.DEMLEARN, 12, 4, 2, 1.0));
    assertThat(lines.get(0)).contains("\"global\":null").contains("\"gSpe\":[]");
    assertThat(lines.get(1)).contains("\"gSpe\":[").doesNotContain("\"global\":null");
    double first = Double.parseDouble(lines.get(0).replaceAll(".*\"cGen\":([0-9.E-]+).*", "$1"));
    double last = Double.parseDouble(lines.get(3).replaceAll(".*\"cGen\":([0-9.E-]+).*", "$1"));
    assertThat(last).isGreaterThan(first + 0.2);
  }

  @Test
  void fedAvgsGlobalModelIsTheSampleWeightedMeanAndAgentsAreEvaluatedOnTheirOwnModels() {
    ExperimentSettings s = settings(Algorithm.FEDAVG, 6, 2, 2, 1.0);
    List<AgentData> data = ExperimentData.load(s).agents();
    try (Simulator sim = new Simulator(s, data)) {
      List<Simulator.Round> rounds = new ArrayList<>();
      RoundState last = sim.run(rounds::add);
      int[] samples = data.stream().mapToInt(a -> a.train().size()).toArray();
      double[] w = java.util.Arrays.stream(samples).asDoubleStream().toArray();
      float[] expected = Averaging.weightedMean(last.evalModels(), w, 1.0);
      assertThat(last.global()).containsExactly(expected);
      assertThat(last.startModels()).allSatisfy(m -> assertThat(m).isSameAs(last.global()));
      assertThat(last.evalModels().get(0)).isNotEqualTo(last.global());
      assertThat(rounds.get(0).metrics().global()).isNotNull(); // the initial global model is evaluated
    }
  }

  @Test
  void localAndCentralisedRun() {
    assertThat(run(settings(Algorithm.LOCAL, 6, 2, 2, 1.0)).get(1)).contains("\"global\":null");
    List<String> central = run(settings(Algorithm.CENTRALISED, 6, 2, 2, 1.0));
    assertThat(central.get(1)).doesNotContain("\"global\":null");
  }

  @Test
  void impossibleSettingsAreRefusedByName() {
    assertThatThrownBy(() -> new ExperimentSettings(Algorithm.DEMLEARN, ModelKind.MLR, "synthetic", null, null, 5, 2, 1,
        0.05, 10, 2, 0, 0.7, 3, 1, 1, 5, Metric.COSINE, Linkage.WARD, Weighting.AGENTS, 1))
        .hasMessageContaining("--linkage ward needs --metric euclidean");
    assertThatThrownBy(() -> new ExperimentSettings(Algorithm.DEMLEARN, ModelKind.MLR, "synthetic", null, null, 5, 2, 1,
        0.05, 10, 2, 0.1, 0.7, 3, 1, 1, 5, Metric.EUCLIDEAN, Linkage.AVERAGE, Weighting.AGENTS, 1))
        .hasMessageContaining("--mu 0.1 has no effect with --algorithm demlearn").hasMessageContaining("demlearn-p");
    assertThatThrownBy(() -> new ExperimentSettings(Algorithm.FEDAVG, ModelKind.MLR, "cifar", null, null, 5, 2, 1,
        0.05, 10, 2, 0, 0.7, 3, 1, 1, 5, Metric.EUCLIDEAN, Linkage.AVERAGE, Weighting.AGENTS, 1))
        .hasMessageContaining("unknown --dataset 'cifar'");
    assertThatThrownBy(() -> new ExperimentSettings(Algorithm.FEDAVG, ModelKind.MLR, "synthetic", null,
        java.nio.file.Path.of("p.json"), 5, 2, 1, 0.05, 10, 2, 0, 0.7, 3, 1, 1, 5, Metric.EUCLIDEAN, Linkage.AVERAGE,
        Weighting.AGENTS, 1)).hasMessageContaining("--partition-file").hasMessageContaining("synthetic");
    assertThatThrownBy(() -> new ExperimentSettings(Algorithm.FEDAVG, ModelKind.MLR, "synthetic", null, null, 5, 2, 1,
        -1, 10, 2, 0, 0.7, 3, 1, 1, 5, Metric.EUCLIDEAN, Linkage.AVERAGE, Weighting.AGENTS, 1))
        .hasMessageContaining("learning rate");
    assertThatThrownBy(() -> new ExperimentSettings(Algorithm.FEDAVG, ModelKind.MLR, "synthetic", null, null, 5, 2, 1,
        0.05, 10, 2, 0, 1.5, 3, 1, 1, 5, Metric.EUCLIDEAN, Linkage.AVERAGE, Weighting.AGENTS, 1))
        .hasMessageContaining("--alpha must be in [0, 1]");
  }
}
