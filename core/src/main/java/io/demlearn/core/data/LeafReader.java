package io.demlearn.core.data;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import io.demlearn.core.Labels;
import io.demlearn.core.Seeds;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Reads a data set in LEAF's JSON format (FEMNIST): a {@code train} and a {@code test} folder, each
 * of one or more {@code .json} files holding {@code users} (names), {@code num_samples} (one count
 * per user) and {@code user_data} (per user, {@code x}: a list of images, each a flat list of
 * values, and {@code y}: their labels). Every user is one agent, with its own train and test data;
 * values are kept as the files give them (LEAF's FEMNIST: grey levels in [0, 1]). Users are taken
 * in sorted order of their names, as the authors' reader does. Files are streamed: only the chosen
 * users' data is kept.
 */
public final class LeafReader {
  private static final JsonFactory JSON = new JsonFactory();

  private LeafReader() {}

  /** Which of the users become agents when fewer are asked for than the files hold. */
  public enum Selection {
    /** The first N in sorted order. */
    FIRST,
    /** N drawn at random (seeded by the experiment's seed), kept in sorted order. */
    SAMPLE;

    public static Selection parse(String text) {
      return Labels.parse(Selection.class, text, "user selection");
    }

    public String label() {
      return Labels.of(this);
    }
  }

  /**
   * The names of every user of the training files, sorted.
   *
   * @throws DataException when the folders or files are missing or malformed
   */
  public static List<String> users(Path dir) {
    TreeSet<String> users = new TreeSet<>();
    for (Path f : files(dir, "train")) {
      users.addAll(new FileReader(f, Set.of(), null).usersOnly());
    }
    if (users.isEmpty()) {
      throw new DataException("LEAF folder " + dir.resolve("train") + " lists no users");
    }
    return List.copyOf(users);
  }

  /** {@code n} of {@code users} (sorted), the first or a seeded sample, in sorted order. */
  public static List<String> choose(List<String> users, int n, Selection selection, long seed) {
    if (n > users.size()) {
      throw new DataException(
          "--agents " + n + " but the LEAF data has only " + users.size() + " users");
    }
    if (selection == Selection.FIRST || n == users.size()) {
      return List.copyOf(users.subList(0, n));
    }
    int[] order = new int[users.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Seeds.shuffle(order, Seeds.random(seed, "leaf-users", 0));
    int[] chosen = Arrays.copyOf(order, n);
    Arrays.sort(chosen);
    return Arrays.stream(chosen).mapToObj(users::get).toList();
  }

  /**
   * The train and test data of {@code users}, in that order; the agent's labels are those of its
   * training samples.
   *
   * @param shape the size of every image and the number of classes (labels must be below it)
   * @throws DataException naming the file and place of anything missing or malformed
   */
  public static List<AgentData> read(Path dir, List<String> users, ImageShape shape) {
    Set<String> wanted = new HashSet<>(users);
    Map<String, Samples> train = new HashMap<>();
    Map<String, Samples> test = new HashMap<>();
    for (Path f : files(dir, "train")) {
      new FileReader(f, wanted, shape).readInto(train);
    }
    for (Path f : files(dir, "test")) {
      new FileReader(f, wanted, shape).readInto(test);
    }
    List<AgentData> out = new ArrayList<>();
    for (String u : users) {
      Samples tr = train.get(u);
      Samples te = test.get(u);
      if (tr == null) {
        throw new DataException(
            "LEAF folder " + dir.resolve("train") + " has no data for user " + u);
      }
      if (te == null) {
        throw new DataException(
            "LEAF folder "
                + dir.resolve("test")
                + " has no data for user "
                + u
                + " (LEAF's train and test folders must hold the same users: split by sample, '-t"
                + " sample')");
      }
      for (Samples mine : List.of(tr, te)) {
        if (mine.n == 0) {
          throw new DataException("LEAF file " + mine.file + " has no samples for user " + u);
        }
      }
      Dataset trainSet = tr.dataset(shape.values());
      List<Integer> labels = Arrays.stream(trainSet.labels()).distinct().sorted().boxed().toList();
      out.add(new AgentData(u, labels, trainSet, te.dataset(shape.values())));
    }
    return out;
  }

  /** The {@code .json} files of {@code dir/split}, sorted by name. */
  static List<Path> files(Path dir, String split) {
    Path folder = dir.resolve(split);
    if (!Files.isDirectory(folder)) {
      throw new DataException(
          "LEAF data directory "
              + dir
              + " has no "
              + split
              + " folder (LEAF's data/ folder holds train/ and test/, each of .json files)");
    }
    try (Stream<Path> s = Files.list(folder)) {
      List<Path> files =
          s.filter(p -> p.getFileName().toString().endsWith(".json") && Files.isRegularFile(p))
              .sorted()
              .toList();
      if (files.isEmpty()) {
        throw new DataException("LEAF folder " + folder + " has no .json files");
      }
      return files;
    } catch (IOException e) {
      throw new DataException("cannot list LEAF folder " + folder + ": " + e.getMessage(), e);
    }
  }

  /** One user's samples while they are read, and the file they come from. */
  private static final class Samples {
    final Path file;
    float[] x = new float[1024];
    int[] y = new int[16];
    int n;

    Samples(Path file) {
      this.file = file;
    }

    void add(float[] image, int label) {
      if ((n + 1) * image.length > x.length) {
        x = Arrays.copyOf(x, Math.max(x.length * 2, (n + 1) * image.length));
      }
      if (n == y.length) {
        y = Arrays.copyOf(y, n * 2);
      }
      System.arraycopy(image, 0, x, n * image.length, image.length);
      y[n++] = label;
    }

    Dataset dataset(int dim) {
      return new Dataset(Arrays.copyOf(x, n * dim), Arrays.copyOf(y, n), dim);
    }
  }

  /** One file, streamed. */
  private static final class FileReader {
    private final Path file;
    private final Set<String> wanted;
    private final ImageShape shape;
    private JsonParser p;

    FileReader(Path file, Set<String> wanted, ImageShape shape) {
      this.file = file;
      this.wanted = wanted;
      this.shape = shape;
    }

    /** Reading that may fail with an I/O error. */
    private interface Body<T> {
      T read() throws IOException;
    }

    /** Runs {@code body} on a parser over the file, naming the file and place on any error. */
    private <T> T parse(Body<T> body) {
      try (JsonParser parser = JSON.createParser(file.toFile())) {
        p = parser;
        expect(JsonToken.START_OBJECT, "the file to be a JSON object");
        return body.read();
      } catch (JsonProcessingException e) {
        throw malformed(e);
      } catch (IOException e) {
        throw new DataException("cannot read LEAF file " + file + ": " + e.getMessage(), e);
      }
    }

    /** The file's {@code users}, reading no further than that field. */
    List<String> usersOnly() {
      return parse(
          () -> {
            while (p.nextToken() == JsonToken.FIELD_NAME) {
              String field = p.currentName();
              p.nextToken();
              if (field.equals("users")) {
                return names();
              }
              p.skipChildren();
            }
            throw fail("no 'users' field");
          });
    }

    /** Adds the wanted users' samples to {@code into}, checking the whole file. */
    void readInto(Map<String, Samples> into) {
      Map<String, Integer> read = new LinkedHashMap<>();
      Map<String, List<?>> lists = new HashMap<>();
      parse(
          () -> {
            while (p.nextToken() == JsonToken.FIELD_NAME) {
              String field = p.currentName();
              p.nextToken();
              switch (field) {
                case "users" -> lists.put(field, names());
                case "num_samples" -> lists.put(field, counts());
                case "user_data" -> userData(into, read);
                default -> p.skipChildren();
              }
            }
            if (p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null) {
              throw fail("unexpected content after the top-level object");
            }
            return null;
          });
      @SuppressWarnings("unchecked")
      List<String> users = (List<String>) lists.get("users");
      @SuppressWarnings("unchecked")
      List<Integer> counts = (List<Integer>) lists.get("num_samples");
      if (users == null || counts == null) {
        throw new DataException(
            "LEAF file "
                + file
                + " has no '"
                + (users == null ? "users" : "num_samples")
                + "' field");
      }
      if (counts.size() != users.size()) {
        throw new DataException(
            "LEAF file "
                + file
                + " lists "
                + users.size()
                + " users but "
                + counts.size()
                + " num_samples");
      }
      for (int i = 0; i < users.size(); i++) {
        String u = users.get(i);
        Integer n = read.get(u);
        if (n == null) {
          throw new DataException(
              "LEAF file " + file + " lists user " + u + " but its user_data has no entry for it");
        }
        if (counts.get(i) != n.intValue()) {
          throw new DataException(
              "LEAF file "
                  + file
                  + ": num_samples says "
                  + counts.get(i)
                  + " for user "
                  + u
                  + " but its user_data holds "
                  + n);
        }
      }
      for (String u : read.keySet()) {
        if (!users.contains(u)) {
          throw new DataException(
              "LEAF file " + file + " has user_data for " + u + ", who is not in its users");
        }
      }
    }

    private void userData(Map<String, Samples> into, Map<String, Integer> read) throws IOException {
      require(JsonToken.START_OBJECT, "'user_data' to be an object of users");
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String user = p.currentName();
        p.nextToken();
        require(JsonToken.START_OBJECT, "user " + user + "'s data to be an object with x and y");
        if (read.containsKey(user)) {
          throw fail("user " + user + " appears twice in user_data");
        }
        boolean keep = wanted.contains(user);
        Samples mine = null;
        if (keep) {
          Samples earlier = into.get(user);
          if (earlier != null) {
            throw new DataException(
                "LEAF user " + user + " has data in two files: " + earlier.file + " and " + file);
          }
          mine = new Samples(file);
        }
        List<float[]> xs = new ArrayList<>();
        int[] ys = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String field = p.currentName();
          p.nextToken();
          switch (field) {
            case "x" -> xs = images(user, keep);
            case "y" -> ys = labels(user);
            default -> p.skipChildren();
          }
        }
        if (ys == null) {
          throw fail("user " + user + " has no 'y' (labels)");
        }
        if (xs == null || xs.size() != ys.length) {
          throw fail(
              "user "
                  + user
                  + " has "
                  + (xs == null ? "no 'x'" : xs.size() + " images")
                  + " but "
                  + ys.length
                  + " labels");
        }
        if (keep) {
          for (int i = 0; i < ys.length; i++) {
            mine.add(xs.get(i), ys[i]);
          }
          into.put(user, mine);
        }
        read.put(user, ys.length);
      }
    }

    /**
     * The images of one user; kept only if {@code keep} (else checked and counted: null entries).
     */
    private List<float[]> images(String user, boolean keep) throws IOException {
      require(JsonToken.START_ARRAY, "user " + user + "'s x to be a list of images");
      List<float[]> out = new ArrayList<>();
      int values = shape == null ? -1 : shape.values();
      while (p.nextToken() != JsonToken.END_ARRAY) {
        require(JsonToken.START_ARRAY, "user " + user + "'s image " + out.size() + " to be a list");
        float[] image = keep ? new float[values] : null;
        int k = 0;
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
          if (t != JsonToken.VALUE_NUMBER_FLOAT && t != JsonToken.VALUE_NUMBER_INT) {
            throw fail(
                "user " + user + ", image " + out.size() + ": value " + k + " is not a number");
          }
          if (k < values && keep) {
            float v = p.getFloatValue();
            if (!(v >= 0 && v <= 1)) {
              throw fail(
                  String.format(
                      "user %s, image %d: value %d is %s; FEMNIST's values are grey levels in [0,"
                          + " 1]",
                      user, out.size(), k, p.getText()));
            }
            image[k] = v;
          }
          k++;
        }
        if (k != values) {
          throw fail(
              String.format(
                  "user %s, image %d has %d values, expected %d (%s)",
                  user, out.size(), k, values, shape.size()));
        }
        out.add(image);
      }
      return out;
    }

    private int[] labels(String user) throws IOException {
      require(JsonToken.START_ARRAY, "user " + user + "'s y to be a list of labels");
      int[] out = new int[16];
      int n = 0;
      JsonToken t;
      while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
        boolean whole =
            t == JsonToken.VALUE_NUMBER_INT
                || (t == JsonToken.VALUE_NUMBER_FLOAT
                    && p.getDoubleValue() == Math.rint(p.getDoubleValue()));
        if (!whole) {
          throw fail("user " + user + ", label " + n + " is not an integer: " + p.getText());
        }
        double label = p.getDoubleValue();
        if (!(label >= 0 && label < shape.classes())) {
          throw fail(
              "user "
                  + user
                  + ", label "
                  + n
                  + " is "
                  + p.getText()
                  + ", outside 0.."
                  + (shape.classes() - 1));
        }
        if (n == out.length) {
          out = Arrays.copyOf(out, n * 2);
        }
        out[n++] = (int) label;
      }
      return Arrays.copyOf(out, n);
    }

    private List<String> names() throws IOException {
      require(JsonToken.START_ARRAY, "'users' to be a list of names");
      List<String> out = new ArrayList<>();
      while (p.nextToken() != JsonToken.END_ARRAY) {
        if (!p.currentToken().isScalarValue()) {
          throw fail("'users' entry " + out.size() + " is not a name");
        }
        out.add(p.getText());
      }
      return out;
    }

    private List<Integer> counts() throws IOException {
      require(JsonToken.START_ARRAY, "'num_samples' to be a list of counts");
      List<Integer> out = new ArrayList<>();
      while (p.nextToken() != JsonToken.END_ARRAY) {
        if (p.currentToken() != JsonToken.VALUE_NUMBER_INT
            || p.getNumberType() != JsonParser.NumberType.INT
            || p.getIntValue() < 0) {
          throw fail("'num_samples' entry " + out.size() + " is not a count: " + p.getText());
        }
        out.add(p.getIntValue());
      }
      return out;
    }

    private void expect(JsonToken token, String what) throws IOException {
      p.nextToken();
      require(token, what);
    }

    private void require(JsonToken token, String what) {
      if (p.currentToken() != token) {
        throw fail("expected " + what);
      }
    }

    private DataException fail(String what) {
      return new DataException(
          "LEAF file " + file + " at " + where(p.currentLocation()) + ": " + what);
    }

    private DataException malformed(JsonProcessingException e) {
      String why = e.getOriginalMessage();
      if (why != null && why.contains("end-of-input")) {
        why = "it ends early (truncated?): " + why;
      }
      return new DataException(
          "LEAF file "
              + file
              + " is not valid JSON at "
              + (e.getLocation() == null ? "an unknown place" : where(e.getLocation()))
              + ": "
              + why,
          e);
    }

    private static String where(JsonLocation at) {
      return "line " + at.getLineNr() + ", column " + at.getColumnNr();
    }
  }
}
