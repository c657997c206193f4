package io.demlearn.pipeline.signing;

import io.demlearn.schemas.avro.ClusteringFeatures;
import io.demlearn.schemas.avro.HierarchyAssignment;
import io.demlearn.schemas.avro.ModelUpdate;
import java.nio.ByteBuffer;
import java.security.PrivateKey;
import java.util.HashMap;
import java.util.Map;
import java.util.Map.Entry;
import java.util.TreeMap;

/**
 * The private keys a service holds (a worker's agents', or the clusterer's), by owner and the round
 * each takes effect from, and the signatures they make: each record is signed by its owner's key in
 * force for its round, as {@link KeyRing} verifies it. Thread-safe once built.
 */
public final class Signer {
  private final Map<String, TreeMap<Integer, PrivateKey>> byOwner = new HashMap<>();

  /** Adds an owner's key, in force from {@code effectiveFromRound} to its next key. */
  public Signer add(String owner, int effectiveFromRound, PrivateKey key) {
    byOwner.computeIfAbsent(owner, o -> new TreeMap<>()).put(effectiveFromRound, key);
    return this;
  }

  /** Whether it holds a key of the owner for the round. */
  public boolean signs(String owner, int round) {
    return key(owner, round) != null;
  }

  /**
   * The update with its signature set.
   *
   * @throws IllegalStateException if there is no key of its agent for its round
   */
  public ModelUpdate sign(ModelUpdate u) {
    u.setSignature(null);
    u.setSignature(signature(u.getAgentId(), u.getRound(), Canonical.of(u)));
    return u;
  }

  public ClusteringFeatures sign(ClusteringFeatures f) {
    f.setSignature(null);
    f.setSignature(signature(f.getAgentId(), f.getRound(), Canonical.of(f)));
    return f;
  }

  public HierarchyAssignment sign(HierarchyAssignment h) {
    h.setSignature(null);
    h.setSignature(signature(KeyRing.CLUSTERER, h.getEffectiveFromRound(), Canonical.of(h)));
    return h;
  }

  private ByteBuffer signature(String owner, int round, byte[] content) {
    PrivateKey key = key(owner, round);
    if (key == null) {
      throw new IllegalStateException("no key of " + owner + " signs round " + round);
    }
    return ByteBuffer.wrap(Ed25519.sign(key, content));
  }

  private PrivateKey key(String owner, int round) {
    TreeMap<Integer, PrivateKey> keys = byOwner.get(owner);
    Entry<Integer, PrivateKey> e = keys == null ? null : keys.floorEntry(round);
    return e == null ? null : e.getValue();
  }
}
