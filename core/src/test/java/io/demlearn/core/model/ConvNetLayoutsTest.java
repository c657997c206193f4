package io.demlearn.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.demlearn.core.data.DataSetKind;
import io.demlearn.core.data.Dataset;
import io.demlearn.core.data.ImageShape;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The authors' CNNs for FEMNIST and CIFAR-10, beside the MNIST one. */
class ConvNetLayoutsTest {
  static final ConvNet.Layout FEMNIST = ConvNet.Layout.forInput(DataSetKind.FEMNIST.shape());
  static final ConvNet.Layout CIFAR = ConvNet.Layout.forInput(DataSetKind.CIFAR10.shape());

  @Test
  void eachShapeGetsTheAuthorsNetworkWithTheirParameterCounts() {
    // PyTorch's counts of their femnist_DemAI (62 outputs) and CNNCifar(10)
    assertThat(new ConvNet(FEMNIST).dimension()).isEqualTo(834_922 - 5_130 + 512 * 62 + 62);
    assertThat(new ConvNet(CIFAR).dimension()).isEqualTo(581_866);
    assertThat(FEMNIST.convDropout()).isZero();
    assertThat(CIFAR.fcDropout()).isEqualTo(0.5);
    assertThat(CIFAR.describe())
        .isEqualTo(
            "conv 16@3x3, pool, conv 32@3x3, pool, conv 64@3x3, pool, fc 512, dropout 0.5, fc 64,"
                + " dropout 0.5, fc 10 (581,866 parameters)");
    assertThat(ConvNet.Layout.forInput(ImageShape.GREY_28)).isEqualTo(ConvNet.Layout.MNIST);
    assertThatThrownBy(() -> new Architecture(ModelKind.CNN, new ImageShape(1, 30, 30, 10)))
        .hasMessageContaining("no CNN for 30x30 images");
  }

  @Test
  void cifarGradientsMatchFiniteDifferences() {
    GradientCheckTest.convNetAlongRandomDirections(CIFAR);
  }

  @Test
  void femnistGradientsMatchFiniteDifferences() {
    GradientCheckTest.convNetAlongRandomDirections(FEMNIST);
  }

  @Test
  void cifarProximalStepFollowsTheRule() {
    TrainingStepTest.proximalTermIsTheRule(new ConvNet(CIFAR), 3 * 32 * 32, 10);
  }

  @Test
  void cifarTrainingIsReproducibleFromTheAgentsStream() {
    Model m = new ConvNet(CIFAR);
    Dataset data = GradientCheckTest.randomBatch(12, 3 * 32 * 32, 10, 9);
    float[] start = m.initialParameters(new SplittableRandom(3));
    float[] a = train(m, start, data, 5);
    float[] b = train(m, start, data, 5);
    float[] c = train(m, start, data, 6);
    assertThat(a).isEqualTo(b).isNotEqualTo(start).isNotEqualTo(c);
  }

  @Test
  void aPredictorRefusesSamplesOfAnotherShape() {
    Model m = new ConvNet(CIFAR);
    Dataset grey = GradientCheckTest.randomBatch(2, 784, 10, 1);
    assertThatThrownBy(() -> m.predictor(grey))
        .hasMessageContaining("takes 3072 values per sample, the data has 784");
  }

  @Test
  void eachLayoutComputesWhatPyTorchsLayersWouldFromItsFlatParameters() {
    for (ConvNet.Layout layout : new ConvNet.Layout[] {ConvNet.Layout.MNIST, FEMNIST, CIFAR}) {
      Model m = new ConvNet(layout);
      ImageShape in = layout.input();
      Dataset batch = GradientCheckTest.randomBatch(6, in.values(), in.classes(), 21);
      // large weights, so that the logits, the loss and the predicted classes depend on every
      // layer's layout
      SplittableRandom r = new SplittableRandom(5);
      float[] p = new float[m.dimension()];
      for (int i = 0; i < p.length; i++) {
        p[i] = (float) ((r.nextDouble() - 0.5) * 0.3);
      }
      double[][] logits = new double[batch.size()][];
      double expectedLoss = 0;
      int[] expectedClass = new int[batch.size()];
      for (int n = 0; n < batch.size(); n++) {
        logits[n] = ReferenceCnn.logits(layout, p, batch.features(), n);
        double max = Arrays.stream(logits[n]).max().orElseThrow();
        double sum = Arrays.stream(logits[n]).map(z -> Math.exp(z - max)).sum();
        expectedLoss += (max + Math.log(sum) - logits[n][batch.labels()[n]]) / batch.size();
        for (int k = 1; k < logits[n].length; k++) {
          if (logits[n][k] > logits[n][expectedClass[n]]) {
            expectedClass[n] = k;
          }
        }
      }
      double loss = m.lossAndGradient(p, batch, new float[p.length]);
      assertThat(expectedLoss).as(layout.describe()).isGreaterThan(Math.log(in.classes()) + 1);
      assertThat(Math.abs(loss - expectedLoss) / expectedLoss)
          .as("%s: loss %s, reference %s", layout.describe(), loss, expectedLoss)
          .isLessThan(1e-4);
      try (Model.Predictor predictor = m.predictor(batch)) {
        assertThat(predictor.predict(p)).as(layout.describe()).containsExactly(expectedClass);
      }
    }
  }

  private static float[] train(Model m, float[] start, Dataset data, long seed) {
    float[] p = start.clone();
    try (Trainer t = m.trainer()) {
      t.train(p, data, null, new TrainingSettings(0.05, 4, 1, 0), new SplittableRandom(seed));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    return p;
  }
}
