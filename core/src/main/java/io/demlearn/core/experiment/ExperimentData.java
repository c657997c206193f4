package io.demlearn.core.experiment;

import io.demlearn.core.data.AgentData;
import io.demlearn.core.data.CifarPartitioner;
import io.demlearn.core.data.CifarReader;
import io.demlearn.core.data.DataException;
import io.demlearn.core.data.DataSetKind;
import io.demlearn.core.data.ImagePool;
import io.demlearn.core.data.ImageShape;
import io.demlearn.core.data.LeafReader;
import io.demlearn.core.data.NonIidPartitioner;
import io.demlearn.core.data.Partition;
import io.demlearn.core.data.PartitionFile;
import java.nio.file.Path;
import java.util.List;

/**
 * The agents' data for an experiment, as the authors prepare each data set:
 *
 * <ul>
 *   <li>MNIST-format directories (Fashion-MNIST, MNIST) and the synthetic pool: dealt by the
 *       paper's partitioner (or read from a partition file); pixels scaled to [0, 1] and z-scored
 *       with the mean and std of the dealing pool (train[5000:] + t10k, as the authors' split);
 *   <li>CIFAR-10's binary files: dealt by the paper's CIFAR split (or a partition file); each value
 *       scaled to [-1, 1], (x/255 - 0.5) / 0.5, as their torchvision transform;
 *   <li>LEAF's FEMNIST: one agent per user, the first N or a seeded sample; values as given.
 * </ul>
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
    return switch (s.datasetKind()) {
      case SYNTHETIC -> synthetic(s);
      case FEMNIST -> femnist(s);
      case CIFAR10 -> cifar(s);
      case FASHION_MNIST, MNIST -> idx(s);
    };
  }

  private static Loaded synthetic(ExperimentSettings s) {
    // enough images for the partitioner (about 70 per agent) however many agents there are
    ImagePool pool = ImagePool.synthetic(Math.max(6000, 100 * s.agents()), 1000, 10, s.seed());
    List<ImagePool.SampleRef> dealing = pool.dealingPool(0);
    Partition p =
        NonIidPartitioner.paper(s.agents(), ExperimentDefaults.partitionScale(s.datasetKind()))
            .partition("synthetic", dealing, pool::label, 10, s.seed());
    double[] ms = pool.meanAndStd(dealing);
    return new Loaded(
        p.materialise(pool, Partition.Normalisation.zScore(ms[0], ms[1])),
        "synthetic data (10 classes of blob patterns, 28x28), dealt by the paper's partitioner");
  }

  private static Loaded femnist(ExperimentSettings s) {
    Path dir = s.dataDir();
    List<String> all = LeafReader.users(dir);
    List<String> users = LeafReader.choose(all, s.agents(), s.leafUsers(), s.seed());
    List<AgentData> agents = LeafReader.read(dir, users, s.datasetKind().shape());
    String which =
        users.size() == all.size()
            ? "all " + all.size() + " users"
            : s.leafUsers() == LeafReader.Selection.FIRST
                ? "the first " + users.size() + " of its " + all.size() + " users"
                : users.size() + " of its " + all.size() + " users drawn with seed " + s.seed();
    return new Loaded(agents, "femnist (LEAF) from " + dir + ", " + which);
  }

  private static Loaded cifar(ExperimentSettings s) {
    ImagePool pool = CifarReader.load(s.dataDir());
    // (x - 0.5) / 0.5 per channel: torchvision's Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))
    Partition.Normalisation norm = new Partition.Normalisation(0.5, 0.5);
    if (s.partitionFile() != null) {
      Partition partition = fromFile(s, pool);
      return new Loaded(
          partition.materialise(pool, norm),
          "cifar10 from " + pool.dir() + ", split of " + s.partitionFile());
    }
    Partition partition = new CifarPartitioner(s.agents()).partition(pool, s.seed());
    return new Loaded(
        partition.materialise(pool, norm),
        "cifar10 from "
            + pool.dir()
            + ", dealt by the paper's CIFAR-10 partitioner (seed "
            + s.seed()
            + ")");
  }

  private static Loaded idx(ExperimentSettings s) {
    Path dir = s.dataDir() != null ? s.dataDir() : ImagePool.DEBIAN_FASHION_MNIST;
    if (s.dataDir() == null && s.datasetKind() != DataSetKind.FASHION_MNIST) {
      throw new DataException(
          "--dataset " + s.dataset() + " needs --data-dir (the directory of its IDX files)");
    }
    ImagePool pool = ImagePool.load(dir);
    ImageShape shape = s.datasetKind().shape();
    if (!pool.shape(shape.classes()).equals(shape)) {
      throw new DataException(
          "data directory "
              + dir
              + " holds "
              + pool.shape(shape.classes()).size()
              + " images but "
              + s.dataset()
              + " images are "
              + shape.size());
    }
    List<ImagePool.SampleRef> dealing =
        pool.dealingPool(Math.min(SKIPPED_TRAIN_IMAGES, pool.size(ImagePool.Split.TRAIN)));
    double[] ms = pool.meanAndStd(dealing);
    Partition.Normalisation norm = Partition.Normalisation.zScore(ms[0], ms[1]);
    if (s.partitionFile() != null) {
      return new Loaded(
          fromFile(s, pool).materialise(pool, norm),
          s.dataset() + " from " + dir + ", split of " + s.partitionFile());
    }
    Partition partition =
        NonIidPartitioner.paper(s.agents(), ExperimentDefaults.partitionScale(s.datasetKind()))
            .partition(s.dataset(), dealing, pool::label, shape.classes(), s.seed());
    return new Loaded(
        partition.materialise(pool, norm),
        s.dataset()
            + " from "
            + dir
            + ", dealt by the paper's partitioner (seed "
            + s.seed()
            + ")");
  }

  private static Partition fromFile(ExperimentSettings s, ImagePool pool) {
    Partition partition = PartitionFile.read(s.partitionFile(), pool);
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
    return partition.firstAgents(s.agents());
  }
}
