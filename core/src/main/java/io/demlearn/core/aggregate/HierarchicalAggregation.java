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
 * <p>A group's members are listed in a fixed order ({@link #members}: its direct agents by index,
 * then its sub-groups in tree order), though the exact sums ({@link ExactSum}) do not depend on it.
 * Members that did not report are left out of the sums (a straggler policy); with every member
 * present the means are the paper's.
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

  /**
   * The weight of a member in its group's mean: an agent's own; a sub-group's, the agents (or their
   * samples) below it that were averaged in.
   *
   * @param agentModels the agents' models, null for an agent that did not report in time
   */
  public static long weight(
      Member m, Hierarchy h, int[] trainSamples, Weighting weighting, List<float[]> agentModels) {
    if (m.isAgent()) {
      return weighting.agentWeight(trainSamples[m.agent()]);
    }
    long s = 0;
    for (int a : h.group(m.group()).members()) {
      if (agentModels.get(a) != null) {
        s += weighting == Weighting.AGENTS ? 1 : trainSamples[a];
      }
    }
    return s;
  }

  /**
   * Bottom-up: every group's model, by group id, from the members that reported. An agent whose
   * model is null did not report in time (a straggler policy closed the round without it): it is
   * left out, and so is a group none of whose members reported.
   */
  public static Map<String, float[]> bottomUp(
      Hierarchy h,
      List<float[]> agentModels,
      int[] trainSamples,
      Weighting weighting,
      double amplify) {
    Map<String, float[]> out = new HashMap<>();
    for (Hierarchy.Group g : h.bottomUp()) {
      ExactSum sum = null;
      for (Member m : members(g)) {
        float[] model = m.isAgent() ? agentModels.get(m.agent()) : out.get(m.group());
        if (model != null) {
          sum = sum != null ? sum : new ExactSum(model.length);
          sum.add(model, weight(m, h, trainSamples, weighting, agentModels));
        }
      }
      if (sum != null) {
        out.put(g.id(), sum.mean(amplify));
      }
    }
    return out;
  }

  /** The outcome of the top-down pass. */
  public record TopDown(Map<String, float[]> generalised, List<float[]> agents) {}

  /** Top-down: generalised group models (the root unchanged) and every agent's mixed model. */
  public static TopDown topDown(
      Hierarchy h, Map<String, float[]> groupModels, List<float[]> agentModels, double alpha) {
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
