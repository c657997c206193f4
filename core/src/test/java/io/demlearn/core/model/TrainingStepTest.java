package io.demlearn.core.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.demlearn.core.data.Dataset;
import java.util.SplittableRandom;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

/**
 * One step of each model's trainer (one epoch, one batch holding all the data) against the update
 * rule w <- w - lr * (grad L(w) + mu * (w - w_parent)): the proximal run differs from the plain one
 * by exactly -lr * mu * (w - w_parent) (the same data order and dropout masks: same random stream),
 * and for the models without dropout the plain step is w - lr * grad L(w).
 */
class TrainingStepTest {
  static final double LR = 0.1;
  static final double MU = 0.5;

  static float[] random(Model m, long seed) {
    float[] p = m.initialParameters(new SplittableRandom(seed));
    for (int i = 0; i < p.length; i++) {
      p[i] *= 3;
    }
    return p;
  }

  static float[] step(Model m, float[] start, Dataset data, float[] ref, double mu) {
    float[] p = start.clone();
    try (Trainer t = m.trainer()) {
      t.train(p, data, ref, new TrainingSettings(LR, data.size(), 1, mu), new SplittableRandom(5));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    return p;
  }

  static void proximalTermIsTheRule(Model m) {
    proximalTermIsTheRule(m, 784, 10);
  }

  static void proximalTermIsTheRule(Model m, int values, int classes) {
    Dataset data = GradientCheckTest.randomBatch(6, values, classes, 3);
    float[] p = random(m, 1);
    float[] ref = random(m, 2);
    float[] plain = step(m, p, data, null, 0);
    float[] prox = step(m, p, data, ref, MU);
    double worst = 0;
    for (int i = 0; i < p.length; i++) {
      double expected = -LR * MU * ((double) p[i] - ref[i]);
      double err = Math.abs((prox[i] - (double) plain[i]) - expected);
      worst = Math.max(worst, err / (1e-3 + Math.abs(expected)));
    }
    assertThat(worst).as("largest relative error of the proximal term").isLessThan(1e-3);
    assertThat(plain).isNotEqualTo(p); // the step moved
  }

  @Test
  void logisticRegressionProximalStep() {
    proximalTermIsTheRule(new LogisticRegression(784, 10));
  }

  @Test
  void perceptronProximalStep() {
    proximalTermIsTheRule(new Perceptron(784, 100, 10));
  }

  @Test
  void convNetProximalStep() {
    proximalTermIsTheRule(new ConvNet(ConvNet.Layout.MNIST));
  }

  @Test
  void denseModelsStepAlongTheirGradient() {
    for (Model m : new Model[] {new LogisticRegression(784, 10), new Perceptron(784, 100, 10)}) {
      Dataset data = GradientCheckTest.randomBatch(6, 784, 10, 4);
      float[] p = random(m, 7);
      float[] g = new float[p.length];
      m.lossAndGradient(p, data, g);
      float[] stepped = step(m, p, data, null, 0);
      for (int i = 0; i < p.length; i++) {
        assertThat((double) stepped[i])
            .as("%s parameter %d", m.kind(), i)
            .isCloseTo(p[i] - LR * g[i], Offset.offset(1e-5 + 1e-4 * Math.abs(LR * g[i])));
      }
    }
  }
}
