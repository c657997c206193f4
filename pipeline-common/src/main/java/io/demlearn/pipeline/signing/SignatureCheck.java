package io.demlearn.pipeline.signing;

import io.demlearn.pipeline.checks.UpdateChecks.Refusal;
import io.demlearn.schemas.avro.ClusteringFeatures;
import io.demlearn.schemas.avro.DeadLetterReason;
import io.demlearn.schemas.avro.HierarchyAssignment;
import io.demlearn.schemas.avro.ModelUpdate;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * A verifier's check of a record's signature against the keys registered for the experiment: a
 * record that its owner's key in force did not sign is refused ({@code BAD_SIGNATURE}). Before it
 * refuses, it reads the keys registered since it last looked ({@link Keys#refresh()}): a signer
 * uses a new key only once its registration is written, so a record signed with it is never refused
 * for having arrived before the key did, and the verdict follows from the log alone.
 */
public final class SignatureCheck implements AutoCloseable {
  /** The keys a verifier knows, and a way to read the ones registered since. */
  public interface Keys extends AutoCloseable {
    KeyRing ring();

    /** Reads the keys registered since the last look; whether there were any. */
    boolean refresh();

    @Override
    default void close() {}
  }

  private final Keys keys;

  public SignatureCheck(Keys keys) {
    this.keys = keys;
  }

  /** The keys it checks against. */
  public Keys keys() {
    return keys;
  }

  /** Closes the keys' reader. */
  @Override
  public void close() {
    keys.close();
  }

  /** Null if the update is signed by its agent's key in force for its round, else why not. */
  public Refusal check(ModelUpdate u) {
    return check(
        () -> keys.ring().verify(u), "update of " + u.getAgentId(), u.getAgentId(), u.getRound());
  }

  public Refusal check(ClusteringFeatures f) {
    return check(
        () -> keys.ring().verify(f),
        "clustering features of " + f.getAgentId(),
        f.getAgentId(),
        f.getRound());
  }

  public Refusal check(HierarchyAssignment h) {
    return check(
        () -> keys.ring().verify(h),
        "hierarchy version " + h.getVersion(),
        KeyRing.CLUSTERER,
        h.getEffectiveFromRound());
  }

  /** The verdict, again after reading the keys registered since if it is not a valid signature. */
  private Refusal check(Supplier<KeyRing.Verdict> verify, String what, String owner, int round) {
    KeyRing.Verdict v = verify.get();
    if (v != KeyRing.Verdict.VALID && keys.refresh()) {
      v = verify.get();
    }
    return refusal(v, what, owner, round);
  }

  private Refusal refusal(KeyRing.Verdict v, String what, String owner, int round) {
    String why =
        switch (v) {
          case VALID -> null;
          case UNSIGNED -> "is not signed; this experiment requires signatures";
          case NO_KEY -> "is signed, but " + owner + " has no key registered for round " + round;
          case BAD -> "is not signed by the key " + owner + " has registered for round " + round;
        };
    return why == null
        ? null
        : new Refusal(
            DeadLetterReason.BAD_SIGNATURE,
            String.format(Locale.ROOT, "%s for round %d %s", what, round, why));
  }
}
