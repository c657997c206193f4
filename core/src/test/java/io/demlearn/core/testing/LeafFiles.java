package io.demlearn.core.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Writes small data sets in LEAF's JSON format (FEMNIST) for tests: {@code train/} and {@code
 * test/} folders of several files, each with {@code users}, {@code num_samples} and {@code
 * user_data} ({@code x}: images of 784 grey levels in [0, 1], {@code y}: labels 0..61).
 */
public final class LeafFiles {
  private static final ObjectMapper JSON = new ObjectMapper();

  private LeafFiles() {}

  /** The name of user {@code u}, as LEAF's writer ids look: {@code f0003_17}. */
  public static String user(int u) {
    return String.format(Locale.ROOT, "f%04d_%02d", u, (u * 7) % 100);
  }

  /**
   * {@code users} users over {@code files} files per folder (in an order other than sorted), each
   * with 12-24 training and 3-6 test samples of four of the 62 classes: an image is noise with a
   * bright bar whose place depends on its class.
   */
  public static Path dataset(Path dir, int users, int files, long seed) {
    Random random = new Random(seed);
    List<List<Integer>> byFile = new ArrayList<>();
    for (int f = 0; f < files; f++) {
      byFile.add(new ArrayList<>());
    }
    for (int u = users - 1; u >= 0; u--) {
      byFile.get(u % files).add(u);
    }
    ObjectNode[] train = new ObjectNode[files];
    ObjectNode[] test = new ObjectNode[files];
    for (int f = 0; f < files; f++) {
      train[f] = JSON.createObjectNode();
      test[f] = JSON.createObjectNode();
      ArrayNode trainUsers = train[f].putArray("users");
      ArrayNode trainCounts = train[f].putArray("num_samples");
      ObjectNode trainData = train[f].putObject("user_data");
      ArrayNode testUsers = test[f].putArray("users");
      ArrayNode testCounts = test[f].putArray("num_samples");
      ObjectNode testData = test[f].putObject("user_data");
      for (int u : byFile.get(f)) {
        int[] classes = new int[4];
        for (int k = 0; k < 4; k++) {
          classes[k] = (u * 3 + k * 11) % 62;
        }
        int nTrain = 12 + random.nextInt(13);
        int nTest = 3 + random.nextInt(4);
        trainUsers.add(user(u));
        trainCounts.add(nTrain);
        trainData.set(user(u), samples(nTrain, classes, random));
        testUsers.add(user(u));
        testCounts.add(nTest);
        testData.set(user(u), samples(nTest, classes, random));
      }
    }
    for (int f = 0; f < files; f++) {
      write(dir.resolve("train").resolve("all_data_" + f + "_niid_train.json"), train[f]);
      write(dir.resolve("test").resolve("all_data_" + f + "_niid_test.json"), test[f]);
    }
    return dir;
  }

  /** {@code n} samples of the given classes: {@code {"x": [...], "y": [...]}}. */
  public static ObjectNode samples(int n, int[] classes, Random random) {
    ObjectNode data = JSON.createObjectNode();
    ArrayNode x = data.putArray("x");
    ArrayNode y = data.putArray("y");
    for (int i = 0; i < n; i++) {
      int c = classes[random.nextInt(classes.length)];
      x.add(image(c, random));
      y.add(c);
    }
    return data;
  }

  private static ArrayNode image(int c, Random random) {
    ArrayNode px = JSON.createArrayNode();
    int row = 2 + (c % 12) * 2;
    int col = 2 + (c / 12) * 5;
    for (int y = 0; y < 28; y++) {
      for (int x = 0; x < 28; x++) {
        boolean bar = y >= row && y < row + 3 && x >= col && x < col + 4;
        double v = (bar ? 0.1 : 0.95) + random.nextGaussian() * 0.05;
        px.add(Math.round(Math.max(0, Math.min(1, v)) * 1000) / 1000.0);
      }
    }
    return px;
  }

  public static void write(Path file, Object json) {
    try {
      Files.createDirectories(file.getParent());
      JSON.writeValue(file.toFile(), json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static ObjectNode read(Path file) {
    try {
      return (ObjectNode) JSON.readTree(file.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
