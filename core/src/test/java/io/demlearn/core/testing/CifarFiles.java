package io.demlearn.core.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * Writes small data sets in CIFAR-10's binary format for tests: records of a label byte and 3,072
 * pixel bytes (red plane, green plane, blue plane, each 32x32 row by row).
 */
public final class CifarFiles {
  public static final int RECORD = 1 + 3 * 32 * 32;

  private CifarFiles() {}

  /**
   * {@code data_batch_1.bin} ... {@code data_batch_5.bin} of {@code perBatch} images each and
   * {@code test_batch.bin} of {@code testCount}: each image is noise around its class's colour,
   * brighter in a square whose place depends on the class; labels cycle through 0..9 from a seeded
   * start.
   */
  public static Path dataset(Path dir, int perBatch, int testCount, long seed) {
    Random random = new Random(seed);
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    int label = random.nextInt(10);
    for (int b = 1; b <= 5; b++) {
      label = batch(dir.resolve("data_batch_" + b + ".bin"), perBatch, label, random);
    }
    batch(dir.resolve("test_batch.bin"), testCount, label, random);
    return dir;
  }

  private static int batch(Path file, int count, int firstLabel, Random random) {
    byte[] out = new byte[count * RECORD];
    int label = firstLabel;
    for (int i = 0; i < count; i++) {
      System.arraycopy(record(label, random), 0, out, i * RECORD, RECORD);
      label = (label + 1) % 10;
    }
    write(file, out);
    return label;
  }

  /** One record of class {@code label}. */
  public static byte[] record(int label, Random random) {
    byte[] r = new byte[RECORD];
    r[0] = (byte) label;
    int sy = 4 + 2 * (label / 5) * 6;
    int sx = 2 + (label % 5) * 6;
    for (int c = 0; c < 3; c++) {
      int base = 60 + 40 * ((label + c) % 4);
      for (int y = 0; y < 32; y++) {
        for (int x = 0; x < 32; x++) {
          boolean square = y >= sy && y < sy + 8 && x >= sx && x < sx + 6;
          int v = base + (square ? 100 : 0) + (int) (random.nextGaussian() * 25);
          r[1 + c * 1024 + y * 32 + x] = (byte) Math.max(0, Math.min(255, v));
        }
      }
    }
    return r;
  }

  public static void write(Path file, byte[] content) {
    try (OutputStream out = Files.newOutputStream(file)) {
      out.write(content);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
