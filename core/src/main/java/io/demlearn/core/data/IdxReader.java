package io.demlearn.core.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Reads IDX files (the MNIST format: a magic number whose third byte is the element type and fourth
 * the number of dimensions, big-endian int32 dimension sizes, then the data), gzipped or not: gzip
 * is recognised by its own magic bytes, whatever the file name.
 */
public final class IdxReader {
  private static final int UNSIGNED_BYTE = 0x08;

  private IdxReader() {}

  /**
   * Images as unsigned bytes, channel-major per image: an IDX file of 3 dimensions (count, rows,
   * columns) has one channel.
   */
  public record Images(int count, int channels, int rows, int cols, byte[] pixels) {
    public int pixelsPerImage() {
      return channels * rows * cols;
    }
  }

  public static Images readImages(Path file) {
    try (DataInputStream in = open(file)) {
      int[] dims = header(in, file, 3);
      long total = (long) dims[0] * dims[1] * dims[2];
      if (total > Integer.MAX_VALUE - 8) {
        throw new DataException("IDX file " + file + " declares " + total + " pixels: too many");
      }
      byte[] pixels = new byte[(int) total];
      readFully(in, pixels, file);
      return new Images(dims[0], 1, dims[1], dims[2], pixels);
    } catch (IOException e) {
      throw new DataException("cannot read IDX file " + file + ": " + e.getMessage(), e);
    }
  }

  /** Labels: an IDX file of unsigned bytes with 1 dimension. */
  public static int[] readLabels(Path file) {
    try (DataInputStream in = open(file)) {
      int[] dims = header(in, file, 1);
      byte[] raw = new byte[dims[0]];
      readFully(in, raw, file);
      int[] labels = new int[raw.length];
      for (int i = 0; i < raw.length; i++) {
        labels[i] = raw[i] & 0xff;
      }
      return labels;
    } catch (IOException e) {
      throw new DataException("cannot read IDX file " + file + ": " + e.getMessage(), e);
    }
  }

  private static DataInputStream open(Path file) throws IOException {
    InputStream raw;
    try {
      raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
    } catch (NoSuchFileException e) {
      throw new DataException("IDX file " + file + " does not exist");
    }
    raw.mark(2);
    int b0 = raw.read();
    int b1 = raw.read();
    raw.reset();
    if (b0 == 0x1f && b1 == 0x8b) {
      raw = new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16);
    }
    return new DataInputStream(raw);
  }

  private static int[] header(DataInputStream in, Path file, int expectedDims) throws IOException {
    int magic;
    try {
      magic = in.readInt();
    } catch (EOFException e) {
      throw new DataException(
          "IDX file " + file + " is too short for its header (corrupt or empty)");
    }
    int type = (magic >>> 8) & 0xff;
    int dims = magic & 0xff;
    if ((magic >>> 16) != 0 || type != UNSIGNED_BYTE || dims != expectedDims) {
      throw new DataException(
          String.format(
              "IDX file %s has a corrupt header: magic 0x%08x, expected 0x%08x (unsigned bytes, %d"
                  + " dimension%s)",
              file,
              magic,
              (UNSIGNED_BYTE << 8) | expectedDims,
              expectedDims,
              expectedDims == 1 ? "" : "s"));
    }
    int[] sizes = new int[dims];
    for (int i = 0; i < dims; i++) {
      try {
        sizes[i] = in.readInt();
      } catch (EOFException e) {
        throw new DataException("IDX file " + file + " ends inside its header");
      }
      if (sizes[i] < 0) {
        throw new DataException(
            "IDX file " + file + " has a corrupt header: dimension " + i + " is " + sizes[i]);
      }
    }
    return sizes;
  }

  private static void readFully(DataInputStream in, byte[] into, Path file) throws IOException {
    try {
      in.readFully(into);
    } catch (EOFException e) {
      throw new DataException(
          "IDX file "
              + file
              + " is truncated: its header announces "
              + into.length
              + " data bytes");
    }
    if (in.read() != -1) {
      throw new DataException(
          "IDX file " + file + " holds more data than its header announces (corrupt)");
    }
  }
}
