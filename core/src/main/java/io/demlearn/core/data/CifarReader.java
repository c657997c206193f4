package io.demlearn.core.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads CIFAR-10 in its binary format (the "CIFAR-10 binary version" of its authors' site): {@code
 * data_batch_1.bin} ... {@code data_batch_5.bin} and {@code test_batch.bin}, each a sequence of
 * records of one label byte (0-9) and 3,072 pixel bytes (the 1,024 red values of the 32x32 image
 * row by row, then the green, then the blue). The training batches become the pool's train split in
 * file order, the test batch its t10k split.
 */
public final class CifarReader {
  public static final int SIDE = 32;
  public static final int CHANNELS = 3;
  public static final int CLASSES = 10;
  static final int PIXELS = CHANNELS * SIDE * SIDE;
  static final int RECORD = 1 + PIXELS;
  static final int TRAIN_BATCHES = 5;
  static final String FOLDER = "cifar-10-batches-bin";

  private CifarReader() {}

  /**
   * The data set in {@code dir}, or in its {@code cifar-10-batches-bin} folder (where the archive
   * unpacks).
   *
   * @throws DataException naming the file and record that is missing or malformed
   */
  public static ImagePool load(Path dir) {
    if (Files.isRegularFile(dir)) {
      throw new DataException(
          "CIFAR-10 --data-dir "
              + dir
              + " is a file, not a folder"
              + (dir.getFileName().toString().endsWith(".tar.gz")
                  ? ": unpack it first (tar -xzf "
                      + dir.getFileName()
                      + ") and give the folder it makes, "
                      + FOLDER
                  : ""));
    }
    if (!Files.isDirectory(dir)) {
      throw new DataException(
          "CIFAR-10 directory "
              + dir
              + " does not exist (give --data-dir with data_batch_1.bin ... test_batch.bin)");
    }
    Path base = dir;
    if (!Files.exists(dir.resolve("test_batch.bin")) && Files.isDirectory(dir.resolve(FOLDER))) {
      base = dir.resolve(FOLDER);
    }
    List<Path> train = new ArrayList<>();
    for (int i = 1; i <= TRAIN_BATCHES; i++) {
      train.add(base.resolve("data_batch_" + i + ".bin"));
    }
    Path test = base.resolve("test_batch.bin");
    List<Path> all = new ArrayList<>(train);
    all.add(test);
    List<String> missing = new ArrayList<>();
    for (Path p : all) {
      if (!Files.isRegularFile(p)) {
        missing.add(p.getFileName().toString());
      }
    }
    if (!missing.isEmpty()) {
      throw new DataException(
          "CIFAR-10 directory "
              + base
              + (missing.size() == TRAIN_BATCHES + 1
                  ? " holds none of the binary batches (data_batch_1.bin ... data_batch_5.bin,"
                      + " test_batch.bin): is it the binary version of CIFAR-10?"
                  : " lacks " + String.join(", ", missing)));
    }
    return new ImagePool(base, read(train), read(List.of(test)));
  }

  private static ImagePool.Labelled read(List<Path> files) {
    long total = 0;
    for (Path f : files) {
      long size = size(f);
      if (size == 0) {
        throw new DataException("CIFAR-10 file " + f + " is empty");
      }
      if (size % RECORD != 0) {
        throw new DataException(
            String.format(
                "CIFAR-10 file %s is truncated: record %d has %d of its %d bytes (a record is a"
                    + " label byte and 3x32x32 pixel bytes)",
                f, size / RECORD, size % RECORD, RECORD));
      }
      total += size / RECORD;
    }
    if (total * PIXELS > Integer.MAX_VALUE - 8) {
      throw new DataException("CIFAR-10 files " + files + " hold too many images: " + total);
    }
    int n = (int) total;
    byte[] pixels = new byte[n * PIXELS];
    int[] labels = new int[n];
    int at = 0;
    byte[] record = new byte[RECORD];
    for (Path f : files) {
      try (InputStream in = Files.newInputStream(f)) {
        for (int r = 0; ; r++) {
          int got = in.readNBytes(record, 0, RECORD);
          if (got == 0) {
            break;
          }
          if (got < RECORD) {
            // the size was checked: the file changed while it was read
            throw new DataException(
                "CIFAR-10 file " + f + " is truncated: record " + r + " has " + got + " bytes");
          }
          int label = record[0] & 0xff;
          if (label >= CLASSES) {
            throw new DataException(
                "CIFAR-10 file "
                    + f
                    + ", record "
                    + r
                    + " (byte "
                    + (long) r * RECORD
                    + "): label "
                    + label
                    + " is outside 0..9");
          }
          labels[at] = label;
          System.arraycopy(record, 1, pixels, at * PIXELS, PIXELS);
          at++;
        }
      } catch (IOException e) {
        throw new DataException("cannot read CIFAR-10 file " + f + ": " + e.getMessage(), e);
      }
    }
    return new ImagePool.Labelled(new IdxReader.Images(n, CHANNELS, SIDE, SIDE, pixels), labels);
  }

  private static long size(Path f) {
    try {
      return Files.size(f);
    } catch (IOException e) {
      throw new DataException("cannot read CIFAR-10 file " + f + ": " + e.getMessage(), e);
    }
  }
}
