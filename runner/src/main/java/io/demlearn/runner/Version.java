package io.demlearn.runner;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/**
 * This build's version, from {@code version.properties} (written by Maven), for --version and
 * provenance.
 */
public final class Version implements IVersionProvider {
  private static final String VERSION = load();

  /** The version, e.g. {@code 0.1.0-SNAPSHOT}; "unknown" if the build did not write it. */
  public static String get() {
    return VERSION;
  }

  @Override
  public String[] getVersion() {
    return new String[] {"demlearn " + VERSION};
  }

  private static String load() {
    try (InputStream in = Version.class.getResourceAsStream("version.properties")) {
      if (in == null) {
        return "unknown";
      }
      Properties p = new Properties();
      p.load(in);
      String v = p.getProperty("version", "");
      return v.isBlank() || v.startsWith("${") ? "unknown" : v;
    } catch (IOException e) {
      return "unknown";
    }
  }
}
