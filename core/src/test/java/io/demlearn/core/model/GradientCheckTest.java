package io.demlearn.core.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.demlearn.core.data.Dataset;
import java.util.SplittableRandom;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;

/**
 * Each model's analytic gradient (the one training uses): the dense models' float32 gradients
 * against a double-precision reference that is itself checked against central finite differences;
 * the CNN's along random directions.
 */
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

  /**
   * The dense models' loss and gradient in double precision, written directly from the formulas (no
   * shared code with the models): the reference the float32 models are held to.
   */
  static double referenceLossAndGradient(int[] sizes, float[] p, Dataset batch, double[] grad) {
    int layers = sizes.length - 1;
    int n = batch.size();
    int[] wAt = new int[layers];
    int[] bAt = new int[layers];
    int at = 0;
    for (int l = 0; l < layers; l++) {
      wAt[l] = at;
      at += sizes[l] * sizes[l + 1];
      bAt[l] = at;
      at += sizes[l + 1];
    }
    java.util.Arrays.fill(grad, 0);
    double loss = 0;
    for (int i = 0; i < n; i++) {
      double[][] a = new double[layers + 1][];
      a[0] = new double[sizes[0]];
      for (int k = 0; k < sizes[0]; k++) {
        a[0][k] = batch.features()[i * sizes[0] + k];
      }
      for (int l = 0; l < layers; l++) {
        a[l + 1] = new double[sizes[l + 1]];
        for (int j = 0; j < sizes[l + 1]; j++) {
          double z = p[bAt[l] + j];
          for (int k = 0; k < sizes[l]; k++) {
            z += (double) p[wAt[l] + j * sizes[l] + k] * a[l][k];
          }
          a[l + 1][j] = l < layers - 1 ? Math.max(0, z) : z;
        }
      }
      double[] z = a[layers];
      double max = java.util.Arrays.stream(z).max().orElseThrow();
      double sum = 0;
      for (double v : z) {
        sum += Math.exp(v - max);
      }
      int y = batch.labels()[i];
      loss += Math.log(sum) - (z[y] - max);
      double[] d = new double[z.length];
      for (int j = 0; j < z.length; j++) {
        d[j] = (Math.exp(z[j] - max) / sum - (j == y ? 1 : 0)) / n;
      }
      for (int l = layers - 1; l >= 0; l--) {
        double[] down = new double[sizes[l]];
        for (int j = 0; j < sizes[l + 1]; j++) {
          grad[bAt[l] + j] += d[j];
          for (int k = 0; k < sizes[l]; k++) {
            grad[wAt[l] + j * sizes[l] + k] += d[j] * a[l][k];
            down[k] += d[j] * p[wAt[l] + j * sizes[l] + k];
          }
        }
        if (l > 0) {
          for (int k = 0; k < sizes[l]; k++) {
            down[k] = a[l][k] > 0 ? down[k] : 0;
          }
        }
        d = down;
      }
    }
    return loss / n;
  }

  static float[] scaledStart(Model m, long seed) {
    float[] p = m.initialParameters(new SplittableRandom(seed));
    for (int i = 0; i < p.length; i++) {
      p[i] *= 3; // away from the symmetric start, so that gradients are not tiny
    }
    return p;
  }

  /**
   * The double-precision reference against central finite differences, coordinate by coordinate.
   */
  static void referenceIsTheDerivative(int[] sizes, Model shape, Dataset batch, long seed) {
    float[] p = scaledStart(shape, seed);
    double[] g = new double[p.length];
    referenceLossAndGradient(sizes, p, batch, g);
    double[] scratch = new double[p.length];
    SplittableRandom r = new SplittableRandom(seed);
    for (int probe = 0; probe < 200; probe++) {
      int i = r.nextInt(p.length);
      float keep = p[i];
      float h = 1e-3f;
      p[i] = keep + h;
      double up = referenceLossAndGradient(sizes, p, batch, scratch);
      p[i] = keep - h;
      double down = referenceLossAndGradient(sizes, p, batch, scratch);
      p[i] = keep;
      double numeric = (up - down) / ((double) (keep + h) - (keep - h));
      double err = Math.abs(numeric - g[i]) / Math.max(1e-3, Math.abs(numeric) + Math.abs(g[i]));
      assertThat(err)
          .as("parameter %d: analytic %s, numeric %s", i, g[i], numeric)
          .isLessThan(1e-4);
    }
  }

  /** The model's float32 loss and gradient against the double-precision reference. */
  static void modelMatchesTheReference(int[] sizes, Model m, Dataset batch, long seed) {
    float[] p = scaledStart(m, seed);
    double[] expected = new double[p.length];
    double expectedLoss = referenceLossAndGradient(sizes, p, batch, expected);
    float[] g = new float[p.length];
    double loss = m.lossAndGradient(p, batch, g);
    assertThat(loss).isCloseTo(expectedLoss, Assertions.within(1e-5 * Math.max(1, expectedLoss)));
    double scale = java.util.Arrays.stream(expected).map(Math::abs).max().orElseThrow();
    for (int i = 0; i < p.length; i++) {
      assertThat((double) g[i])
          .as("%s gradient %d", m.kind(), i)
          .isCloseTo(expected[i], Assertions.within(1e-5 * scale));
    }
  }

  @Test
  void referenceGradientsAreTheDerivatives() {
    referenceIsTheDerivative(
        new int[] {784, 10}, new LogisticRegression(784, 10), randomBatch(7, 784, 10, 1), 11);
    referenceIsTheDerivative(
        new int[] {784, 100, 10}, new Perceptron(784, 100, 10), randomBatch(5, 784, 10, 2), 12);
  }

  @Test
  void logisticRegression() {
    modelMatchesTheReference(
        new int[] {784, 10}, new LogisticRegression(784, 10), randomBatch(7, 784, 10, 1), 11);
  }

  @Test
  void perceptron() {
    modelMatchesTheReference(
        new int[] {784, 100, 10}, new Perceptron(784, 100, 10), randomBatch(5, 784, 10, 2), 12);
  }

  @Test
  void convNetAlongRandomDirections() {
    convNetAlongRandomDirections(ConvNet.Layout.MNIST);
  }

  static void convNetAlongRandomDirections(ConvNet.Layout layout) {
    // float32 throughout: compare directional derivatives, which are well above rounding noise
    Model m = new ConvNet(layout);
    Dataset batch = randomBatch(3, layout.input().values(), layout.input().classes(), 4);
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
    assertThat(new ConvNet(ConvNet.Layout.MNIST).dimension()).isEqualTo(834_922);
    assertThat(new LogisticRegression(784, 10).dimension()).isEqualTo(7_850);
    assertThat(new Perceptron(784, 100, 10).dimension()).isEqualTo(79_510);
  }

  @Test
  void lossIsCrossEntropyOfTheSoftmax() {
    Model m = new LogisticRegression(784, 10);
    float[] zero = new float[m.dimension()];
    // all-zero parameters: uniform softmax, loss = ln 10
    double loss = m.lossAndGradient(zero, randomBatch(4, 784, 10, 3), new float[m.dimension()]);
    assertThat(loss).isCloseTo(Math.log(10), Assertions.within(1e-6));
  }
}
