package io.demlearn.core.model;

/** Local SGD settings; the authors' defaults are lr 0.05, batch 10, 2 epochs. */
public record TrainingSettings(double learningRate, int batchSize, int epochs, double mu) {
  public TrainingSettings {
    if (!(learningRate > 0) || !Double.isFinite(learningRate)) {
      throw new IllegalArgumentException("learning rate must be positive, got " + learningRate);
    }
    if (batchSize < 1) {
      throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
    }
    if (epochs < 0) {
      throw new IllegalArgumentException("local epochs must be >= 0, got " + epochs);
    }
    if (mu < 0 || !Double.isFinite(mu)) {
      throw new IllegalArgumentException("mu must be >= 0, got " + mu);
    }
  }
}
