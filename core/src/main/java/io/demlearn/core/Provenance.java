package io.demlearn.core;

import io.demlearn.core.model.Tensors;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * The machine and the numerical software an experiment ran with, for its provenance: the same
 * settings and seed give the same bits on the same CPU architecture and ND4J build, and these say
 * which.
 */
public final class Provenance {
  private Provenance() {}

  /**
   * {@code os.name}, {@code os.arch}, {@code cpu} (the model name), {@code cores} and {@code java}.
   */
  public static Map<String, String> machine() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("os.name", System.getProperty("os.name") + " " + System.getProperty("os.version"));
    m.put("os.arch", System.getProperty("os.arch"));
    m.put("cpu", cpuModel());
    m.put("cores", Integer.toString(Runtime.getRuntime().availableProcessors()));
    m.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
    return m;
  }

  /**
   * The {@link #machine()} and ND4J: {@code nd4j.version}, {@code nd4j.backend} (backend and BLAS)
   * and {@code nd4j.build} (how its native library was compiled: compiler, oneDNN, OpenBLAS).
   * Starts ND4J if it is not running.
   */
  public static Map<String, String> withNumerics() {
    Tensors.init();
    Map<String, String> m = machine();
    m.put("nd4j.version", nd4jVersion());
    Properties env = Nd4j.getExecutioner().getEnvironmentInformation();
    m.put(
        "nd4j.backend",
        env.getProperty("backend", "unknown")
            + " ("
            + Nd4j.getBackend().getClass().getSimpleName()
            + "), BLAS "
            + env.getProperty("blas.vendor", "unknown"));
    m.put(
        "nd4j.build",
        String.join(
            "; ",
            NativeOpsHolder.getInstance()
                .getDeviceNativeOps()
                .buildInfo()
                .strip()
                .split("\\s*\\n\\s*")));
    return m;
  }

  /** The CPU's model name from {@code /proc/cpuinfo}, or "unknown" where there is none. */
  static String cpuModel() {
    try {
      List<String> lines = Files.readAllLines(Path.of("/proc/cpuinfo"));
      for (String line : lines) {
        if (line.startsWith("model name")) {
          return line.substring(line.indexOf(':') + 1).strip();
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux: say so below
    }
    return "unknown";
  }

  private static String nd4jVersion() {
    try (InputStream in =
        Nd4j.class.getResourceAsStream("/META-INF/maven/org.nd4j/nd4j-api/pom.properties")) {
      if (in != null) {
        Properties p = new Properties();
        p.load(in);
        return p.getProperty("version", "unknown");
      }
    } catch (IOException e) {
      // fall through
    }
    return "unknown";
  }
}
