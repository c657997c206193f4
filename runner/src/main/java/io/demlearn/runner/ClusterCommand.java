package io.demlearn.runner;

import io.demlearn.core.cluster.Agglomerative;
import io.demlearn.core.cluster.ClusteringInputException;
import io.demlearn.core.cluster.Dendrogram;
import io.demlearn.core.cluster.Linkage;
import io.demlearn.core.cluster.Metric;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code demlearn cluster}: agglomerative clustering of the rows of a CSV file (one row per agent,
 * comma-separated numbers; a first line that is not numeric is taken as a header), written as a
 * linkage matrix in scipy's format: n-1 rows "left,right,distance,size".
 */
@Command(
    name = "cluster",
    mixinStandardHelpOptions = true,
    description = "Cluster the rows of a CSV file; write a linkage matrix in scipy's format.")
final class ClusterCommand implements Callable<Integer> {
  @Option(
      names = "--input",
      required = true,
      paramLabel = "X.csv",
      description = "One row of numbers per agent.")
  Path input;

  @Option(
      names = "--metric",
      defaultValue = "euclidean",
      paramLabel = "M",
      description = "euclidean or cosine (default: ${DEFAULT-VALUE}).")
  String metric;

  @Option(
      names = "--linkage",
      defaultValue = "average",
      paramLabel = "L",
      description = "average, single, complete or ward (default: ${DEFAULT-VALUE}).")
  String linkage;

  @Option(
      names = "--output",
      required = true,
      paramLabel = "Z.csv",
      description = "Where to write the linkage matrix.")
  Path output;

  @Override
  public Integer call() {
    Metric m;
    Linkage l;
    try {
      m = Metric.parse(metric);
      l = Linkage.parse(linkage);
    } catch (IllegalArgumentException e) {
      throw new UserException(e.getMessage(), e);
    }
    if (l == Linkage.WARD && m != Metric.EUCLIDEAN) {
      throw new UserException(
          "--linkage ward needs --metric euclidean (got --metric " + m.label() + ")");
    }
    List<float[]> rows = read(input);
    Dendrogram d;
    long t0 = System.nanoTime();
    try {
      d = Agglomerative.cluster(rows.toArray(new float[0][]), m, l);
    } catch (ClusteringInputException e) {
      throw new UserException(
          input
              + ": data row "
              + (e.row() + 1)
              + " "
              + e.getMessage().replaceFirst("^row \\d+ ", ""),
          e);
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    try {
      Path parent = output.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      Path tmp = output.resolveSibling(output.getFileName() + ".tmp");
      Files.writeString(tmp, d.toCsv(), StandardCharsets.UTF_8);
      Files.move(tmp, output, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UserException("cannot write " + output + ": " + e.getMessage(), e);
    }
    System.out.printf(
        Locale.ROOT,
        "clustered %d rows of %d values (%s, %s linkage) in %.3f s; wrote %d merges to %s%n",
        rows.size(),
        rows.isEmpty() ? 0 : rows.get(0).length,
        m.label(),
        l.label(),
        seconds,
        d.merges().size(),
        output);
    return 0;
  }

  static List<float[]> read(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new UserException("input file " + file + " does not exist");
    }
    List<float[]> rows = new ArrayList<>();
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String line;
      int lineNo = 0;
      int width = -1;
      while ((line = in.readLine()) != null) {
        lineNo++;
        if (line.isBlank()) {
          continue;
        }
        String[] cells = line.split(",", -1);
        if (rows.isEmpty() && width < 0 && !isNumber(cells[0].trim())) {
          width = cells.length; // a header line
          continue;
        }
        float[] row = new float[cells.length];
        for (int c = 0; c < cells.length; c++) {
          String cell = cells[c].trim();
          try {
            row[c] = Float.parseFloat(cell);
          } catch (NumberFormatException e) {
            throw new UserException(
                file
                    + ": line "
                    + lineNo
                    + ", column "
                    + (c + 1)
                    + ": '"
                    + cell
                    + "' is not a number");
          }
          if (!Float.isFinite(row[c])) {
            throw new UserException(
                file
                    + ": line "
                    + lineNo
                    + ", column "
                    + (c + 1)
                    + ": "
                    + cell
                    + " is not a finite number");
          }
        }
        if (!rows.isEmpty() && row.length != rows.get(0).length) {
          throw new UserException(
              file
                  + ": line "
                  + lineNo
                  + " has "
                  + row.length
                  + " values, the first row has "
                  + rows.get(0).length);
        }
        rows.add(row);
      }
    } catch (IOException e) {
      throw new UserException("cannot read " + file + ": " + e.getMessage(), e);
    }
    if (rows.size() < 2) {
      throw new UserException(
          file + " has " + rows.size() + " data rows; clustering needs at least 2");
    }
    return rows;
  }

  private static boolean isNumber(String s) {
    try {
      Float.parseFloat(s);
      return true;
    } catch (NumberFormatException e) {
      return false;
    }
  }
}
