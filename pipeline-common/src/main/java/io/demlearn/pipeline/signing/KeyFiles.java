package io.demlearn.pipeline.signing;

import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.util.Base64;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * Private keys on disk, one file per owner and key: {@code DIR/<experiment>/<owner>.<keyId>.key},
 * readable by its user only, holding the experiment, the owner, the key id, the round it signs from
 * and the PKCS #8 key in Base64. A worker is given the directory of its agents' keys, the clusterer
 * that of its own ({@code --key-dir}).
 */
public final class KeyFiles {
  private KeyFiles() {}

  /** Writes one private key; returns its file. */
  public static Path write(
      Path dir, String experiment, String owner, int keyId, int fromRound, PrivateKey key) {
    Properties p = new Properties();
    p.setProperty("experiment", experiment);
    p.setProperty("owner", owner);
    p.setProperty("keyId", Integer.toString(keyId));
    p.setProperty("effectiveFromRound", Integer.toString(fromRound));
    p.setProperty("privateKey", Base64.getEncoder().encodeToString(key.getEncoded()));
    Path folder = dir.resolve(experiment);
    Path file = folder.resolve(owner + "." + keyId + ".key");
    try {
      Files.createDirectories(folder);
      StringBuilder text =
          new StringBuilder("# DemLearn private key of ")
              .append(owner)
              .append(" (experiment ")
              .append(experiment)
              .append("): keep it secret\n");
      for (String name :
          List.of("experiment", "owner", "keyId", "effectiveFromRound", "privateKey")) {
        text.append(name).append('=').append(p.getProperty(name)).append('\n');
      }
      Path tmp = folder.resolve(file.getFileName() + ".tmp");
      Files.deleteIfExists(tmp);
      try {
        Files.createFile(
            tmp,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      } catch (UnsupportedOperationException e) {
        Files.createFile(tmp); // not a POSIX file system
      }
      Files.writeString(tmp, text, StandardCharsets.UTF_8);
      Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot write the key file " + file + ": " + e.getMessage(), e);
    }
    return file;
  }

  /**
   * A signer with every key of the experiment in {@code dir}, which reads the folder again when a
   * rotated key is registered ({@link Signer#keepUpWith}).
   *
   * @throws IllegalArgumentException naming the file that cannot be read, or if there is none
   */
  public static Signer read(Path dir, String experiment) {
    Path folder = dir.resolve(experiment);
    if (!Files.isDirectory(folder)) {
      throw new IllegalArgumentException(
          "no keys of experiment " + experiment + " in " + dir + " (no folder " + folder + ")");
    }
    Signer signer = new Signer(dir, experiment);
    int read = 0;
    try (Stream<Path> files = Files.list(folder)) {
      for (Path f : files.filter(x -> x.toString().endsWith(".key")).sorted().toList()) {
        Properties p = new Properties();
        try {
          p.load(new StringReader(Files.readString(f, StandardCharsets.UTF_8)));
          if (!experiment.equals(p.getProperty("experiment"))) {
            throw new IllegalArgumentException(
                "it is a key of experiment " + p.getProperty("experiment"));
          }
          signer.add(
              required(p, "owner"),
              Integer.parseInt(required(p, "keyId")),
              Integer.parseInt(required(p, "effectiveFromRound")),
              Ed25519.privateKey(Base64.getDecoder().decode(required(p, "privateKey"))));
          read++;
        } catch (IOException | IllegalArgumentException e) {
          throw new IllegalArgumentException(
              "key file " + f + " cannot be used: " + e.getMessage(), e);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + folder + ": " + e.getMessage(), e);
    }
    if (read == 0) {
      throw new IllegalArgumentException("no key files (*.key) in " + folder);
    }
    return signer;
  }

  private static String required(Properties p, String name) {
    String v = p.getProperty(name);
    if (v == null || v.isBlank()) {
      throw new IllegalArgumentException("no " + name);
    }
    return v.trim();
  }
}
