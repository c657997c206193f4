package io.demlearn.core.testing;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.zip.GZIPOutputStream;

/** Writes small MNIST-format data sets for tests (no test needs a real data set). */
public final class IdxFiles {
  private IdxFiles() {}

  public static byte[] images(int count, int rows, int cols, byte[] pixels) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      DataOutputStream out = new DataOutputStream(bytes);
      out.writeInt(0x00000803);
      out.writeInt(count);
      out.writeInt(rows);
      out.writeInt(cols);
      out.write(pixels);
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static byte[] labels(int[] labels) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      DataOutputStream out = new DataOutputStream(bytes);
      out.writeInt(0x00000801);
      out.writeInt(labels.length);
      for (int l : labels) {
        out.write(l);
      }
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static void write(Path file, byte[] content, boolean gzip) {
    try (OutputStream out =
        gzip ? new GZIPOutputStream(Files.newOutputStream(file)) : Files.newOutputStream(file)) {
      out.write(content);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A directory with train (trainCount) and t10k (testCount) 28x28 images of 10 classes: each image
   * is noise with a bright square whose place depends on its class. Labels cycle through 0..9.
   */
  public static Path dataset(Path dir, int trainCount, int testCount, boolean gzip, long seed) {
    Random random = new Random(seed);
    String ext = gzip ? ".gz" : "";
    for (String split : new String[] {"train", "t10k"}) {
      int n = split.equals("train") ? trainCount : testCount;
      byte[] px = new byte[n * 784];
      int[] y = new int[n];
      for (int i = 0; i < n; i++) {
        y[i] = i % 10;
        for (int k = 0; k < 784; k++) {
          px[i * 784 + k] = (byte) random.nextInt(60);
        }
        int r0 = (y[i] / 5) * 12 + 2;
        int c0 = (y[i] % 5) * 5 + 1;
        for (int r = r0; r < r0 + 8; r++) {
          for (int c = c0; c < c0 + 4; c++) {
            px[i * 784 + r * 28 + c] = (byte) 230;
          }
        }
      }
      write(dir.resolve(split + "-images-idx3-ubyte" + ext), images(n, 28, 28, px), gzip);
      write(dir.resolve(split + "-labels-idx1-ubyte" + ext), labels(y), gzip);
    }
    return dir;
  }
}
