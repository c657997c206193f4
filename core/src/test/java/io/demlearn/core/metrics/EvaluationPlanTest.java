package io.demlearn.core.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class EvaluationPlanTest {
  @Test
  void everyRoundAndEveryAgentByDefault() {
    EvaluationPlan p = new EvaluationPlan(7, 1, 5, 0, 1);
    assertThat(IntStream.range(0, 7).allMatch(p::evaluates)).isTrue();
    assertThat(p.scored()).containsExactly(0, 1, 2, 3, 4);
    assertThat(p.scoredAgents()).isEqualTo(5);
  }

  @Test
  void everyRthRoundAndTheLast() {
    EvaluationPlan p = new EvaluationPlan(12, 5, 5, 0, 1);
    assertThat(IntStream.range(0, 12).filter(p::evaluates).toArray()).containsExactly(0, 5, 10, 11);
  }

  @Test
  void aSampleIsSeededSortedAndTheSameEveryTime() {
    EvaluationPlan a = new EvaluationPlan(10, 1, 1000, 50, 7);
    int[] s = a.scored();
    assertThat(s).hasSize(50).isSorted().doesNotHaveDuplicates();
    assertThat(new EvaluationPlan(10, 1, 1000, 50, 7).scored()).containsExactly(s);
    assertThat(new EvaluationPlan(10, 1, 1000, 50, 8).scored()).isNotEqualTo(s);
    assertThat(IntStream.range(0, 1000).filter(a::scores).toArray()).containsExactly(s);
    // not simply the first agents
    assertThat(s[49]).isGreaterThan(49);
  }

  @Test
  void refusesImpossibleCounts() {
    assertThatThrownBy(() -> new EvaluationPlan(10, 0, 5, 0, 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new EvaluationPlan(10, 1, 5, 6, 1))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
