package io.demlearn.testkit;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;

/**
 * The project's own container images, for tests that run them: their names (system properties set
 * by the build, {@code demlearn.image.app}, {@code .kafka}, {@code .registry} and {@code
 * .prometheus}), and assumptions that skip a test, saying why, where no Docker engine answers or an
 * image has not been built ({@code mvn -Pimages -DskipTests package}; README, "Deploy with Docker
 * Compose").
 */
public final class DockerImages {
  private DockerImages() {}

  /** The application image (every command and service). */
  public static String app() {
    return name("app", "demlearn/demlearn:0.1.0-SNAPSHOT");
  }

  /** The Kafka broker image (KRaft). */
  public static String kafka() {
    return name("kafka", "demlearn/kafka:4.4.0");
  }

  /** The schema registry image. */
  public static String registry() {
    return name("registry", "demlearn/registry:2.4.2");
  }

  /** The Prometheus image of the Compose deployment (docker/build-prometheus.sh). */
  public static String prometheus() {
    return name("prometheus", "demlearn/prometheus:2.42.0");
  }

  private static String name(String which, String otherwise) {
    return System.getProperty("demlearn.image." + which, otherwise);
  }

  /** Skips the calling test, saying why, unless an engine answers and every image is present. */
  public static void assumePresent(String... images) {
    String engine = engineProblem();
    assumeTrue(engine == null, () -> "skipped: " + engine);
    List<String> missing = new ArrayList<>();
    for (String image : images) {
      if (docker("image", "inspect", "--format", "{{.Id}}", image).exitCode() != 0) {
        missing.add(image);
      }
    }
    assumeTrue(
        missing.isEmpty(),
        () ->
            "skipped: the Docker engine runs, but these images are not built: "
                + missing
                + " (mvn -Pimages -DskipTests package; where no registry can be reached, first"
                + " docker/build-base.sh and -Ddemlearn.base.image=docker://"
                + "demlearn/base:bookworm-jre17)");
  }

  /** Why no Docker engine can be used here, or null when one answers. */
  public static String engineProblem() {
    Commands.Answer a = docker("info", "--format", "{{.ServerVersion}}");
    if (a.exitCode() == 0 && !a.output().isBlank()) {
      return null;
    }
    return a.exitCode() == 127
        ? "no docker command on this machine (apt-get install docker.io)"
        : "no Docker engine answers (docker info: " + a.output().strip() + ")";
  }

  /** Runs the docker command line; its exit code and output (standard output and error). */
  public static Commands.Answer docker(String... args) {
    List<String> command = new ArrayList<>(List.of("docker"));
    command.addAll(List.of(args));
    return Commands.run(command, 60);
  }
}
