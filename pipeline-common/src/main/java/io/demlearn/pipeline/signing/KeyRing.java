package io.demlearn.pipeline.signing;

import io.demlearn.schemas.avro.AgentKey;
import io.demlearn.schemas.avro.ClusteringFeatures;
import io.demlearn.schemas.avro.HierarchyAssignment;
import io.demlearn.schemas.avro.ModelUpdate;
import java.nio.ByteBuffer;
import java.security.PublicKey;
import java.util.HashMap;
import java.util.Map;
import java.util.Map.Entry;
import java.util.TreeMap;

/**
 * The public keys of a signed experiment, as the {@code agent-keys} topic registers them, and the
 * verdict on a record's signature: the key in force for a record is its owner's key with the latest
 * {@code effectiveFromRound} at or before the record's round (for a hierarchy version: its {@code
 * effectiveFromRound}). Not thread-safe.
 */
public final class KeyRing {
  /** The owner id of the clusterer's keys, which sign hierarchy versions. */
  public static final String CLUSTERER = "clusterer";

  /** What a signature check found. */
  public enum Verdict {
    /** Signed by the owner's key in force. */
    VALID,
    /** No signature. */
    UNSIGNED,
    /** The owner has no key in force for the record's round. */
    NO_KEY,
    /** A signature that the key in force does not make for this content. */
    BAD
  }

  private record Registered(
      int keyId, PublicKey key, Ed25519.Verifier verifier, ByteBuffer encoded) {}

  private final String experimentId;
  private final Map<String, TreeMap<Integer, Registered>> byOwner = new HashMap<>();
  private final Map<String, Integer> effectiveOf = new HashMap<>();

  public KeyRing(String experimentId) {
    this.experimentId = experimentId;
  }

  /**
   * Registers a key record.
   *
   * @return null if it is registered (or is one already registered, read again), else why it is
   *     refused: another experiment's, not Ed25519, an unreadable key, or an owner's key id or
   *     effective round that is taken by another key
   */
  public String add(AgentKey k) {
    if (k == null) {
      return "unreadable key record";
    }
    if (!experimentId.equals(k.getExperimentId())) {
      return "key of experiment " + k.getExperimentId() + ", not " + experimentId;
    }
    if (!Ed25519.ALGORITHM.equals(k.getAlgorithm())) {
      return "key algorithm " + k.getAlgorithm() + " is not " + Ed25519.ALGORITHM;
    }
    PublicKey key;
    Ed25519.Verifier verifier;
    try {
      key = Ed25519.publicKey(bytes(k.getPublicKey()));
      verifier = Ed25519.verifier(key);
    } catch (IllegalArgumentException e) {
      return "key " + k.getKeyId() + " of " + k.getOwnerId() + ": " + e.getMessage();
    }
    ByteBuffer encoded = ByteBuffer.wrap(bytes(k.getPublicKey()));
    String id = k.getOwnerId() + "/" + k.getKeyId();
    Integer effective = effectiveOf.get(id);
    TreeMap<Integer, Registered> keys =
        byOwner.computeIfAbsent(k.getOwnerId(), o -> new TreeMap<>());
    if (effective != null) {
      Registered before = keys.get(effective);
      return effective == k.getEffectiveFromRound() && before.encoded().equals(encoded)
          ? null
          : "key " + k.getKeyId() + " of " + k.getOwnerId() + " is registered already, differently";
    }
    Registered taken = keys.get(k.getEffectiveFromRound());
    if (taken != null) {
      return "key "
          + taken.keyId()
          + " of "
          + k.getOwnerId()
          + " already takes effect from round "
          + k.getEffectiveFromRound();
    }
    keys.put(k.getEffectiveFromRound(), new Registered(k.getKeyId(), key, verifier, encoded));
    effectiveOf.put(id, k.getEffectiveFromRound());
    return null;
  }

  /** The owner's key in force for a round, or null. */
  public PublicKey inForce(String owner, int round) {
    Registered r = registered(owner, round);
    return r == null ? null : r.key();
  }

  /** The id of the owner's key in force for a round, or 0 if there is none. */
  public int keyIdInForce(String owner, int round) {
    Registered r = registered(owner, round);
    return r == null ? 0 : r.keyId();
  }

  private Registered registered(String owner, int round) {
    TreeMap<Integer, Registered> keys = byOwner.get(owner);
    Entry<Integer, Registered> e = keys == null ? null : keys.floorEntry(round);
    return e == null ? null : e.getValue();
  }

  /** Owners with a registered key. */
  public int owners() {
    return byOwner.size();
  }

  public Verdict verify(ModelUpdate u) {
    return verify(u.getAgentId(), u.getRound(), Canonical.of(u), u.getSignature());
  }

  public Verdict verify(ClusteringFeatures f) {
    return verify(f.getAgentId(), f.getRound(), Canonical.of(f), f.getSignature());
  }

  public Verdict verify(HierarchyAssignment h) {
    return verify(CLUSTERER, h.getEffectiveFromRound(), Canonical.of(h), h.getSignature());
  }

  private Verdict verify(String owner, int round, byte[] content, ByteBuffer signature) {
    if (signature == null) {
      return Verdict.UNSIGNED;
    }
    Registered r = registered(owner, round);
    if (r == null) {
      return Verdict.NO_KEY;
    }
    return r.verifier().verify(content, bytes(signature)) ? Verdict.VALID : Verdict.BAD;
  }

  static byte[] bytes(ByteBuffer b) {
    ByteBuffer view = b.duplicate();
    byte[] out = new byte[view.remaining()];
    view.get(out);
    return out;
  }
}
