package io.demlearn.core.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.demlearn.core.data.Dataset;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The dense models' predictions and training, beyond their gradients (GradientCheckTest). */
class DenseNetworkTest {
  private static final int[][] SIZES = {{784, 10}, {784, 100, 10}};

  private static Model model(int[] sizes) {
    return sizes.length == 2 ? new LogisticRegression(784, 10) : new Perceptron(784, sizes[1], 10);
  }

  /** Logits of one row in double precision, from the formulas. */
  private static double[] referenceLogits(int[] sizes, float[] p, Dataset data, int row) {
    double[] a = new double[sizes[0]];
    for (int k = 0; k < a.length; k++) {
      a[k] = data.features()[row * sizes[0] + k];
    }
    int at = 0;
    for (int l = 0; l + 1 < sizes.length; l++) {
      double[] z = new double[sizes[l + 1]];
      int bias = at + sizes[l] * sizes[l + 1];
      for (int j = 0; j < z.length; j++) {
        z[j] = p[bias + j];
        for (int k = 0; k < sizes[l]; k++) {
          z[j] += (double) p[at + j * sizes[l] + k] * a[k];
        }
        if (l + 2 < sizes.length) {
          z[j] = Math.max(0, z[j]);
        }
      }
      at = bias + sizes[l + 1];
      a = z;
    }
    return a;
  }

  @Test
  void predictionsAreTheLargestLogitsWhereTheyAreClear() {
    for (int[] sizes : SIZES) {
      Model m = model(sizes);
      Dataset data = GradientCheckTest.randomBatch(150, 784, 10, 21); // two full blocks and a part
      float[] p = GradientCheckTest.scaledStart(m, 3);
      int[] predicted = m.predict(java.util.List.of(p), data)[0];
      int clear = 0;
      for (int i = 0; i < data.size(); i++) {
        double[] z = referenceLogits(sizes, p, data, i);
        double[] sorted = z.clone();
        Arrays.sort(sorted);
        if (sorted[9] - sorted[8] < 1e-3) {
          continue; // a near tie: float32 may pick either
        }
        clear++;
        int best = 0;
        for (int j = 1; j < 10; j++) {
          best = z[j] > z[best] ? j : best;
        }
        assertThat(predicted[i]).as("%s row %d", m.kind(), i).isEqualTo(best);
      }
      assertThat(clear).isGreaterThan(140);
    }
  }

  @Test
  void aRowsPredictionDoesNotDependOnTheRowsAroundIt() {
    for (int[] sizes : SIZES) {
      Model m = model(sizes);
      Dataset all = GradientCheckTest.randomBatch(200, 784, 10, 22);
      float[] p = GradientCheckTest.scaledStart(m, 4);
      int[] whole = m.predict(java.util.List.of(p), all)[0];
      int from = 37;
      int to = 171;
      Dataset part =
          new Dataset(
              Arrays.copyOfRange(all.features(), from * 784, to * 784),
              Arrays.copyOfRange(all.labels(), from, to),
              784);
      assertThat(m.predict(java.util.List.of(p), part)[0])
          .containsExactly(Arrays.copyOfRange(whole, from, to));
    }
  }

  @Test
  void trainingIsDeterministicAndLearns() {
    for (int[] sizes : SIZES) {
      Model m = model(sizes);
      // a learnable task: the label is the index of the largest of the first ten inputs
      Dataset data = GradientCheckTest.randomBatch(300, 784, 10, 23);
      int[] labels = new int[data.size()];
      for (int i = 0; i < labels.length; i++) {
        int best = 0;
        for (int k = 1; k < 10; k++) {
          best = data.features()[i * 784 + k] > data.features()[i * 784 + best] ? k : best;
        }
        labels[i] = best;
      }
      Dataset task = new Dataset(data.features(), labels, 784);
      float[] start = m.initialParameters(new SplittableRandom(5));
      float[] ref = m.initialParameters(new SplittableRandom(6));
      TrainingSettings s = new TrainingSettings(0.05, 10, 5, 0.01);
      float[] a = start.clone();
      float[] b = start.clone();
      try (Trainer t = m.trainer();
          Trainer u = m.trainer()) {
        t.train(a, task, ref, s, new SplittableRandom(9));
        t.train(b.clone(), task, ref, s, new SplittableRandom(1)); // reuse of working memory
        u.train(b, task, ref, s, new SplittableRandom(9));
      }
      assertThat(a).as("%s: same inputs, same bits", m.kind()).isEqualTo(b);
      double before = m.lossAndGradient(start, task, new float[start.length]);
      double after = m.lossAndGradient(a, task, new float[start.length]);
      assertThat(after).as("%s loss after training", m.kind()).isLessThan(0.8 * before);
    }
  }
}
