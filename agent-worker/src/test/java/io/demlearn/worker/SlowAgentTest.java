package io.demlearn.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class SlowAgentTest {
  @Test
  void aDelayInEveryRoundOrInSomeAndBackToText() {
    SlowAgent always = SlowAgent.parse("2.5", Duration.ofSeconds(1));
    assertThat(always.delayIn(0)).isEqualTo(Duration.ofMillis(2500));
    assertThat(always.delayIn(1_000_000)).isEqualTo(Duration.ofMillis(2500));
    SlowAgent some = SlowAgent.parse("0.5@3-4", Duration.ofSeconds(1));
    assertThat(some.delayIn(2)).isZero();
    assertThat(some.delayIn(3)).isEqualTo(Duration.ofMillis(500));
    assertThat(some.delayIn(4)).isEqualTo(Duration.ofMillis(500));
    assertThat(some.delayIn(5)).isZero();
    assertThat(SlowAgent.parse("200@7", Duration.ofMillis(1)))
        .isEqualTo(new SlowAgent(Duration.ofMillis(200), 7, 7));
    for (SlowAgent s : new SlowAgent[] {always, some}) {
      assertThat(SlowAgent.parse(s.toMillisText(), Duration.ofMillis(1))).isEqualTo(s);
    }
  }

  @Test
  void badTextSaysWhatIsWrong() {
    assertThatThrownBy(() -> SlowAgent.parse("soon", Duration.ofSeconds(1)))
        .hasMessageContaining("'soon' is not a number");
    assertThatThrownBy(() -> SlowAgent.parse("-1", Duration.ofSeconds(1)))
        .hasMessageContaining("must be >= 0");
    assertThatThrownBy(() -> SlowAgent.parse("1@x", Duration.ofSeconds(1)))
        .hasMessageContaining("'x' is not a round");
    assertThatThrownBy(() -> SlowAgent.parse("1@5-2", Duration.ofSeconds(1)))
        .hasMessageContaining("0 <= FROM <= TO");
  }
}
