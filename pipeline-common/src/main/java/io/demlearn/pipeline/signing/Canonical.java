package io.demlearn.pipeline.signing;

import io.demlearn.schemas.avro.AgentEvaluation;
import io.demlearn.schemas.avro.ClusteringFeatures;
import io.demlearn.schemas.avro.GroupNode;
import io.demlearn.schemas.avro.HierarchyAssignment;
import io.demlearn.schemas.avro.LinkageRow;
import io.demlearn.schemas.avro.ModelUpdate;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/**
 * The bytes a signature covers: every field of a record but its signature, in a fixed order and
 * encoding of its own (big-endian numbers, length-prefixed UTF-8 strings and byte strings), after a
 * tag naming the record type and this encoding's version. Independent of the Avro schema the record
 * was written with, so a record keeps its signature when the schema gains fields; two records with
 * the same content have the same bytes, and the tag keeps a signature of one type from passing for
 * another's.
 */
public final class Canonical {
  private Canonical() {}

  /** An agent's model update. */
  public static byte[] of(ModelUpdate u) {
    return write(
        "demlearn/model-update/v1",
        out -> {
          out.str(u.getExperimentId());
          out.str(u.getAgentId());
          out.i32(u.getRound());
          out.i32(u.getHierarchyVersion());
          out.i32(u.getTrainSamples());
          out.str(u.getParameters().getModelKind().name());
          out.i32(u.getParameters().getDimension());
          out.bytes(u.getParameters().getValues());
          out.i64(u.getProducedAtMs());
          AgentEvaluation e = u.getEvaluation();
          out.i32(e == null ? 0 : 1);
          if (e != null) {
            out.i64(e.getOwnCorrect());
            out.i64(e.getOwnTotal());
            out.i64(e.getAllCorrect());
            out.i64(e.getAllTotal());
          }
        });
  }

  /** An agent's clustering features of a round. */
  public static byte[] of(ClusteringFeatures f) {
    return write(
        "demlearn/clustering-features/v1",
        out -> {
          out.str(f.getExperimentId());
          out.str(f.getAgentId());
          out.i32(f.getRound());
          out.i32(f.getHierarchyVersion());
          out.i32(f.getDimension());
          out.bytes(f.getValues());
        });
  }

  /** A hierarchy version. */
  public static byte[] of(HierarchyAssignment h) {
    return write(
        "demlearn/hierarchy-assignment/v1",
        out -> {
          out.str(h.getExperimentId());
          out.i32(h.getVersion());
          out.i32(h.getEffectiveFromRound());
          out.i32(h.getClusteredAtRound());
          out.i32(h.getLevels());
          out.strings(h.getAgentIds());
          out.i32(h.getLinkage().size());
          for (LinkageRow r : h.getLinkage()) {
            out.i32(r.getLeft());
            out.i32(r.getRight());
            out.i64(Double.doubleToLongBits(r.getDistance()));
            out.i32(r.getSize());
          }
          out.i32(h.getGroups().size());
          for (GroupNode g : h.getGroups()) {
            out.str(g.getGroupId());
            out.i32(g.getLevel());
            out.i32(g.getParentId() == null ? 0 : 1);
            if (g.getParentId() != null) {
              out.str(g.getParentId());
            }
            out.strings(g.getChildGroupIds());
            out.strings(g.getAgentIds());
          }
          out.str(h.getSettings().getDistanceMetric());
          out.str(h.getSettings().getLinkage());
          out.i32(h.getSettings().getLevels());
          out.i32(h.getSettings().getReclusterEvery());
          out.str(h.getSettings().getFeatures());
          out.i64(h.getCreatedAtMs());
        });
  }

  private interface Body {
    void write(Out out);
  }

  private static byte[] write(String tag, Body body) {
    MessageDigest sha256;
    try {
      sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
    Out out = new Out(sha256, ByteBuffer.allocate(Long.BYTES));
    out.str(tag);
    body.write(out);
    return sha256.digest();
  }

  private record Out(MessageDigest digest, ByteBuffer number) {
    void i32(int v) {
      digest.update(number.clear().putInt(v).flip());
    }

    void i64(long v) {
      digest.update(number.clear().putLong(v).flip());
    }

    void str(CharSequence s) {
      byte[] b = s.toString().getBytes(StandardCharsets.UTF_8);
      i32(b.length);
      digest.update(b);
    }

    void strings(List<? extends CharSequence> list) {
      i32(list.size());
      for (CharSequence s : list) {
        str(s);
      }
    }

    void bytes(ByteBuffer b) {
      i32(b.remaining());
      digest.update(b.duplicate());
    }
  }
}
