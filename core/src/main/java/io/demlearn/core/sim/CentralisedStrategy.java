package io.demlearn.core.sim;

import io.demlearn.core.cluster.Hierarchy;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * The centralised reference: one model trained on the union of every agent's training data. Every
 * agent is evaluated with that model, and it is also the Global model.
 */
public record CentralisedStrategy() implements Strategy {
  @Override
  public RoundState initial(float[] initialModel, int agents) {
    List<float[]> same = Collections.nCopies(agents, initialModel);
    return new RoundState(Hierarchy.flat(agents), null, 0, same, same, Collections.nCopies(agents, null),
        Map.of(Hierarchy.ROOT, initialModel), initialModel);
  }

  @Override
  public RoundState aggregate(int round, List<float[]> trained, int[] trainSamples, RoundState previous) {
    float[] model = trained.get(0);
    List<float[]> same = Collections.nCopies(trained.size(), model);
    return new RoundState(previous.hierarchy(), null, 0, same, same, previous.proxTargets(),
        Map.of(Hierarchy.ROOT, model), model);
  }

  @Override
  public boolean federated() {
    return false;
  }
}
