package io.demlearn.core.experiment;

import io.demlearn.core.data.AgentData;
import io.demlearn.core.data.DataException;
import io.demlearn.core.data.ImagePool;
import io.demlearn.core.data.NonIidPartitioner;
import io.demlearn.core.data.Partition;
import io.demlearn.core.data.PartitionFile;
import java.nio.file.Path;
import java.util.List;

/**
 * The agents' data for an experiment: from a partition file, or dealt by the paper's partitioner
 * from an MNIST-format directory, or from the synthetic pool. Pixels are scaled to [0, 1] and
 * z-scored with the mean and std of the dealing pool (train[5000:] + t10k, as the authors' split).
 */
public final class ExperimentData {
  /**
   * The authors' split leaves the first 5,000 training images out (TensorFlow's validation set).
   */
  static final int SKIPPED_TRAIN_IMAGES = 5000;

  private ExperimentData() {}

  /** What was loaded, and from where (for messages). */
  public record Loaded(List<AgentData> agents, String source) {}

  public static Loaded load(ExperimentSettings s) {
    if (s.dataset().equals("synthetic")) {
      // enough images for the partitioner (about 70 per agent) however many agents there are
      ImagePool pool = ImagePool.synthetic(Math.max(6000, 100 * s.agents()), 1000, 10, s.seed());
      List<ImagePool.SampleRef> dealing = pool.dealingPool(0);
      Partition p =
          NonIidPartitioner.paper(s.agents(), ExperimentDefaults.partitionScale(s.dataset()))
              .partition("synthetic", dealing, pool::label, 10, s.seed());
      double[] ms = pool.meanAndStd(dealing);
      return new Loaded(
          p.materialise(pool, new Partition.Normalisation(ms[0], ms[1])),
          "synthetic data (10 classes of blob patterns, 28x28), dealt by the paper's partitioner");
    }
    Path dir = s.dataDir() != null ? s.dataDir() : ImagePool.DEBIAN_FASHION_MNIST;
    if (s.dataDir() == null && !s.dataset().equals("fashion-mnist")) {
      throw new DataException(
          "--dataset " + s.dataset() + " needs --data-dir (the directory of its IDX files)");
    }
    ImagePool pool = ImagePool.load(dir);
    List<ImagePool.SampleRef> dealing =
        pool.dealingPool(Math.min(SKIPPED_TRAIN_IMAGES, pool.size(ImagePool.Split.TRAIN)));
    double[] ms = pool.meanAndStd(dealing);
    Partition.Normalisation norm = new Partition.Normalisation(ms[0], ms[1]);
    Partition partition;
    String source;
    if (s.partitionFile() != null) {
      partition = PartitionFile.read(s.partitionFile(), pool);
      if (s.agents() > partition.agents().size()) {
        throw new DataException(
            "--agents "
                + s.agents()
                + " but partition file "
                + s.partitionFile()
                + " has "
                + partition.agents().size()
                + " agents");
      }
      partition = partition.firstAgents(s.agents());
      source = s.dataset() + " from " + dir + ", split of " + s.partitionFile();
    } else {
      partition =
          NonIidPartitioner.paper(s.agents(), ExperimentDefaults.partitionScale(s.dataset()))
              .partition(s.dataset(), dealing, pool::label, 10, s.seed());
      source =
          s.dataset()
              + " from "
              + dir
              + ", dealt by the paper's partitioner (seed "
              + s.seed()
              + ")";
    }
    return new Loaded(partition.materialise(pool, norm), source);
  }
}
