package io.demlearn.core.sim;

import io.demlearn.core.cluster.Dendrogram;
import io.demlearn.core.cluster.Hierarchy;
import java.util.List;
import java.util.Map;

/**
 * What a round leaves for the next one: which model each agent is evaluated with and trains from,
 * what its proximal term pulls toward, and the group models and hierarchy that were in force.
 *
 * @param hierarchy the tree the group models belong to, or null when there is none yet
 * @param dendrogram the clustering the tree was cut from, or null
 * @param hierarchyVersion number of the tree (increases each time it is rebuilt; -1: none)
 * @param evalModels per agent: the model evaluated at the start of the next round
 * @param startModels per agent: where the next round's local training starts
 * @param proxTargets per agent: the proximal target of the next round, or null entries
 * @param groupModels the group models as evaluated (DemLearn: generalised; the root as aggregated)
 * @param global the root model, for the Global metric, or null
 */
public record RoundState(Hierarchy hierarchy, Dendrogram dendrogram, int hierarchyVersion, List<float[]> evalModels,
    List<float[]> startModels, List<float[]> proxTargets, Map<String, float[]> groupModels, float[] global) {}
