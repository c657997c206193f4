package io.demlearn.core.metrics;

import io.demlearn.core.cluster.Hierarchy;
import io.demlearn.core.data.AgentData;
import io.demlearn.core.data.Dataset;
import io.demlearn.core.model.Model;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * Computes a round's metrics as the authors' code does (test data only): all agents' and groups'
 * models predict the union of the agents' test sets (the agents' own test sets are slices of it),
 * in parallel chunks, and the accuracies follow from the predictions.
 */
public final class Evaluator {
  private final Model model;
  private final Dataset union;
  private final int[] offset;
  private final int[] count;
  private final ExecutorService pool;
  private final int threads;

  public Evaluator(Model model, List<AgentData> agents, ExecutorService pool, int threads) {
    this.model = model;
    List<Dataset> tests = agents.stream().map(AgentData::test).toList();
    this.union = Dataset.concat(tests);
    this.offset = new int[agents.size()];
    this.count = new int[agents.size()];
    int at = 0;
    for (int a = 0; a < agents.size(); a++) {
      offset[a] = at;
      count[a] = tests.get(a).size();
      at += count[a];
    }
    this.pool = pool;
    this.threads = threads;
  }

  /**
   * The metrics of one round.
   *
   * @param agentModels per agent, the model it is evaluated with
   * @param tree the hierarchy the group models belong to, or null (no group metrics)
   * @param groupModels group models by id (as evaluated: DemLearn's generalised ones)
   * @param global the root model for the Global metric, or null
   */
  public RoundMetrics evaluate(int round, int hierarchyVersion, List<float[]> agentModels, Hierarchy tree,
      Map<String, float[]> groupModels, float[] global) {
    // distinct models, each predicted once
    Map<float[], Integer> index = new IdentityHashMap<>();
    List<float[]> models = new ArrayList<>();
    for (float[] m : agentModels) {
      index.computeIfAbsent(m, k -> {
        models.add(k);
        return models.size() - 1;
      });
    }
    boolean groups = tree != null && !groupModels.isEmpty();
    if (groups) {
      for (Hierarchy.Group g : tree.topDown()) {
        index.computeIfAbsent(groupModels.get(g.id()), k -> {
          models.add(k);
          return models.size() - 1;
        });
      }
    }
    if (global != null) {
      index.computeIfAbsent(global, k -> {
        models.add(k);
        return models.size() - 1;
      });
    }
    int[][] predictions = predictAll(models);

    long ownCorrect = 0;
    long ownTotal = 0;
    double genSum = 0;
    int agents = agentModels.size();
    for (int a = 0; a < agents; a++) {
      int[] p = predictions[index.get(agentModels.get(a))];
      ownCorrect += correct(p, offset[a], offset[a] + count[a]);
      ownTotal += count[a];
      genSum += correct(p, 0, union.size()) / (double) union.size();
    }
    double cSpe = ownCorrect / (double) ownTotal;
    double cGen = genSum / agents;

    List<Double> gSpe = new ArrayList<>();
    List<Double> gGen = new ArrayList<>();
    Map<String, Integer> members = new TreeMap<>();
    if (groups) {
      for (int level = 1; level <= tree.topLevel(); level++) {
        double spe = 0;
        double gen = 0;
        double weight = 0;
        for (Hierarchy.Group g : tree.atLevel(level)) {
          int[] p = predictions[index.get(groupModels.get(g.id()))];
          long c = 0;
          long n = 0;
          for (int a : g.members()) {
            c += correct(p, offset[a], offset[a] + count[a]);
            n += count[a];
          }
          spe += g.agentCount() * (c / (double) n);
          gen += g.agentCount() * (correct(p, 0, union.size()) / (double) union.size());
          weight += g.agentCount();
          members.put(g.id(), g.agentCount());
        }
        gSpe.add(weight > 0 ? spe / weight : null);
        gGen.add(weight > 0 ? gen / weight : null);
      }
    }
    Double globalAccuracy = global == null ? null
        : correct(predictions[index.get(global)], 0, union.size()) / (double) union.size();
    return new RoundMetrics(round, hierarchyVersion, cSpe, cGen, globalAccuracy, gSpe, gGen, members);
  }

  private long correct(int[] predicted, int from, int to) {
    long c = 0;
    int[] labels = union.labels();
    for (int i = from; i < to; i++) {
      if (predicted[i] == labels[i]) {
        c++;
      }
    }
    return c;
  }

  private int[][] predictAll(List<float[]> models) {
    int[][] out = new int[models.size()][];
    int chunks = Math.min(threads, models.size());
    if (chunks <= 1) {
      return model.predict(models, union);
    }
    List<Future<int[][]>> parts = new ArrayList<>();
    int per = (models.size() + chunks - 1) / chunks;
    for (int from = 0; from < models.size(); from += per) {
      List<float[]> slice = models.subList(from, Math.min(models.size(), from + per));
      parts.add(pool.submit(() -> model.predict(slice, union)));
    }
    int at = 0;
    try {
      for (Future<int[][]> f : parts) {
        for (int[] p : f.get()) {
          out[at++] = p;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while evaluating", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("evaluation failed: " + e.getCause(), e.getCause());
    }
    return out;
  }
}
