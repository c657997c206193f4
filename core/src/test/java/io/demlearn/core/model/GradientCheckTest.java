package io.demlearn.core.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.demlearn.core.data.Dataset;
import java.util.SplittableRandom;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/** Each model's analytic gradient (the one training uses) against central finite differences. */
class GradientCheckTest {
  static Dataset randomBatch(int n, int d, int classes, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] x = new float[n * d];
    int[] y = new int[n];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextGaussian();
    }
    for (int i = 0; i < n; i++) {
      y[i] = r.nextInt(classes);
    }
    return new Dataset(x, y, d);
  }

  static void check(Model model, Dataset batch, long seed, int probes) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] p = model.initialParameters(r);
    for (int i = 0; i < p.length; i++) {
      p[i] *= 3; // away from the symmetric start, so that gradients are not tiny
    }
    float[] g = new float[p.length];
    model.lossAndGradient(p, batch, g);
    float[] scratch = new float[p.length];
    double worst = 0;
    for (int k = 0; k < probes; k++) {
      int i = r.nextInt(p.length);
      float keep = p[i];
      float h = 1e-3f;
      p[i] = keep + h;
      double up = model.lossAndGradient(p, batch, scratch);
      p[i] = keep - h;
      double down = model.lossAndGradient(p, batch, scratch);
      p[i] = keep;
      double numeric = (up - down) / ((double) (keep + h) - (keep - h));
      double err = Math.abs(numeric - g[i]) / Math.max(1e-3, Math.abs(numeric) + Math.abs(g[i]));
      worst = Math.max(worst, err);
      assertThat(err)
          .as("parameter %d: analytic %s, numeric %s", i, g[i], numeric)
          .isLessThan(1e-4);
    }
    assertThat(worst).isLessThan(1e-4);
  }

  @Test
  void logisticRegression() {
    check(new LogisticRegression(DataType.DOUBLE), randomBatch(7, 784, 10, 1), 11, 200);
  }

  @Test
  void perceptron() {
    check(new Perceptron(100, DataType.DOUBLE), randomBatch(5, 784, 10, 2), 12, 200);
  }

  @Test
  void convNetAlongRandomDirections() {
    // float32 throughout: compare directional derivatives, which are well above rounding noise
    Model m = new ConvNet();
    Dataset batch = randomBatch(3, 784, 10, 4);
    SplittableRandom r = new SplittableRandom(14);
    float[] p = m.initialParameters(r);
    float[] g = new float[p.length];
    m.lossAndGradient(p, batch, g);
    float[] scratch = new float[p.length];
    for (int probe = 0; probe < 4; probe++) {
      double[] dir = new double[p.length];
      double norm = 0;
      for (int i = 0; i < p.length; i++) {
        dir[i] = r.nextGaussian();
        norm += dir[i] * dir[i];
      }
      norm = Math.sqrt(norm);
      double analytic = 0;
      for (int i = 0; i < p.length; i++) {
        dir[i] /= norm;
        analytic += dir[i] * g[i];
      }
      double h = 1e-2;
      float[] up = p.clone();
      float[] down = p.clone();
      for (int i = 0; i < p.length; i++) {
        up[i] = (float) (p[i] + h * dir[i]);
        down[i] = (float) (p[i] - h * dir[i]);
      }
      double numeric =
          (m.lossAndGradient(up, batch, scratch) - m.lossAndGradient(down, batch, scratch))
              / (2 * h);
      assertThat(Math.abs(numeric - analytic) / Math.max(1e-3, Math.abs(analytic)))
          .as("direction %d: analytic %s, numeric %s", probe, analytic, numeric)
          .isLessThan(0.03);
    }
  }

  @Test
  void convNetHasTheReferenceSize() {
    assertThat(new ConvNet().dimension()).isEqualTo(834_922);
    assertThat(new LogisticRegression().dimension()).isEqualTo(7_850);
    assertThat(new Perceptron(100).dimension()).isEqualTo(79_510);
  }

  @Test
  void lossIsCrossEntropyOfTheSoftmax() {
    Model m = new LogisticRegression(DataType.DOUBLE);
    float[] zero = new float[m.dimension()];
    // all-zero parameters: uniform softmax, loss = ln 10
    double loss = m.lossAndGradient(zero, randomBatch(4, 784, 10, 3), new float[m.dimension()]);
    assertThat(loss).isCloseTo(Math.log(10), Assertions.within(1e-9));
  }
}
