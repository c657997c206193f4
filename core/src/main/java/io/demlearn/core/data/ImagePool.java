package io.demlearn.core.data;

import io.demlearn.core.Seeds;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The images and labels of a data set in two splits, kept as raw bytes: the 'train' and 't10k' IDX
 * files of an MNIST-format directory (Fashion-MNIST, MNIST, ...), or CIFAR-10's training and test
 * batches ({@link CifarReader}). Samples are addressed as in partition files: {@code train:i} or
 * {@code t10k:i}.
 */
public final class ImagePool {
  /** Where Debian's package {@code dataset-fashion-mnist} installs the IDX files. */
  public static final String DEBIAN_FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist";

  public static final Path DEBIAN_FASHION_MNIST = Path.of(DEBIAN_FASHION_MNIST_DIR);

  private final Path dir;
  private final IdxReader.Images trainImages;
  private final int[] trainLabels;
  private final IdxReader.Images testImages;
  private final int[] testLabels;

  private ImagePool(
      Path dir,
      IdxReader.Images trainImages,
      int[] trainLabels,
      IdxReader.Images testImages,
      int[] testLabels) {
    this.dir = dir;
    this.trainImages = trainImages;
    this.trainLabels = trainLabels;
    this.testImages = testImages;
    this.testLabels = testLabels;
  }

  /** Which split a sample comes from. */
  public enum Split {
    TRAIN("train"),
    T10K("t10k");

    private final String prefix;

    Split(String prefix) {
      this.prefix = prefix;
    }

    public String prefix() {
      return prefix;
    }
  }

  /** A sample's address: split and index within that split's files. */
  public record SampleRef(Split split, int index) {
    @Override
    public String toString() {
      return split.prefix() + ":" + index;
    }
  }

  /**
   * Reads {@code train-images-idx3-ubyte}, {@code train-labels-idx1-ubyte}, {@code
   * t10k-images-idx3-ubyte} and {@code t10k-labels-idx1-ubyte} (each optionally {@code .gz}) from
   * {@code dir}.
   */
  public static ImagePool load(Path dir) {
    if (!Files.isDirectory(dir)) {
      throw new DataException(
          "data directory "
              + dir
              + " does not exist"
              + (dir.equals(DEBIAN_FASHION_MNIST)
                  ? " (install Debian's package dataset-fashion-mnist, give --data-dir, or use"
                      + " --dataset synthetic)"
                  : " (give --data-dir with the IDX files, or use --dataset synthetic)"));
    }
    IdxReader.Images trainImages = IdxReader.readImages(find(dir, "train-images-idx3-ubyte"));
    int[] trainLabels = IdxReader.readLabels(find(dir, "train-labels-idx1-ubyte"));
    IdxReader.Images testImages = IdxReader.readImages(find(dir, "t10k-images-idx3-ubyte"));
    int[] testLabels = IdxReader.readLabels(find(dir, "t10k-labels-idx1-ubyte"));
    check(trainImages, trainLabels, dir, "train");
    check(testImages, testLabels, dir, "t10k");
    if (trainImages.rows() != testImages.rows() || trainImages.cols() != testImages.cols()) {
      throw new DataException(
          "data directory "
              + dir
              + ": train images are "
              + trainImages.rows()
              + "x"
              + trainImages.cols()
              + " but t10k images are "
              + testImages.rows()
              + "x"
              + testImages.cols());
    }
    return new ImagePool(dir, trainImages, trainLabels, testImages, testLabels);
  }

  /**
   * A synthetic pool in the same shape as Fashion-MNIST, for runs and tests without a data set:
   * each class is a fixed random pattern of a few bright blobs; each image is its class's pattern,
   * shifted by up to two pixels, plus Gaussian noise, clipped to bytes. Deterministic in {@code
   * seed}.
   */
  public static ImagePool synthetic(int trainCount, int testCount, int classes, long seed) {
    int rows = 28;
    int cols = 28;
    SplittableRandom random = Seeds.random(seed, "synthetic-prototypes", 0);
    double[][] prototypes = new double[classes][rows * cols];
    for (int c = 0; c < classes; c++) {
      for (int blob = 0; blob < 4; blob++) {
        double cy = 4 + random.nextDouble() * 20;
        double cx = 4 + random.nextDouble() * 20;
        double radius = 2 + random.nextDouble() * 4;
        for (int y = 0; y < rows; y++) {
          for (int x = 0; x < cols; x++) {
            double d2 = (y - cy) * (y - cy) + (x - cx) * (x - cx);
            prototypes[c][y * cols + x] += Math.exp(-d2 / (2 * radius * radius));
          }
        }
      }
    }
    return new ImagePool(
        Path.of("synthetic"),
        syntheticSplit(trainCount, "train", prototypes, rows, cols, seed),
        syntheticSplit(testCount, "t10k", prototypes, rows, cols, seed));
  }

  /** One split's images and their labels, as a reader makes them. */
  record Labelled(IdxReader.Images images, int[] labels) {}

  /** A pool of a train and a t10k split read by another reader ({@link CifarReader}). */
  ImagePool(Path dir, Labelled train, Labelled test) {
    this(dir, train.images(), train.labels(), test.images(), test.labels());
  }

