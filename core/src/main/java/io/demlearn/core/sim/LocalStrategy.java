package io.demlearn.core.sim;

import java.util.Collections;
import java.util.List;
import java.util.Map;

/** No federation: every agent keeps training its own model on its own data. */
public record LocalStrategy() implements Strategy {
  @Override
  public RoundState initial(float[] initialModel, int agents) {
    List<float[]> same = Collections.nCopies(agents, initialModel);
    return new RoundState(null, null, -1, same, same, Collections.nCopies(agents, null), Map.of(), null);
  }

  @Override
  public RoundState aggregate(int round, List<float[]> trained, int[] trainSamples, RoundState previous) {
    List<float[]> mine = List.copyOf(trained);
    return new RoundState(null, null, -1, mine, mine, previous.proxTargets(), Map.of(), null);
  }
}
