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
        bad, "experiment=exp-2\nowner=agent-1\nkeyId=1\neffectiveFromRound=0\nprivateKey=AAAA\n");
    assertThatThrownBy(() -> KeyFiles.read(dir, "exp-2"))
        .hasMessageContaining("key file " + bad + " cannot be used")
        .hasMessageContaining("not an Ed25519 private key");
    Files.writeString(
        bad, "experiment=exp-3\nowner=agent-1\neffectiveFromRound=0\nprivateKey=AAAA\n");
    assertThatThrownBy(() -> KeyFiles.read(dir, "exp-2")).hasMessageContaining("experiment exp-3");
  }

  @Test
  void aSignerFromAFolderTakesUpARotatedKeyWhenItReachesItsRound() throws Exception {
    KeyPair first = Ed25519.generate();
    KeyPair second = Ed25519.generate();
    KeyFiles.write(dir, "exp-4", "agent-1", 1, 0, first.getPrivate());
    Signer signer = KeyFiles.read(dir, "exp-4");
    KeyRing ring = new KeyRing("exp-4");
    assertThat(ring.add(agentKey("agent-1", 1, 0, first))).isNull();
    java.util.List<io.demlearn.schemas.avro.AgentKey> registeredLater = new java.util.ArrayList<>();
    int[] refreshes = {0};
    SignatureCheck.Keys registered =
        new SignatureCheck.Keys() {
          @Override
          public KeyRing ring() {
            return ring;
          }

          @Override
          public boolean refresh() {
            refreshes[0]++;
            registeredLater.forEach(ring::add);
            return !registeredLater.isEmpty();
          }
        };
    signer.keepUpWith(registered, 2);
    signer.keepUpWith(registered, 2);
    assertThat(refreshes[0]).as("once per round").isEqualTo(1);

    // the operator rotates: key 2 from round 5, file and registration
    KeyFiles.write(dir, "exp-4", "agent-1", 2, 5, second.getPrivate());
    registeredLater.add(agentKey("agent-1", 2, 5, second));
    signer.keepUpWith(registered, 4);
    assertThat(ring.verify(signer.sign(features(4)))).isEqualTo(KeyRing.Verdict.VALID);
    signer.keepUpWith(registered, 5);
    assertThat(ring.verify(signer.sign(features(5)))).isEqualTo(KeyRing.Verdict.VALID);
    assertThat(
            Ed25519.verify(
                second.getPublic(),
                Canonical.of(features(5)),
                bytes(signer.sign(features(5)).getSignature())))
        .isTrue();

    // a key registered whose private half is not in the folder: said, not signed with the old one
    registeredLater.add(agentKey("agent-1", 3, 8, Ed25519.generate()));
    assertThatThrownBy(() -> signer.keepUpWith(registered, 8))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("key 3 of agent-1 is registered for round 8")
        .hasMessageContaining(dir.resolve("exp-4").toString());
  }

  private static io.demlearn.schemas.avro.AgentKey agentKey(
      String owner, int keyId, int from, KeyPair pair) {
    return io.demlearn.schemas.avro.AgentKey.newBuilder()
        .setExperimentId("exp-4")
        .setOwnerId(owner)
        .setKeyId(keyId)
        .setEffectiveFromRound(from)
        .setAlgorithm(Ed25519.ALGORITHM)
        .setPublicKey(java.nio.ByteBuffer.wrap(pair.getPublic().getEncoded()))
        .setIssuedAtMs(0L)
        .build();
  }

  private static io.demlearn.schemas.avro.ClusteringFeatures features(int round) {
    var f = new io.demlearn.schemas.avro.ClusteringFeatures();
    f.setExperimentId("exp-4");
    f.setAgentId("agent-1");
    f.setRound(round);
    f.setHierarchyVersion(0);
    f.setDimension(0);
    f.setValues(java.nio.ByteBuffer.wrap(new byte[] {1, 2, 3}));
    return f;
  }

  private static byte[] bytes(java.nio.ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }
}
