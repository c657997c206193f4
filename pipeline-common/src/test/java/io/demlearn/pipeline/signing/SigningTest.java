package io.demlearn.pipeline.signing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.demlearn.core.cluster.Dendrogram;
import io.demlearn.core.cluster.Hierarchy;
import io.demlearn.core.experiment.ExperimentSettings;
import io.demlearn.core.metrics.AgentScore;
import io.demlearn.core.strategy.HierarchyVersion;
import io.demlearn.pipeline.records.Experiment;
import io.demlearn.pipeline.records.Features;
import io.demlearn.pipeline.records.Hierarchies;
import io.demlearn.pipeline.records.ModelUpdates;
import io.demlearn.schemas.avro.AgentKey;
import io.demlearn.schemas.avro.ClusteringFeatures;
import io.demlearn.schemas.avro.HierarchyAssignment;
import io.demlearn.schemas.avro.ModelUpdate;
import java.nio.ByteBuffer;
import java.security.KeyPair;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class SigningTest {
  private static final ExperimentSettings SETTINGS =
      ExperimentSettings.builder().dataset("synthetic").agents(4).rounds(10).build();
  private static final List<String> IDS =
      IntStream.range(0, 4).mapToObj(i -> "agent-" + i).toList();
  private static final Experiment EXPERIMENT =
      new Experiment("signed", SETTINGS, IDS, Experiment.defaultPolicy());

  private final KeyPair first = Ed25519.generate();
  private final KeyPair second = Ed25519.generate();
  private final KeyPair clusterer = Ed25519.generate();

  private static AgentKey key(String owner, int keyId, int from, KeyPair pair) {
    return AgentKey.newBuilder()
        .setExperimentId("signed")
        .setOwnerId(owner)
        .setKeyId(keyId)
        .setEffectiveFromRound(from)
        .setAlgorithm(Ed25519.ALGORITHM)
        .setPublicKey(ByteBuffer.wrap(pair.getPublic().getEncoded()))
        .setIssuedAtMs(1L)
        .build();
  }

  private KeyRing ring() {
    KeyRing ring = new KeyRing("signed");
    assertThat(ring.add(key("agent-1", 1, 0, first))).isNull();
    assertThat(ring.add(key("agent-1", 2, 5, second))).isNull();
    assertThat(ring.add(key(KeyRing.CLUSTERER, 1, 0, clusterer))).isNull();
    return ring;
  }

  private Signer signer() {
    return new Signer()
        .add("agent-1", 0, first.getPrivate())
        .add("agent-1", 5, second.getPrivate())
        .add(KeyRing.CLUSTERER, 0, clusterer.getPrivate());
  }

  private static ModelUpdate update(int round) {
    float[] p = new float[7850];
    for (int i = 0; i < p.length; i++) {
      p[i] = (float) Math.sin(i + round);
    }
    return ModelUpdates.of(
        EXPERIMENT, "agent-1", round, round - 1, 70, p, new AgentScore(3, 10, 40, 100), 1234L);
  }

  @Test
  void anUpdateSignedByItsAgentsKeyInForceIsValidAndAnyChangeMakesItBad() {
    KeyRing ring = ring();
    ModelUpdate u = signer().sign(update(3));
    assertThat(u.getSignature().remaining()).isEqualTo(Ed25519.SIGNATURE_BYTES);
    assertThat(ring.verify(u)).isEqualTo(KeyRing.Verdict.VALID);

    ModelUpdate changed = signer().sign(update(3));
    ByteBuffer values = ByteBuffer.allocate(changed.getParameters().getValues().remaining());
    values.put(changed.getParameters().getValues().duplicate()).flip();
    values.put(100, (byte) (values.get(100) ^ 1));
    changed.getParameters().setValues(values);
    assertThat(ring.verify(changed)).as("one bit of one parameter").isEqualTo(KeyRing.Verdict.BAD);

    ModelUpdate otherRound = signer().sign(update(3));
    otherRound.setRound(4);
    assertThat(ring.verify(otherRound)).isEqualTo(KeyRing.Verdict.BAD);
    ModelUpdate otherAgent = signer().sign(update(3));
    otherAgent.setAgentId("agent-2");
    assertThat(ring.verify(otherAgent)).as("agent-2 has no key").isEqualTo(KeyRing.Verdict.NO_KEY);
    assertThat(ring.verify(update(3))).isEqualTo(KeyRing.Verdict.UNSIGNED);
  }

  @Test
  void aWellFormedUpdateSignedWithAnotherKeyIsBad() {
    KeyRing ring = ring();
    KeyPair forger = Ed25519.generate();
    ModelUpdate forged = new Signer().add("agent-1", 0, forger.getPrivate()).sign(update(3));
    assertThat(ring.verify(forged)).isEqualTo(KeyRing.Verdict.BAD);
  }

  @Test
  void aRotatedKeySignsFromItsEffectiveRoundAndTheOldOneNoLonger() {
    KeyRing ring = ring();
    assertThat(ring.verify(signer().sign(update(4)))).isEqualTo(KeyRing.Verdict.VALID);
    assertThat(ring.verify(signer().sign(update(5)))).isEqualTo(KeyRing.Verdict.VALID);
    assertThat(ring.keyIdInForce("agent-1", 4)).isEqualTo(1);
    assertThat(ring.keyIdInForce("agent-1", 5)).isEqualTo(2);
    ModelUpdate oldKey = new Signer().add("agent-1", 0, first.getPrivate()).sign(update(5));
    assertThat(ring.verify(oldKey))
        .as("the first key after the rotation")
        .isEqualTo(KeyRing.Verdict.BAD);
  }

  @Test
  void featuresAndHierarchiesAreSignedLikewiseAndATypesSignatureDoesNotPassForAnothers() {
    KeyRing ring = ring();
    ClusteringFeatures f =
        signer().sign(Features.of("signed", "agent-1", 2, 1, new float[] {1f, 2f, 3f}));
    assertThat(ring.verify(f)).isEqualTo(KeyRing.Verdict.VALID);
    f.setDimension(4);
    assertThat(ring.verify(f)).isEqualTo(KeyRing.Verdict.BAD);

    Dendrogram d =
        new Dendrogram(
            4,
            List.of(
                new Dendrogram.Merge(0, 1, 1.0, 2),
                new Dendrogram.Merge(2, 3, 1.5, 2),
                new Dendrogram.Merge(4, 5, 3.0, 4)));
    HierarchyAssignment h =
        Hierarchies.toRecord(
            "signed",
            new HierarchyVersion(Hierarchy.fromDendrogram(d, 2), d, 1, 1),
            IDS,
            SETTINGS,
            9L);
    signer().sign(h);
    assertThat(ring.verify(h)).isEqualTo(KeyRing.Verdict.VALID);
    h.getGroups().get(0).setAgentIds(List.of("agent-3"));
    assertThat(ring.verify(h)).isEqualTo(KeyRing.Verdict.BAD);

    // the clusterer's signature of an update's content is not the agent's
    ModelUpdate u = update(3);
    u.setAgentId(KeyRing.CLUSTERER);
    new Signer().add(KeyRing.CLUSTERER, 0, clusterer.getPrivate()).sign(u);
    u.setAgentId("agent-1");
    assertThat(ring.verify(u)).isEqualTo(KeyRing.Verdict.BAD);
  }

  @Test
  void theCanonicalBytesLeaveTheSignatureOutAndAreStable() {
    ModelUpdate u = update(3);
    byte[] before = Canonical.of(u);
    signer().sign(u);
    assertThat(Canonical.of(u)).isEqualTo(before);
    assertThat(Canonical.of(update(3))).isEqualTo(before);
    assertThat(Canonical.of(update(4))).isNotEqualTo(before);
  }

  @Test
  void conflictingOrForeignKeysAreRefusedSayingWhy() {
    KeyRing ring = ring();
    assertThat(ring.add(key("agent-1", 1, 0, first))).as("read again").isNull();
    assertThat(ring.add(key("agent-1", 1, 0, second))).contains("registered already, differently");
    assertThat(ring.add(key("agent-1", 3, 5, first))).contains("already takes effect from round 5");
    AgentKey foreign = key("agent-2", 1, 0, first);
    foreign.setExperimentId("other");
    assertThat(ring.add(foreign)).contains("experiment other");
    AgentKey rsa = key("agent-2", 1, 0, first);
    rsa.setAlgorithm("RSA");
    assertThat(ring.add(rsa)).contains("not Ed25519");
    AgentKey garbage = key("agent-2", 1, 0, first);
    garbage.setPublicKey(ByteBuffer.wrap(new byte[] {1, 2, 3}));
    assertThat(ring.add(garbage)).contains("not an Ed25519 public key");
    assertThatThrownBy(() -> new Signer().sign(update(1)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("no key of agent-1 signs round 1");
  }

  @Test
  void signaturesAreTheJdksOwnEd25519Signatures() throws Exception {
    byte[] content = Canonical.of(update(2));
    byte[] ours = Ed25519.sign(first.getPrivate(), content);
    java.security.Signature jdk = java.security.Signature.getInstance("Ed25519");
    jdk.initSign(first.getPrivate());
    jdk.update(content);
    assertThat(ours).isEqualTo(jdk.sign());
    jdk.initVerify(first.getPublic());
    jdk.update(content);
    assertThat(jdk.verify(ours)).isTrue();
    assertThat(Ed25519.verify(first.getPublic(), content, ours)).isTrue();
    assertThat(Ed25519.verify(second.getPublic(), content, ours)).isFalse();
    assertThat(Ed25519.verify(first.getPublic(), content, new byte[12])).isFalse();
    assertThat(Ed25519.privateKey(first.getPrivate().getEncoded()).getEncoded())
        .isEqualTo(first.getPrivate().getEncoded());
  }
}
