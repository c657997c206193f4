package io.demlearn.core.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.demlearn.core.aggregate.Averaging;
import io.demlearn.core.aggregate.Weighting;
import io.demlearn.core.cluster.Hierarchy;
import io.demlearn.core.cluster.Linkage;
import io.demlearn.core.cluster.Metric;
import io.demlearn.core.data.AgentData;
import io.demlearn.core.experiment.Algorithm;
import io.demlearn.core.experiment.ExperimentData;
import io.demlearn.core.experiment.ExperimentDefaults;
import io.demlearn.core.experiment.ExperimentSettings;
import io.demlearn.core.experiment.ExperimentSettingsBuilder;
import io.demlearn.core.experiment.Participation;
import io.demlearn.core.metrics.MetricsJson;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SimulatorTest {
  static ExperimentSettings settings(
      Algorithm algorithm, int agents, int rounds, int threads, double amplify) {
    return synthetic()
        .algorithm(algorithm)
        .agents(agents)
        .rounds(rounds)
        .threads(threads)
        .amplify(amplify)
        .build();
  }

  /** Five agents of the synthetic data set, seed 5, two rounds. */
  static ExperimentSettingsBuilder synthetic() {
    return ExperimentSettings.builder()
        .dataset("synthetic")
        .seed(5L)
        .agents(5)
        .rounds(2)
        .threads(1);
  }

  static List<String> run(ExperimentSettings s) {
    List<AgentData> data = ExperimentData.load(s).agents();
    List<String> lines = new ArrayList<>();
    try (Simulator sim = new Simulator(s, data)) {
      sim.run(r -> lines.add(MetricsJson.line(r.metrics(), 0, Map.of())));
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
      long[] w = Arrays.stream(samples).asLongStream().toArray();
      float[] expected = Averaging.weightedMean(last.evalModels(), w, 1.0);
      assertThat(last.global()).containsExactly(expected);
      assertThat(last.startModels()).allSatisfy(m -> assertThat(m).isSameAs(last.global()));
      assertThat(last.evalModels().get(0)).isNotEqualTo(last.global());
      assertThat(rounds.get(0).metrics().global())
          .isNotNull(); // the initial global model is evaluated
    }
  }

  @Test
  void localAndCentralisedRun() {
    assertThat(run(settings(Algorithm.LOCAL, 6, 2, 2, 1.0)).get(1)).contains("\"global\":null");
    List<String> central = run(settings(Algorithm.CENTRALISED, 6, 2, 2, 1.0));
    assertThat(central.get(1)).doesNotContain("\"global\":null");
  }

  @Test
  void aSampledRoundTrainsOnlyItsAgentsTheOthersKeepTheirModels() {
    ExperimentSettings s =
        synthetic()
            .algorithm(Algorithm.DEMLEARN_P)
            .agents(12)
            .rounds(4)
            .threads(2)
            .sampleFraction(0.5)
            .build();
    Participation p = s.participation();
    List<AgentData> data = ExperimentData.load(s).agents();
    try (Simulator sim = new Simulator(s, data)) {
      List<Simulator.Round> rounds = new ArrayList<>();
      RoundState last = sim.run(rounds::add);
      for (int r = 0; r < 4; r++) {
        List<float[]> before = rounds.get(r).state().latest();
        List<float[]> after = r == 3 ? last.latest() : rounds.get(r + 1).state().latest();
        assertThat(p.of(r)).hasSize(6);
        assertThat(rounds.get(r).metrics().scoredAgents()).isEqualTo(6);
        for (int a = 0; a < 12; a++) {
          // an agent of the round trained to a new model; the others kept theirs
          assertThat(after.get(a) == before.get(a)).isEqualTo(!p.takesPart(a, r));
          assertThat(Arrays.equals(after.get(a), before.get(a))).isEqualTo(!p.takesPart(a, r));
        }
      }
      // group metrics count the agents each group model averaged: the round's six
      assertThat(rounds.get(2).metrics().groupMembers().get(Hierarchy.ROOT)).isEqualTo(6);
    }
    // sampling is seeded: the same run again gives the same metrics
    assertThat(run(s)).isEqualTo(run(s));
    assertThat(run(s)).isNotEqualTo(run(s.toBuilder().sampleFraction(1.0).build()));
  }

  @Test
  void fedAvgsAbsentAgentsStartFromTheNewestGlobalModel() {
    ExperimentSettings s =
        synthetic().algorithm(Algorithm.FEDAVG).agents(10).rounds(3).sampleFraction(0.3).build();
    List<AgentData> data = ExperimentData.load(s).agents();
    try (Simulator sim = new Simulator(s, data)) {
      RoundState last = sim.run(r -> {});
      assertThat(last.startModels()).allSatisfy(m -> assertThat(m).isSameAs(last.global()));
      Participation p = s.participation();
      int absent = 0;
      while (p.takesPart(absent, 2)) {
        absent++;
      }
      // evaluated with its own latest model, not the global one
      assertThat(last.evalModels().get(absent)).isSameAs(last.latest().get(absent));
    }
  }

  @Test
  void impossibleSettingsAreRefusedByName() {
    assertThatThrownBy(
            () ->
                synthetic()
                    .algorithm(Algorithm.DEMLEARN)
                    .metric(Metric.COSINE)
                    .linkage(Linkage.WARD)
                    .build())
        .hasMessageContaining("--linkage ward needs --metric euclidean");
    assertThatThrownBy(() -> synthetic().algorithm(Algorithm.DEMLEARN).mu(0.1).build())
        .hasMessageContaining("--mu 0.1 has no effect with --algorithm demlearn")
        .hasMessageContaining("demlearn-p");
    assertThatThrownBy(() -> synthetic().algorithm(Algorithm.FEDAVG).dataset("cifar").build())
        .hasMessageContaining("unknown --dataset 'cifar'");
    assertThatThrownBy(() -> synthetic().partitionFile(Path.of("p.json")).build())
        .hasMessageContaining("--partition-file")
        .hasMessageContaining("synthetic");
    assertThatThrownBy(() -> synthetic().learningRate(-1.0).build())
        .hasMessageContaining("learning rate");
    assertThatThrownBy(() -> synthetic().sampleFraction(1.5).build())
        .hasMessageContaining("--sample-fraction must be in (0, 1], got 1.5");
    assertThatThrownBy(
            () -> synthetic().algorithm(Algorithm.CENTRALISED).sampleFraction(0.5).build())
        .hasMessageContaining("--sample-fraction")
        .hasMessageContaining("centralised");
  }

  @Test
  void defaultsFollowTheAlgorithmAndTheDataSet() {
    ExperimentSettings demlearnP = synthetic().build();
    assertThat(demlearnP.algorithm()).isEqualTo(Algorithm.DEMLEARN_P);
    assertThat(demlearnP.mu()).isEqualTo(0.002);
    assertThat(demlearnP.weighting()).isEqualTo(Weighting.AGENTS);
    assertThat(demlearnP.alpha()).isEqualTo(0.7);
    ExperimentSettings fedProx = synthetic().algorithm(Algorithm.FEDPROX).build();
    assertThat(fedProx.mu()).isEqualTo(0.5);
    assertThat(fedProx.weighting()).isEqualTo(Weighting.SAMPLES);
    assertThat(synthetic().algorithm(Algorithm.DEMLEARN).build().mu()).isZero();
    assertThat(synthetic().dataset("mnist").build().alpha()).isEqualTo(0.6);
    // an explicit value wins over the default, and null means the default
    assertThat(
            synthetic().algorithm(Algorithm.FEDAVG).weighting(Weighting.AGENTS).build().weighting())
        .isEqualTo(Weighting.AGENTS);
    assertThat(synthetic().alpha(null).rounds(null).build().rounds())
        .isEqualTo(ExperimentDefaults.ROUNDS);
    // a copy changed in one setting keeps the others
    ExperimentSettings changed = demlearnP.toBuilder().rounds(7).build();
    assertThat(changed.rounds()).isEqualTo(7);
    assertThat(changed.toBuilder().rounds(demlearnP.rounds()).build()).isEqualTo(demlearnP);
  }
}
