package io.demlearn.core.experiment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ParticipationTest {
  @Test
  void everyRoundSamplesTheFloorOfTheFractionAndRoundsDiffer() {
    Participation p = new Participation(100, 20, 0.15, 7);
    assertThat(p.everyone()).isFalse();
    Set<String> distinct = new HashSet<>();
    for (int r = 0; r < 20; r++) {
      int[] agents = p.of(r);
      assertThat(agents).hasSize(15).isSorted();
      assertThat(Arrays.stream(agents).distinct().count()).isEqualTo(15);
      for (int a = 0; a < 100; a++) {
        assertThat(p.takesPart(a, r)).isEqualTo(Arrays.binarySearch(agents, a) >= 0);
      }
      distinct.add(Arrays.toString(agents));
    }
    assertThat(distinct).hasSizeGreaterThan(15);
  }

  @Test
  void theSameSeedDrawsTheSameAgentsAnotherSeedOthers() {
    Participation a = new Participation(50, 5, 0.2, 1);
    Participation b = new Participation(50, 5, 0.2, 1);
    Participation c = new Participation(50, 5, 0.2, 2);
    assertThat(a.of(3)).containsExactly(b.of(3));
    assertThat(a.of(3)).isNotEqualTo(c.of(3));
  }

  @Test
  void nextAndPreviousRoundsFindTheAgentsOwnRounds() {
    Participation p = new Participation(30, 12, 0.3, 3);
    for (int agent = 0; agent < 30; agent++) {
      int last = -1;
      for (int next = p.nextRound(agent, -1); next < 12; next = p.nextRound(agent, next)) {
        assertThat(p.takesPart(agent, next)).isTrue();
        assertThat(p.previousRound(agent, next)).isEqualTo(last);
        for (int r = last + 1; r < next; r++) {
          assertThat(p.takesPart(agent, r)).isFalse();
        }
        last = next;
      }
      assertThat(p.previousRound(agent, 12)).isEqualTo(last);
    }
  }

  @Test
  void aFractionOfOneIsEveryoneAndATinyOneStillOneAgent() {
    Participation all = new Participation(7, 3, 1.0, 1);
    assertThat(all.everyone()).isTrue();
    assertThat(all.of(2)).containsExactly(0, 1, 2, 3, 4, 5, 6);
    assertThat(all.nextRound(4, 0)).isEqualTo(1);
    assertThat(all.nextRound(4, 2)).isEqualTo(3);
    assertThat(new Participation(7, 3, 0.01, 1).of(0)).hasSize(1);
    assertThatThrownBy(() -> new Participation(7, 3, 0, 1))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
