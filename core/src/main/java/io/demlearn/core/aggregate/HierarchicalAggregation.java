package io.demlearn.core.aggregate;

import io.demlearn.core.cluster.Hierarchy;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * DemLearn's two passes over the hierarchy (Nguyen et al., Algorithm 1 "Democratized learning":
 * bottom-up aggregation, then top-down generalisation). Bottom-up, a group's model is the weighted
 * mean of its members (agents and sub-groups), each sub-group weighted by its agents (or samples),
 * times an optional Amplify factor applied at every level (so it compounds toward the root).
 * Top-down, from the root, every sub-group becomes (1-alpha) g + alpha g'_parent and every agent
 * (1-alpha) w + alpha g'_parent; the root keeps its model.
 *
 * <p>A group's members are summed in a fixed order: its direct agents by index, then its
 * sub-groups in tree order ({@link #members}).
 */
public final class HierarchicalAggregation {
  private HierarchicalAggregation() {}

  /** One member of a group: an agent (index) or a sub-group (id). */
  public record Member(int agent, String group) {
    public boolean isAgent() {
      return group == null;
    }
  }

  /** A group's members in the order their models are summed. */
  public static List<Member> members(Hierarchy.Group g) {
    List<Member> out = new ArrayList<>();
    for (int a : g.agents()) {
      out.add(new Member(a, null));
    }
    for (String c : g.childGroups()) {
      out.add(new Member(-1, c));
    }
    return out;
  }

  /** The weight of a member in its group's mean. */
  public static double weight(Member m, Hierarchy h, int[] trainSamples, Weighting weighting) {
    if (m.isAgent()) {
      return weighting.agentWeight(trainSamples[m.agent()]);
    }
    Hierarchy.Group g = h.group(m.group());
    if (weighting == Weighting.AGENTS) {
      return g.agentCount();
    }
    double s = 0;
    for (int a : g.members()) {
      s += trainSamples[a];
    }
    return s;
  }

  /** Bottom-up: every group's model, by group id. */
  public static Map<String, float[]> bottomUp(Hierarchy h, List<float[]> agentModels, int[] trainSamples,
      Weighting weighting, double amplify) {
    Map<String, float[]> out = new HashMap<>();
    for (Hierarchy.Group g : h.bottomUp()) {
      List<Member> members = members(g);
      List<float[]> models = new ArrayList<>(members.size());
      double[] weights = new double[members.size()];
      for (int i = 0; i < members.size(); i++) {
        Member m = members.get(i);
        models.add(m.isAgent() ? agentModels.get(m.agent()) : out.get(m.group()));
        weights[i] = weight(m, h, trainSamples, weighting);
      }
      out.put(g.id(), Averaging.weightedMean(models, weights, amplify));
    }
    return out;
  }

  /** The outcome of the top-down pass. */
  public record TopDown(Map<String, float[]> generalised, List<float[]> agents) {}

  /** Top-down: generalised group models (the root unchanged) and every agent's mixed model. */
  public static TopDown topDown(Hierarchy h, Map<String, float[]> groupModels, List<float[]> agentModels, double alpha) {
    Map<String, float[]> generalised = new LinkedHashMap<>();
    List<float[]> agents = new ArrayList<>(agentModels);
    for (Hierarchy.Group g : h.topDown()) {
      float[] own = groupModels.get(g.id());
      float[] mine = g.isRoot() ? own : Averaging.mix(own, generalised.get(g.parentId()), alpha);
      generalised.put(g.id(), mine);
      for (int a : g.agents()) {
        agents.set(a, Averaging.mix(agentModels.get(a), mine, alpha));
      }
    }
    return new TopDown(generalised, agents);
  }
}