  private static Labelled syntheticSplit(
      int count, String split, double[][] prototypes, int rows, int cols, long seed) {
    SplittableRandom r = Seeds.random(seed, "synthetic-" + split, 0);
    int classes = prototypes.length;
    byte[] px = new byte[count * rows * cols];
    int[] labels = new int[count];
    for (int i = 0; i < count; i++) {
      int c = r.nextInt(classes);
      labels[i] = c;
      int dy = r.nextInt(5) - 2;
      int dx = r.nextInt(5) - 2;
      for (int y = 0; y < rows; y++) {
        for (int x = 0; x < cols; x++) {
          int sy = Math.min(rows - 1, Math.max(0, y - dy));
          int sx = Math.min(cols - 1, Math.max(0, x - dx));
          double v = 200 * Math.min(1.0, prototypes[c][sy * cols + sx]) + 40 * r.nextGaussian();
          px[i * rows * cols + y * cols + x] = (byte) Math.max(0, Math.min(255, Math.round(v)));
        }
      }
    }
    return new Labelled(new IdxReader.Images(count, 1, rows, cols, px), labels);
  }

  private static void check(IdxReader.Images images, int[] labels, Path dir, String split) {
    if (images.count() != labels.length) {
      throw new DataException(
          "data directory "
              + dir
              + ": "
              + split
              + " has "
              + images.count()
              + " images but "
              + labels.length
              + " labels");
    }
  }

  private static Path find(Path dir, String base) {
    for (String name :
        List.of(
            base + ".gz",
            base,
            base.replace("-idx", ".idx") + ".gz",
            base.replace("-idx", ".idx"))) {
      Path p = dir.resolve(name);
      if (Files.isRegularFile(p)) {
        return p;
      }
    }
    throw new DataException(
        "data directory " + dir + " has no " + base + " (or " + base + ".gz)" + otherFormat(dir));
  }

  /** A hint when a directory holds one of the other data sets' files, else nothing. */
  private static String otherFormat(Path dir) {
    if (Files.exists(dir.resolve("data_batch_1.bin"))
        || Files.isDirectory(dir.resolve("cifar-10-batches-bin"))) {
      return "; it holds CIFAR-10's binary files: add --dataset cifar10";
    }
    if (Files.isDirectory(dir.resolve("train")) && Files.isDirectory(dir.resolve("test"))) {
      return "; it has train/ and test/ folders, as LEAF's data: add --dataset femnist";
    }
    return "";
  }

  public Path dir() {
    return dir;
  }

  /** The shape of every image, with {@code classes} labels. */
  public ImageShape shape(int classes) {
    return new ImageShape(trainImages.channels(), trainImages.rows(), trainImages.cols(), classes);
  }

  public int pixelsPerImage() {
    return trainImages.pixelsPerImage();
  }

  public int size(Split split) {
    return split == Split.TRAIN ? trainLabels.length : testLabels.length;
  }

  public int label(SampleRef ref) {
    return (ref.split() == Split.TRAIN ? trainLabels : testLabels)[ref.index()];
  }

  /**
   * Copies one image's pixels (channel-major), scaled to [0, 1], into {@code out} at {@code
   * offset}.
   */
  public void pixels(SampleRef ref, float[] out, int offset) {
    IdxReader.Images images = ref.split() == Split.TRAIN ? trainImages : testImages;
    int n = images.pixelsPerImage();
    int base = ref.index() * n;
    byte[] px = images.pixels();
    for (int i = 0; i < n; i++) {
      out[offset + i] = (px[base + i] & 0xff) / 255f;
    }
  }

  /**
   * The pool the paper's partitioner deals from: {@code train[skip:]} followed by all of {@code
   * t10k}, in file order.
   */
  public List<SampleRef> dealingPool(int skip) {
    List<SampleRef> pool = new ArrayList<>();
    for (int i = skip; i < trainLabels.length; i++) {
      pool.add(new SampleRef(Split.TRAIN, i));
    }
    for (int i = 0; i < testLabels.length; i++) {
      pool.add(new SampleRef(Split.T10K, i));
    }
    return pool;
  }

  /**
   * Mean and standard deviation of every pixel (scaled to [0, 1]) of {@code refs}, in double
   * precision: the global z-score of the data set.
   */
  public double[] meanAndStd(List<SampleRef> refs) {
    double sum = 0;
    double sumSq = 0;
    long n = 0;
    int ppi = trainImages.pixelsPerImage();
    for (SampleRef ref : refs) {
      IdxReader.Images images = ref.split() == Split.TRAIN ? trainImages : testImages;
      byte[] px = images.pixels();
      int base = ref.index() * ppi;
      for (int i = 0; i < ppi; i++) {
        double v = (px[base + i] & 0xff) / 255.0;
        sum += v;
        sumSq += v * v;
      }
      n += ppi;
    }
    double mean = sum / n;
    double var = Math.max(0, sumSq / n - mean * mean);
    return new double[] {mean, Math.sqrt(var)};
  }
}
