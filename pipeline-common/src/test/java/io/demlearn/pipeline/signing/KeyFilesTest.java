package io.demlearn.pipeline.signing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeyFilesTest {
  @TempDir Path dir;

  @Test
  void aKeyWrittenIsReadBackForItsOwnerOnlyAndSignsFromItsRound() throws Exception {
    KeyPair first = Ed25519.generate();
    KeyPair second = Ed25519.generate();
    Path f = KeyFiles.write(dir, "exp-1", "agent-1", 1, 0, first.getPrivate());
    KeyFiles.write(dir, "exp-1", "agent-1", 2, 4, second.getPrivate());
    assertThat(f).isEqualTo(dir.resolve("exp-1").resolve("agent-1.1.key"));
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f)))
        .isEqualTo("rw-------");
    assertThat(Files.readString(f)).contains("keep it secret").contains("owner=agent-1");

    Signer signer = KeyFiles.read(dir, "exp-1");
    assertThat(signer.signs("agent-1", 0)).isTrue();
    assertThat(signer.signs("agent-2", 0)).isFalse();
    byte[] content = {1, 2, 3};
    var h = new io.demlearn.schemas.avro.ClusteringFeatures(); // any signed record type
    h.setExperimentId("exp-1");
    h.setAgentId("agent-1");
    h.setRound(3);
    h.setHierarchyVersion(0);
    h.setDimension(0);
    h.setValues(java.nio.ByteBuffer.wrap(content));
    signer.sign(h);
    assertThat(Ed25519.verify(first.getPublic(), Canonical.of(h), bytes(h.getSignature())))
        .as("round 3: the first key")
        .isTrue();
    h.setRound(4);
    signer.sign(h);
    assertThat(Ed25519.verify(second.getPublic(), Canonical.of(h), bytes(h.getSignature())))
        .as("round 4: the second key")
        .isTrue();
  }

  @Test
  void aFolderOrFileThatCannotBeUsedIsNamed() throws Exception {
    assertThatThrownBy(() -> KeyFiles.read(dir, "exp-2"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no keys of experiment exp-2 in " + dir);
    Files.createDirectories(dir.resolve("exp-2"));
    assertThatThrownBy(() -> KeyFiles.read(dir, "exp-2"))
        .hasMessageContaining("no key files (*.key) in " + dir.resolve("exp-2"));
    Path bad = dir.resolve("exp-2").resolve("agent-1.1.key");
    Files.writeString(
        bad, "experiment=exp-2\nowner=agent-1\neffectiveFromRound=0\nprivateKey=AAAA\n");
    assertThatThrownBy(() -> KeyFiles.read(dir, "exp-2"))
        .hasMessageContaining("key file " + bad + " cannot be used")
        .hasMessageContaining("not an Ed25519 private key");
    Files.writeString(
        bad, "experiment=exp-3\nowner=agent-1\neffectiveFromRound=0\nprivateKey=AAAA\n");
    assertThatThrownBy(() -> KeyFiles.read(dir, "exp-2")).hasMessageContaining("experiment exp-3");
  }

  private static byte[] bytes(java.nio.ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }
}
