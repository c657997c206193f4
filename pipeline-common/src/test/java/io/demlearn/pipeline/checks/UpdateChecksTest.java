package io.demlearn.pipeline.checks;

import static org.assertj.core.api.Assertions.assertThat;

import io.demlearn.core.experiment.ExperimentSettings;
import io.demlearn.core.experiment.Participation;
import io.demlearn.pipeline.records.Experiment;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class UpdateChecksTest {
  private static Experiment experiment(double sampleFraction) {
    ExperimentSettings s =
        ExperimentSettings.builder()
            .dataset("synthetic")
            .agents(10)
            .rounds(12)
            .sampleFraction(sampleFraction)
            .build();
    List<String> ids = IntStream.range(0, 10).mapToObj(i -> "a-" + i).toList();
    return new Experiment("checks", s, ids, Experiment.defaultPolicy());
  }

  @Test
  void withEveryAgentTrainingRoundsFollowOneAnotherOrCatchUpAfterAClosedRound() {
    UpdateChecks checks = new UpdateChecks(experiment(1.0));
    assertThat(checks.followsOn("a-1", -1, 0, r -> false)).isTrue();
    assertThat(checks.followsOn("a-1", 2, 3, r -> false)).isTrue();
    assertThat(checks.followsOn("a-1", 2, 2, r -> false)).isFalse();
    assertThat(checks.followsOn("a-1", 2, 5, r -> false)).isFalse();
    assertThat(checks.followsOn("a-1", 2, 5, r -> r == 4)).isTrue();
    assertThat(checks.followsOn("a-1", 2, 5, r -> r == 3)).isFalse();
    assertThat(checks.followsOn("nobody", -1, 0, r -> false)).isFalse();
  }

  @Test
  void aSampledAgentReportsItsOwnRoundsOnly() {
    Experiment e = experiment(0.3);
    Participation p = e.settings().participation();
    UpdateChecks checks = new UpdateChecks(e);
    for (int agent = 0; agent < 10; agent++) {
      String id = "a-" + agent;
      int first = p.nextRound(agent, -1);
      int second = p.nextRound(agent, first);
      if (second >= 12) {
        continue;
      }
      assertThat(checks.followsOn(id, -1, first, r -> false)).isTrue();
      assertThat(checks.followsOn(id, first, second, r -> false)).isTrue();
      // a round that does not sample it, and a round of its own that skips one of its rounds
      for (int r = first + 1; r < second; r++) {
        assertThat(checks.followsOn(id, first, r, x -> true)).isFalse();
      }
      int third = p.nextRound(agent, second);
      if (third < 12) {
        assertThat(checks.followsOn(id, first, third, r -> false)).isFalse();
        assertThat(checks.followsOn(id, first, third, r -> r == second)).isTrue();
      }
    }
  }
}
